package org.likra.io;

import org.likra.model.ParameterSpec;
import org.likra.tokenize.NoTokenizer;
import org.likra.tokenize.Tokenizer;
import org.likra.tokenize.TokenizerJson;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Converts our model directories into other projects' checkpoint formats and into plain Hugging Face ones. */
public final class Exporter {
    private Exporter() {
    }

    /** Writes a GPT-2-style model directory as an llm.c checkpoint (byte for byte the file it was imported from). */
    public static RawModel llmc(Path modelDir, Path out) throws IOException {
        RawModel model = ModelDirectory.readRaw(modelDir);
        LlmC.write(out, model);
        return model;
    }

    /** Hugging Face's default largest shard (save_pretrained's max_shard_size of "5GB"). */
    public static final long HF_SHARD_BYTES = 5_000_000_000L;

    /** What {@link #hf} wrote. */
    public record HfExport(RawModel model, boolean tokenizerWritten, String tokenizerType) {
    }

    /**
     * Writes a Llama-architecture model directory (ours or imported) as a plain Hugging Face directory in
     * {@code outDir}: config.json without a likra section ({@link PlainConfig#toJson}), the weights in
     * {@code dtype} (model.safetensors, or shards of at most 5 GB and their index), and tokenizer.json where the
     * model's tokenizer has that form ({@link TokenizerJson}). {@link ModelDirectory#load} reads it back as the same
     * model and tokenizer.
     */
    public static HfExport hf(Path modelDir, Path outDir, String dtype) throws IOException {
        Path dir = ModelDirectory.resolve(modelDir);
        RawModel model = ModelDirectory.readRaw(dir);
        Tokenizer tokenizer = Tokenizers.load(model.tokenizer(), dir);
        String config = PlainConfig.toJson(model.config(), dtype, tokenizer.bos(), tokenizer.eos());
        if (Files.exists(outDir.resolve(ModelDirectory.CONFIG)) && Files.isSameFile(dir, outDir)) {
            throw new UserError(outDir + ": the output directory is the model's own directory; choose another");
        }
        Files.createDirectories(outDir);
        List<SafeTensors.Output> outputs = new ArrayList<>();
        for (ParameterSpec spec : model.layout().specs()) {
            outputs.add(new SafeTensors.Output(spec.name(), spec.shape(), model.values(), spec.offset()));
        }
        WeightFiles.write(outDir, outputs, Map.of("format", "pt"), dtype, HF_SHARD_BYTES);
        boolean written = !(tokenizer instanceof NoTokenizer) && TokenizerJson.write(tokenizer, outDir);
        if (!written) {
            Files.deleteIfExists(outDir.resolve(TokenizerSpec.HF_FILE));
        }
        AtomicFiles.writeString(outDir.resolve(ModelDirectory.CONFIG), config);
        return new HfExport(model, written, model.tokenizer() == null ? "none" : model.tokenizer().type());
    }

    /** Writes a Llama-style model directory as a llama2.c (legacy, version 0) checkpoint. */
    public static RawModel llama2c(Path modelDir, Path out) throws IOException {
        RawModel model = ModelDirectory.readRaw(modelDir);
        Llama2c.write(out, model);
        return model;
    }
}
