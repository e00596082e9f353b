package org.likra.io;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.config.RopeScaling;
import org.likra.engine.cpu.CpuEngine;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.tokenize.BpeTokenizer;
import org.likra.tokenize.ByteTokenizer;
import org.likra.tokenize.Tokenizer;
import org.likra.tokenize.TokenizerSpec;
import org.likra.tokenize.hf.HfTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** likra export hf writes a plain Hugging Face directory that loads back as the same model and tokenizer. */
class ExportHfTest {
    static final String TEXT = "Once upon a time, a model went out\nand came back the same.";

    /** A model of {@code config} with random weights and {@code tokenizer}, saved as our model directory. */
    static Path ours(Path dir, ModelConfig config, Tokenizer tokenizer) throws IOException {
        try (CpuEngine engine = new CpuEngine(1)) {
            Transformer m = new Transformer(config, engine);
            Initializer.initialize(m, 7);
            ModelDirectory.save(dir, m, tokenizer);
        }
        return dir;
    }

    static float[] logits(ModelDirectory.Loaded loaded, int[] ids) {
        Transformer m = loaded.model();
        m.setInputs(ids, null, null, 1, ids.length);
        m.forward();
        float[] out = new float[ids.length * m.config().vocab()];
        for (int t = 0; t < ids.length; t++) {
            System.arraycopy(m.logitsAt(t), 0, out, t * m.config().vocab(), m.config().vocab());
        }
        return out;
    }

    static void assertSameModel(Path original, Path exported) {
        try (CpuEngine a = new CpuEngine(1); CpuEngine b = new CpuEngine(1)) {
            ModelDirectory.Loaded x = ModelDirectory.load(original, a);
            ModelDirectory.Loaded y = ModelDirectory.load(exported, b);
            assertEquals(x.model().config().withName("n"), y.model().config().withName("n"));
            assertInstanceOf(HfTokenizer.class, y.tokenizer());
            int[] ids = x.tokenizer().encode(TEXT);
            assertArrayEquals(ids, y.tokenizer().encode(TEXT));
            assertEquals(x.tokenizer().bos(), y.tokenizer().bos());
            assertEquals(x.tokenizer().eos(), y.tokenizer().eos());
            assertEquals(TEXT, y.tokenizer().decode(ids));
            assertArrayEquals(logits(x, ids), logits(y, ids));
        }
    }

    @Test
    void ourBpeModelRoundTripsThroughAPlainLlamaDirectory(@TempDir Path tmp) throws IOException {
        BpeTokenizer bpe = BpeTokenizer.train(Files.readString(Path.of("README.md")), 400);
        Path dir = ours(tmp.resolve("ours"), Presets.load("llama-1m").withVocab(bpe.vocabSize()), bpe);
        Path out = tmp.resolve("hf");
        PlainHfConfigTest.Result r = PlainHfConfigTest.likra("export", "hf", dir.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("tokenizer.json"), r.out());
        JsonNode config = HfConfig.JSON.readTree(out.resolve("config.json").toFile());
        assertFalse(config.has("likra"));
        assertEquals("LlamaForCausalLM", config.get("architectures").get(0).asText());
        assertEquals(TokenizerSpec.HF, ModelDirectory.readConfig(out).tokenizer());
        assertSameModel(dir, out);
    }

    @Test
    void byteTokenizerQwen2BiasesAndRopeScalingRoundTrip(@TempDir Path tmp) throws IOException {
        ModelConfig qwen = new ModelConfig("q", 32, 2, 4, 2, 48, 256, 64, ModelConfig.Norm.rmsnorm,
                ModelConfig.Mlp.swiglu, ModelConfig.Positions.rope, false, true, 500000.0, 1e-6, true,
                new RopeScaling(8, 1, 4, 16));
        Path dir = ours(tmp.resolve("ours"), qwen, new ByteTokenizer());
        Path out = tmp.resolve("hf");
        Exporter.HfExport result = Exporter.hf(dir, out, "F32");
        assertTrue(result.tokenizerWritten());
        JsonNode config = HfConfig.JSON.readTree(out.resolve("config.json").toFile());
        assertEquals("Qwen2ForCausalLM", config.get("architectures").get(0).asText());
        assertEquals("llama3", config.get("rope_scaling").get("rope_type").asText());
        assertSameModel(dir, out);
    }

    @Test
    void bf16ExportHoldsTheRoundedWeights(@TempDir Path tmp) throws IOException {
        Path dir = ours(tmp.resolve("ours"), Presets.load("llama-1m"), new ByteTokenizer());
        Path out = tmp.resolve("hf");
        Exporter.hf(dir, out, "BF16");
        float[] original = ModelDirectory.readRaw(dir).values();
        float[] exported = ModelDirectory.readRaw(out).values();
        for (int i = 0; i < original.length; i++) {
            assertEquals(SafeTensors.roundToBfloat16(original[i]), exported[i]);
        }
        assertEquals("bfloat16", HfConfig.JSON.readTree(out.resolve("config.json").toFile()).get("torch_dtype")
                .asText());
    }

    @Test
    void stories260KWithItsLlama2cTokenizer(@TempDir Path tmp) {
        Path bin = SharedFiles.require("models/stories260K/stories260K.bin");
        Path tok = SharedFiles.require("models/stories260K/tok512.bin");
        Path dir = tmp.resolve("s");
        assertEquals(0, PlainHfConfigTest.likra("import", "llama2c", bin.toString(), "--tokenizer", tok.toString(),
                "--out", dir.toString()).code());
        Path out = tmp.resolve("hf");
        PlainHfConfigTest.Result r = PlainHfConfigTest.likra("export", "hf", dir.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertSameModel(dir, out);
    }

    @Test
    void gpt2StyleModelsAreRefusedWithOneLine(@TempDir Path tmp) throws IOException {
        Path dir = ours(tmp.resolve("g"), Presets.load("gpt2-1m"), new ByteTokenizer());
        PlainHfConfigTest.Result r = PlainHfConfigTest.likra("export", "hf", dir.toString(), "--out",
                tmp.resolve("hf").toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("export llmc"), r.err());
        assertFalse(Files.exists(tmp.resolve("hf")));
    }
}
