package org.likra.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.config.ModelConfig;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A model directory's {@code config.json} in the fields of a Hugging Face Llama config, plus a {@code likra}
 * section for what Llama's config cannot say (LayerNorm, GELU MLP, learned positions, biases) and the tokenizer.
 * A plain Hugging Face config (no {@code likra} section) is read by {@link PlainConfig}.
 */
public final class HfConfig {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The architecture and the tokenizer a config.json records. */
    public record Contents(ModelConfig model, TokenizerSpec tokenizer) {
    }

    private HfConfig() {
    }

    /** Hugging Face's fields of the model's shape: widths, depth, heads, vocabulary, context, norm eps, RoPE theta. */
    static void putShape(ObjectNode root, ModelConfig c) {
        root.put("hidden_size", c.dim());
        root.put("intermediate_size", c.hidden());
        root.put("num_hidden_layers", c.layers());
        root.put("num_attention_heads", c.heads());
        root.put("num_key_value_heads", c.kvHeads());
        root.put("head_dim", c.headDim());
        root.put("vocab_size", c.vocab());
        root.put("max_position_embeddings", c.context());
        root.put("rms_norm_eps", c.normEps());
        root.put("rope_theta", c.ropeTheta());
    }

    public static String toJson(ModelConfig c, TokenizerSpec tokenizer) {
        ObjectNode root = JSON.createObjectNode();
        boolean llama = c.norm() == ModelConfig.Norm.rmsnorm && c.mlp() == ModelConfig.Mlp.swiglu
                && c.positions() == ModelConfig.Positions.rope;
        root.putArray("architectures").add(llama ? "LlamaForCausalLM" : "LikraForCausalLM");
        root.put("model_type", llama ? "llama" : "likra");
        putShape(root, c);
        root.put("tie_word_embeddings", c.tiedEmbeddings());
        root.put("hidden_act", c.mlp() == ModelConfig.Mlp.swiglu ? "silu" : "gelu_pytorch_tanh");
        root.put("attention_bias", c.bias());
        root.put("mlp_bias", c.bias());
        if (c.ropeScaling() != null) {
            ObjectNode scaling = root.putObject("rope_scaling");
            scaling.put("rope_type", "llama3");
            scaling.put("factor", c.ropeScaling().factor());
            scaling.put("low_freq_factor", c.ropeScaling().lowFreqFactor());
            scaling.put("high_freq_factor", c.ropeScaling().highFreqFactor());
            scaling.put("original_max_position_embeddings", c.ropeScaling().originalContext());
        }
        root.put("torch_dtype", "float32");
        ObjectNode likra = root.putObject("likra");
        likra.put("name", c.name());
        likra.put("norm", c.norm().name());
        likra.put("mlp", c.mlp().name());
        likra.put("positions", c.positions().name());
        likra.put("bias", c.bias());
        if (c.qkvBias()) {
            likra.put("qkv_bias", true);
        }
        ObjectNode tok = likra.putObject("tokenizer");
        tok.put("type", tokenizer.type());
        if (tokenizer.file() != null) {
            tok.put("file", tokenizer.file());
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void write(Path file, ModelConfig c, TokenizerSpec tokenizer) throws IOException {
        AtomicFiles.writeString(file, toJson(c, tokenizer));
    }

    public static Contents read(Path file) {
        JsonNode root = readObject(file);
        JsonNode likra = root.get("likra");
        if (likra == null || likra.isNull()) {
            return PlainConfig.read(root, file);
        }
        if (!likra.isObject()) {
            throw new UserError(file + ": field 'likra' must be an object");
        }
        ModelConfig config = likraConfig(root, likra, file);
        JsonNode tok = likra.path("tokenizer");
        TokenizerSpec tokenizer = tok.isObject()
                ? new TokenizerSpec(tok.path("type").asText("byte"), tok.hasNonNull("file") ? tok.get("file").asText()
                : null)
                : TokenizerSpec.BYTE;
        return new Contents(config, tokenizer);
    }

    /** The JSON object in {@code file}. */
    private static JsonNode readObject(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file (a model directory needs config.json and model.safetensors)");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new UserError(file + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new UserError(file + ": not a JSON object");
        }
        return root;
    }

    /** The architecture of a config.json this project wrote: Hugging Face's fields and its {@code likra} object. */
    private static ModelConfig likraConfig(JsonNode root, JsonNode likra, Path file) {
        String where = file.toString();
        int dim = requiredInt(root, "hidden_size", where);
        int heads = requiredInt(root, "num_attention_heads", where);
        String norm = likra.path("norm").asText("rmsnorm");
        String mlp = likra.path("mlp").asText("swiglu");
        String positions = likra.path("positions").asText("rope");
        ModelConfig config;
        try {
            config = new ModelConfig(
                    likra.path("name").asText(file.getParent() == null ? "model" : file.getParent().getFileName()
                            .toString()),
                    dim,
                    requiredInt(root, "num_hidden_layers", where),
                    heads,
                    root.path("num_key_value_heads").asInt(heads),
                    requiredInt(root, "intermediate_size", where),
                    requiredInt(root, "vocab_size", where),
                    requiredInt(root, "max_position_embeddings", where),
                    ModelConfig.Norm.valueOf(norm),
                    ModelConfig.Mlp.valueOf(mlp),
                    ModelConfig.Positions.valueOf(positions),
                    likra.path("bias").asBoolean(root.path("attention_bias").asBoolean(false)),
                    root.path("tie_word_embeddings").asBoolean(false),
                    root.path("rope_theta").asDouble(10000.0),
                    root.path("rms_norm_eps").asDouble(1e-5),
                    likra.path("qkv_bias").asBoolean(false),
                    PlainConfig.ropeScaling(root, where));
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": bad likra.norm/mlp/positions value (" + norm + ", " + mlp + ", "
                    + positions + ")");
        }
        config.validate(where);
        PlainConfig.checkHeadDim(root, config, where);
        return config;
    }

    static int requiredInt(JsonNode root, String field, String where) {
        JsonNode node = root.get(field);
        if (node == null || !node.canConvertToInt()) {
            throw new UserError(where + ": missing or non-integer field '" + field + "'");
        }
        return node.asInt();
    }
}
