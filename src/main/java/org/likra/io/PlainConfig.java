package org.likra.io;

import com.fasterxml.jackson.databind.JsonNode;
import org.likra.config.ModelConfig;
import org.likra.config.RopeScaling;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A Hugging Face {@code config.json} as the {@code transformers} library writes it (no {@code likra} section), for
 * the architectures this project computes exactly: {@code LlamaForCausalLM}, {@code MistralForCausalLM} and
 * {@code Qwen2ForCausalLM} (RMSNorm, SwiGLU with SiLU, RoPE in the rotate-halves layout, grouped-query attention;
 * Qwen2 adds biases to the q, k and v projections).
 *
 * <p>Fields read: {@code hidden_size}, {@code num_hidden_layers}, {@code num_attention_heads},
 * {@code intermediate_size}, {@code vocab_size}, {@code max_position_embeddings} (required);
 * {@code num_key_value_heads} (default: the heads), {@code head_dim} (must equal hidden_size / heads),
 * {@code tie_word_embeddings} (false), {@code rope_theta} (10000), {@code rms_norm_eps} (1e-6, the library's
 * default for all three), {@code rope_scaling} (none, or type {@code llama3}), {@code hidden_act} (silu),
 * {@code attention_bias} and {@code mlp_bias} (Llama; both false or both true), {@code sliding_window} (Mistral;
 * Qwen2 with {@code use_sliding_window}): attention over a window equals full attention for sequences no longer than
 * the window, so the window caps the context. Other fields (dtypes, token ids, generation settings) are ignored.
 *
 * <p>The tokenizer is the directory's {@code tokenizer.json} when there is one, else none (commands that read token
 * ids work; commands that read text say that they need one).
 */
final class PlainConfig {
    /** The architectures read, by {@code architectures[0]}, and their {@code model_type}. */
    private enum Architecture {
        LLAMA("LlamaForCausalLM", "llama"),
        MISTRAL("MistralForCausalLM", "mistral"),
        QWEN2("Qwen2ForCausalLM", "qwen2");

        final String className;
        final String modelType;

        Architecture(String className, String modelType) {
            this.className = className;
            this.modelType = modelType;
        }
    }

    private PlainConfig() {
    }

    static HfConfig.Contents read(JsonNode root, Path file) {
        String where = file.toString();
        Architecture arch = architecture(root, where);
        int dim = HfConfig.requiredInt(root, "hidden_size", where);
        int heads = HfConfig.requiredInt(root, "num_attention_heads", where);
        int kvHeads = optionalInt(root, "num_key_value_heads", heads, where);
        String act = optionalText(root, "hidden_act", "silu", where);
        if (!act.equals("silu") && !act.equals("swish")) {
            throw new UserError(where + ": hidden_act is '" + act + "'; " + arch.className + " models are read with "
                    + "SiLU only");
        }
        boolean bias = false;
        boolean qkvBias = false;
        if (arch == Architecture.LLAMA) {
            boolean attentionBias = optionalBoolean(root, "attention_bias", false, where);
            boolean mlpBias = optionalBoolean(root, "mlp_bias", false, where);
            if (attentionBias != mlpBias) {
                throw new UserError(where + ": attention_bias is " + attentionBias + " and mlp_bias " + mlpBias
                        + "; only models with both or neither are supported");
            }
            bias = attentionBias;
        } else if (arch == Architecture.QWEN2) {
            qkvBias = true;
        }
        int context = HfConfig.requiredInt(root, "max_position_embeddings", where);
        Integer window = slidingWindow(root, arch, where);
        if (window != null) {
            context = Math.min(context, window);
        }
        String name = file.getParent() == null || file.getParent().getFileName() == null ? "model"
                : file.getParent().getFileName().toString();
        ModelConfig config = new ModelConfig(name, dim,
                HfConfig.requiredInt(root, "num_hidden_layers", where), heads, kvHeads,
                HfConfig.requiredInt(root, "intermediate_size", where),
                HfConfig.requiredInt(root, "vocab_size", where), context,
                ModelConfig.Norm.rmsnorm, ModelConfig.Mlp.swiglu, ModelConfig.Positions.rope, bias,
                optionalBoolean(root, "tie_word_embeddings", false, where),
                optionalNumber(root, "rope_theta", 10000.0, where),
                optionalNumber(root, "rms_norm_eps", 1e-6, where),
                qkvBias, ropeScaling(root, where));
        config.validate(where);
        checkHeadDim(root, config, where);
        Path tokenizerFile = file.resolveSibling(TokenizerSpec.HF_FILE);
        TokenizerSpec tokenizer = Files.isRegularFile(tokenizerFile) ? TokenizerSpec.HF : TokenizerSpec.NONE;
        return new HfConfig.Contents(config, tokenizer);
    }

    /**
     * The plain Hugging Face config.json of a Llama-architecture model: {@code LlamaForCausalLM}, or
     * {@code Qwen2ForCausalLM} where the q, k and v projections alone carry biases. {@link #read} gives back the same
     * architecture (under the directory's name).
     *
     * @param dtype the weights' dtype (F32, F16 or BF16), recorded as {@code torch_dtype}
     * @param bos   the BOS id or -1; {@code eos} likewise
     * @throws UserError for an architecture transformers' Llama cannot compute (LayerNorm, GELU, learned positions)
     */
    static String toJson(ModelConfig c, String dtype, int bos, int eos) {
        if (c.norm() != ModelConfig.Norm.rmsnorm || c.mlp() != ModelConfig.Mlp.swiglu
                || c.positions() != ModelConfig.Positions.rope) {
            throw new UserError("model " + c.name() + " is not a Llama-architecture model (it has " + c.norm() + ", "
                    + c.mlp() + ", " + c.positions() + " positions); export hf writes RMSNorm/SwiGLU/RoPE models "
                    + "(GPT-2-style models: use export llmc)");
        }
        Architecture arch = c.qkvBias() && !c.bias() ? Architecture.QWEN2 : Architecture.LLAMA;
        var root = HfConfig.JSON.createObjectNode();
        root.putArray("architectures").add(arch.className);
        root.put("model_type", arch.modelType);
        HfConfig.putShape(root, c);
        if (c.ropeScaling() == null) {
            root.putNull("rope_scaling");
        } else {
            var scaling = root.putObject("rope_scaling");
            scaling.put("rope_type", "llama3");
            scaling.put("factor", c.ropeScaling().factor());
            scaling.put("low_freq_factor", c.ropeScaling().lowFreqFactor());
            scaling.put("high_freq_factor", c.ropeScaling().highFreqFactor());
            scaling.put("original_max_position_embeddings", c.ropeScaling().originalContext());
        }
        root.put("tie_word_embeddings", c.tiedEmbeddings());
        root.put("hidden_act", "silu");
        if (arch == Architecture.LLAMA) {
            root.put("attention_bias", c.bias());
            root.put("mlp_bias", c.bias());
        } else {
            root.put("use_sliding_window", false);
        }
        root.put("initializer_range", 0.02);
        root.put("use_cache", true);
        if (bos >= 0) {
            root.put("bos_token_id", bos);
        }
        if (eos >= 0) {
            root.put("eos_token_id", eos);
        }
        root.put("torch_dtype", switch (dtype) {
            case "BF16" -> "bfloat16";
            case "F16" -> "float16";
            default -> "float32";
        });
        try {
            return HfConfig.JSON.writeValueAsString(root) + "\n";
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The architecture {@code architectures[0]} names, checked against {@code model_type} where both are given. */
    private static Architecture architecture(JsonNode root, String where) {
        JsonNode list = root.get("architectures");
        JsonNode type = root.get("model_type");
        String known = "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM";
        Architecture byClass = null;
        if (list != null && !list.isNull()) {
            if (!list.isArray() || list.isEmpty() || !list.get(0).isTextual()) {
                throw new UserError(where + ": field 'architectures' must be a list of class names such as "
                        + "[\"LlamaForCausalLM\"]");
            }
            String name = list.get(0).asText();
            for (Architecture a : Architecture.values()) {
                if (a.className.equals(name)) {
                    byClass = a;
                }
            }
            if (byClass == null) {
                throw new UserError(where + ": architectures[0] is '" + name + "'; the architectures read here are "
                        + known);
            }
        }
        Architecture byType = null;
        if (type != null && !type.isNull()) {
            String name = type.asText();
            for (Architecture a : Architecture.values()) {
                if (a.modelType.equals(name)) {
                    byType = a;
                }
            }
            if (byType == null) {
                throw new UserError(where + ": model_type is '" + name + "'; the model types read here are llama, "
                        + "mistral and qwen2");
            }
        }
        if (byClass != null && byType != null && byClass != byType) {
            throw new UserError(where + ": architectures[0] is " + byClass.className + " but model_type is '"
                    + byType.modelType + "' (expected '" + byClass.modelType + "'); the two fields contradict");
        }
        if (byClass == null && byType == null) {
            throw new UserError(where + ": missing field 'architectures' (and 'model_type'); a plain Hugging Face "
                    + "config names one of " + known);
        }
        return byClass != null ? byClass : byType;
    }

    /** The sliding attention window that applies, or null. */
    private static Integer slidingWindow(JsonNode root, Architecture arch, String where) {
        boolean used = switch (arch) {
            case MISTRAL -> true;
            case QWEN2 -> optionalBoolean(root, "use_sliding_window", false, where);
            case LLAMA -> false;
        };
        JsonNode node = root.get("sliding_window");
        if (!used || node == null || node.isNull()) {
            return null;
        }
        if (!node.canConvertToInt() || node.asInt() <= 0) {
            throw new UserError(where + ": sliding_window must be a positive integer or null, got " + node);
        }
        return node.asInt();
    }

    /** {@code rope_scaling}: null, absent, type default, or type llama3 with its four numbers. */
    static RopeScaling ropeScaling(JsonNode root, String where) {
        JsonNode node = root.get("rope_scaling");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new UserError(where + ": rope_scaling must be an object or null, got " + node);
        }
        String type = node.hasNonNull("rope_type") ? node.get("rope_type").asText() : node.path("type").asText("");
        if (type.equals("default")) {
            return null;
        }
        if (!type.equals("llama3")) {
            throw new UserError(where + ": rope_scaling type '" + type + "' is not supported (supported: llama3, "
                    + "default)");
        }
        return new RopeScaling(requiredNumber(node, "factor", where), requiredNumber(node, "low_freq_factor", where),
                requiredNumber(node, "high_freq_factor", where),
                (int) requiredNumber(node, "original_max_position_embeddings", where)).validate(where);
    }

    /** A {@code head_dim} field must agree with hidden_size / num_attention_heads. */
    static void checkHeadDim(JsonNode root, ModelConfig config, String where) {
        JsonNode node = root.get("head_dim");
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.canConvertToInt()) {
            throw new UserError(where + ": head_dim must be an integer, got " + node);
        }
        if (node.asInt() != config.headDim()) {
            throw new UserError(where + ": head_dim " + node.asInt() + " differs from hidden_size / "
                    + "num_attention_heads = " + config.dim() + " / " + config.heads() + " = " + config.headDim()
                    + "; models whose heads are not hidden_size / num_attention_heads wide are not supported");
        }
    }

    private static int optionalInt(JsonNode root, String field, int fallback, String where) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.canConvertToInt() || !node.isIntegralNumber()) {
            throw new UserError(where + ": field '" + field + "' must be an integer, got " + node);
        }
        return node.asInt();
    }

    private static double optionalNumber(JsonNode root, String field, double fallback, String where) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isNumber()) {
            throw new UserError(where + ": field '" + field + "' must be a number, got " + node);
        }
        return node.asDouble();
    }

    private static double requiredNumber(JsonNode root, String field, String where) {
        JsonNode node = root.get(field);
        if (node == null || !node.isNumber()) {
            throw new UserError(where + ": missing or non-numeric field 'rope_scaling." + field + "'");
        }
        return node.asDouble();
    }

    private static boolean optionalBoolean(JsonNode root, String field, boolean fallback, String where) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw new UserError(where + ": field '" + field + "' must be true or false, got " + node);
        }
        return node.asBoolean();
    }

    private static String optionalText(JsonNode root, String field, String fallback, String where) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isTextual()) {
            throw new UserError(where + ": field '" + field + "' must be a string, got " + node);
        }
        return node.asText().toLowerCase(Locale.ROOT);
    }
}
