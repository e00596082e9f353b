package org.likra.io;

import org.likra.config.ModelConfig;
import org.likra.model.ParameterLayout;
import org.likra.model.ParameterSpec;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.UserError;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a model file or directory holds, read from headers only: the format, the architecture (where known), the
 * parameter count and the tensor table. Understands model directories, safetensors files, llama2.c and llm.c
 * checkpoints, and architectures without weights: a preset (by name or .json file) or a Hugging Face config.json.
 *
 * @param format    a short description of the format
 * @param config    the architecture, or null (a bare safetensors file)
 * @param tokenizer the tokenizer a model directory records, or null
 * @param tensors   the tensor table, in file order
 * @param metadata  safetensors metadata, llm.c header facts; may be empty
 */
public record ModelInfo(String format, ModelConfig config, TokenizerSpec tokenizer, List<Tensor> tensors,
                        Map<String, String> metadata) {

    /** One row of the tensor table (names are ours for converted formats). */
    public record Tensor(String name, String dtype, int[] shape) {
        public long elements() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : tensors) {
            n += t.elements();
        }
        return n;
    }

    /**
     * Inspects {@code path}: a model (or run) directory, a .safetensors file, a llama2.c or an llm.c .bin, a config
     * or preset .json file, or a preset's name.
     */
    public static ModelInfo of(Path path) {
        if (Files.isDirectory(path)) {
            Path dir = ModelDirectory.resolve(path);
            HfConfig.Contents contents = HfConfig.read(dir.resolve(ModelDirectory.CONFIG));
            try (WeightFiles weights = WeightFiles.open(dir)) {
                ModelDirectory.checkShapes(weights, ModelDirectory.layoutFor(contents.model(),
                        dir.resolve(ModelDirectory.CONFIG)));
                String files = weights.fileCount() == 1 ? "model.safetensors"
                        : WeightFiles.INDEX + " and " + weights.fileCount() + " shards";
                return new ModelInfo("model directory (config.json + " + files + ", "
                        + String.join("/", weights.dtypes()) + ")", contents.model(), contents.tokenizer(),
                        rows(weights.entries()), weights.metadata());
            }
        }
        if (!Files.exists(path)) {
            return preset(path);
        }
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".json")) {
            return configFile(path);
        }
        long size = Llama2c.fileSize(path);
        byte[] head = new byte[16];
        int got;
        try (InputStream in = Files.newInputStream(path)) {
            got = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new UserError(path + ": cannot read: " + e.getMessage(), e);
        }
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        if (got >= 4 && b.getInt(0) == LlmC.MAGIC) {
            LlmC.Header h = LlmC.readHeader(path);
            ModelConfig config = h.toConfig(Llama2c.stem(path)).validate(path.toString());
            String dtype = h.bf16() ? "BF16" : "F32";
            return new ModelInfo("llm.c GPT-2 checkpoint, version " + h.version() + " (" + dtype + "), vocabulary "
                    + h.vocab() + " padded to " + h.paddedVocab(), config, null,
                    layoutRows(config, path, dtype), Map.of(LlmC.META_VOCAB, Integer.toString(h.vocab())));
        }
        boolean safetensors = path.getFileName().toString().endsWith(".safetensors")
                || (got >= 9 && b.getLong(0) > 0 && b.getLong(0) <= size - 8 && head[8] == '{');
        if (safetensors) {
            try (SafeTensors st = SafeTensors.open(path)) {
                return new ModelInfo("safetensors file (" + st.entries().size() + " tensors)", null, null,
                        rows(st.entries()), st.metadata());
            }
        }
        Llama2c.Header h;
        try {
            h = Llama2c.readHeader(path);
        } catch (UserError e) {
            String reason = e.getMessage().startsWith(path + ": ")
                    ? e.getMessage().substring(path.toString().length() + 2) : e.getMessage();
            throw new UserError(path + ": not a model directory, .safetensors file, llm.c or llama2.c checkpoint "
                    + "(read as llama2.c: " + reason + ")");
        }
        ModelConfig config = h.toConfig(Llama2c.stem(path)).validate(path.toString());
        return new ModelInfo("llama2.c checkpoint (legacy format, F32; " + (h.shared() ? "shared classifier"
                : "separate classifier") + "; shown under our tensor names)", config, null,
                layoutRows(config, path, "F32"), Map.of());
    }

    /** A preset named by {@code path} (a bare name from models/): its architecture, and the tensors it would hold. */
    private static ModelInfo preset(Path path) {
        ModelConfig config;
        try {
            config = org.likra.config.Presets.load(path.toString());
        } catch (UserError e) {
            throw new UserError(path + ": no such file, directory or preset: give a model directory, a checkpoint "
                    + "file, a config or preset .json file, or a preset name from models/ (e.g. llama-110m)");
        }
        return new ModelInfo("model preset " + path + " (an architecture without weights; the tensors a model of it "
                + "holds)", config, null, layoutRows(config), Map.of());
    }

    /**
     * A .json file: a Hugging Face config.json (it has model_type, architectures or our likra section) or one of our
     * presets; its architecture, and the tensors a model of it holds.
     */
    private static ModelInfo configFile(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new UserError(path + ": cannot read: " + e.getMessage(), e);
        }
        boolean hf = text.contains("\"model_type\"") || text.contains("\"architectures\"")
                || text.contains("\"likra\"");
        ModelConfig config;
        TokenizerSpec tokenizer = null;
        if (hf) {
            HfConfig.Contents contents = HfConfig.read(path);
            config = contents.model();
            tokenizer = contents.tokenizer();
        } else {
            config = org.likra.config.Presets.parse(text, path.toString());
        }
        return new ModelInfo((hf ? "Hugging Face config" : "model preset") + " " + path.getFileName()
                + " (an architecture without weights; the tensors a model of it holds)", config, tokenizer,
                layoutRows(config), Map.of());
    }

    private static List<Tensor> layoutRows(ModelConfig config) {
        List<Tensor> out = new ArrayList<>();
        for (ParameterSpec s : new ParameterLayout(config).specs()) {
            out.add(new Tensor(s.name(), "F32", s.shape()));
        }
        return out;
    }

    private static List<Tensor> rows(Map<String, SafeTensors.Entry> entries) {
        List<Tensor> out = new ArrayList<>();
        for (SafeTensors.Entry e : entries.values()) {
            out.add(new Tensor(e.name(), e.dtype(), e.shape()));
        }
        return out;
    }

    private static List<Tensor> layoutRows(ModelConfig config, Path file, String dtype) {
        ParameterLayout layout = Llama2c.layoutOf(config, file);
        List<Tensor> out = new ArrayList<>();
        for (ParameterSpec s : layout.specs()) {
            out.add(new Tensor(s.name(), dtype, s.shape()));
        }
        return out;
    }

    /** One line describing an architecture. */
    public static String describe(ModelConfig c) {
        boolean llama = c.norm() == ModelConfig.Norm.rmsnorm && c.mlp() == ModelConfig.Mlp.swiglu
                && c.positions() == ModelConfig.Positions.rope && !c.bias();
        boolean gpt2 = c.norm() == ModelConfig.Norm.layernorm && c.mlp() == ModelConfig.Mlp.gelu
                && c.positions() == ModelConfig.Positions.learned && c.bias();
        String family = llama ? (c.qkvBias() ? "Qwen2-style" : "Llama-style") : gpt2 ? "GPT-2-style" : "custom";
        return family + " (" + c.norm() + ", " + c.mlp() + ", " + c.positions() + " positions, "
                + (c.bias() ? "biases" : c.qkvBias() ? "q/k/v biases" : "no biases") + ", "
                + (c.tiedEmbeddings() ? "tied" : "untied")
                + " embeddings): dim " + c.dim() + ", layers " + c.layers() + ", heads " + c.heads() + ", kv heads "
                + c.kvHeads() + ", hidden " + c.hidden() + ", vocab " + c.vocab() + ", context " + c.context()
                + (c.positions() == ModelConfig.Positions.rope ? ", rope_theta " + c.ropeTheta() : "")
                + (c.ropeScaling() == null ? "" : ", rope_scaling llama3 (factor " + c.ropeScaling().factor()
                + ", low " + c.ropeScaling().lowFreqFactor() + ", high " + c.ropeScaling().highFreqFactor()
                + ", original context " + c.ropeScaling().originalContext() + ")")
                + ", norm_eps " + c.normEps();
    }

    /** The whole report as text. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append("format:       ").append(format).append('\n');
        if (config != null) {
            sb.append("name:         ").append(config.name()).append('\n');
            sb.append("architecture: ").append(describe(config)).append('\n');
        }
        if (tokenizer != null) {
            sb.append("tokenizer:    ").append(tokenizer.type())
                    .append(tokenizer.file() == null ? "" : " (" + tokenizer.file() + ")").append('\n');
        }
        sb.append("parameters:   ").append(String.format(Locale.ROOT, "%,d", parameterCount())).append('\n');
        if (metadata != null && !metadata.isEmpty()) {
            sb.append("metadata:     ").append(metadata).append('\n');
        }
        int nameWidth = "name".length();
        for (Tensor t : tensors) {
            nameWidth = Math.max(nameWidth, t.name().length());
        }
        String row = "%-" + nameWidth + "s  %-5s  %-16s  %,14d%n";
        sb.append(String.format(Locale.ROOT, "%-" + nameWidth + "s  %-5s  %-16s  %14s%n", "name", "dtype", "shape",
                "elements"));
        for (Tensor t : tensors) {
            sb.append(String.format(Locale.ROOT, row, t.name(), t.dtype(), Arrays.toString(t.shape()),
                    t.elements()));
        }
        return sb.toString();
    }
}
