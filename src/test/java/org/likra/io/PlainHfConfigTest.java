package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.cli.Main;
import org.likra.config.ModelConfig;
import org.likra.config.RopeScaling;
import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engine.cpu.CpuEngine;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.model.ParameterLayout;
import org.likra.model.Transformer;
import org.likra.tokenize.NoTokenizer;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.UserError;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plain Hugging Face config.json files (no likra section): Llama, Mistral and Qwen2, as transformers writes them. */
class PlainHfConfigTest {
    record Result(int code, String out, String err) {
    }

    static Result likra(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void aPlainLlamaWithVocabulary80RunsGradAndInfoWithoutATokenizer(@TempDir Path tmp) throws IOException {
        Path dir = PlainHfModels.write(tmp.resolve("llama"), PlainHfModels.llamaConfig(80, ""), 1);
        Path tokens = Files.writeString(tmp.resolve("ids.txt"), "1 79 5 33 2\n0 4 7\n");
        Path grads = tmp.resolve("g.safetensors");
        Result r = likra("grad", "--model", dir.toString(), "--tokens", tokens.toString(), "--out",
                grads.toString());
        assertEquals(0, r.code(), r.err());
        try (SafeTensors st = SafeTensors.open(grads)) {
            assertEquals(80 * 32, st.read("model.embed_tokens.weight").length);
        }
        r = likra("info", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("vocab 80") && r.out().contains("tokenizer:    none"), r.out());
        r = likra("info", dir.toString(), "--batch", "2", "--seq", "8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("memory of a LoRA step") && r.out().contains("activations"), r.out());
        r = likra("info", dir.toString(), "--batch", "2");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--seq"), r.err());

        ModelDirectory.Loaded loaded = ModelDirectory.load(dir, new CpuEngine(1));
        assertInstanceOf(NoTokenizer.class, loaded.tokenizer());
        UserError e = assertThrows(UserError.class, () -> loaded.tokenizer().encode("hi"));
        assertTrue(e.getMessage().contains("no tokenizer") && e.getMessage().contains("tokenizer.json"),
                e.getMessage());
        r = likra("sample", "--model", dir.toString(), "--prompt", "hi", "--steps", "2");
        assertEquals(1, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("no tokenizer"), r.err());
    }

    @Test
    void aPlainLlamaWithATokenizerJsonRunsTokenizeSampleAndEval(@TempDir Path tmp) throws IOException {
        Path dir = PlainHfModels.write(tmp.resolve("llama"), PlainHfModels.llamaConfig(30, ""), 6);
        try (var in = PlainHfConfigTest.class.getResourceAsStream("/tokenizers/sentencepiece-legacy.json")) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        assertEquals(TokenizerSpec.HF, ModelDirectory.readConfig(dir).tokenizer());
        Result r = likra("tokenize", "--model", dir.toString(), "hello café");
        assertEquals(0, r.code(), r.err());
        assertEquals("18 21 4 5", r.out().strip());
        r = likra("tokenize", "--model", dir.toString(), "--bos", "hello", "café");
        assertEquals("1 18 21 4 5", r.out().strip());
        r = likra("tokenize", "--model", dir.toString(), "--decode", "1 18 21 4 5");
        assertEquals("hello café", r.out().strip());
        r = likra("tokenize", "--model", dir.resolve("tokenizer.json").toString(), "--decode", "18,21");
        assertEquals("hello caf", r.out().strip());
        r = likra("tokenize", "--model", dir.toString(), "--decode", "18", "x");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("'x'"), r.err());

        r = likra("sample", "--model", dir.toString(), "--prompt", "hello", "--steps", "3", "--temperature", "0");
        assertEquals(0, r.code(), r.err());

        Path data = Files.writeString(tmp.resolve("q.jsonl"),
                "{\"id\": \"a\", \"question\": \"hello?\", \"choices\": [\"café\", \"hello\"], \"answer\": 0}\n"
                        + "{\"id\": \"b\", \"question\": \"café?\", \"choices\": [\"he\", \"lo\", \"ca\"], "
                        + "\"answer\": 2}\n");
        r = likra("eval", "--model", dir.toString(), "--data", data.toString(), "--scorer", "base");
        assertEquals(0, r.code(), r.err());

        // TruthfulQA lines (several true choices) also get MC2
        Path tqa = Files.writeString(tmp.resolve("tqa.jsonl"), "{\"question\": \"hello?\", \"mc2_targets\": "
                + "{\"choices\": [\"hello\", \"hello café\", \"café\"], \"labels\": [1, 1, 0]}}\n");
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            r = likra("eval", "--model", dir.toString(), "--data", tqa.toString(), "--scorer", "base");
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, r.code(), r.err());
        String table = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(table.contains("acc (MC1)") && table.contains("MC2") && table.contains("(n=1)"), table);
    }

    @Test
    void fieldsAreReadWithTheLibrarysDefaults(@TempDir Path tmp) throws IOException {
        Path dir = PlainHfModels.write(tmp.resolve("m"), PlainHfModels.llamaConfig(80,
                "\"tie_word_embeddings\": true, \"head_dim\": 8, \"rope_scaling\": {\"rope_type\": \"llama3\", "
                        + "\"factor\": 32.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
                        + "\"original_max_position_embeddings\": 16}"), 2);
        ModelConfig c = ModelDirectory.readConfig(dir).model();
        assertEquals(new ModelConfig("m", 32, 2, 4, 2, 48, 80, 64, ModelConfig.Norm.rmsnorm, ModelConfig.Mlp.swiglu,
                ModelConfig.Positions.rope, false, true, 10000.0, 1e-6, false,
                new RopeScaling(32, 1, 4, 16)), c);
        assertNull(new ParameterLayout(c).find("lm_head.weight"));
        assertEquals(TokenizerSpec.NONE, ModelDirectory.readConfig(dir).tokenizer());

        String minimal = """
                {"model_type": "mistral", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "vocab_size": 50, "max_position_embeddings": 32768,
                 "sliding_window": 40}
                """;
        Files.writeString(dir.resolve("config.json"), minimal);
        c = ModelDirectory.readConfig(dir).model();
        assertEquals(4, c.kvHeads());
        assertEquals(1e-6, c.normEps());
        assertEquals(10000.0, c.ropeTheta());
        assertFalse(c.tiedEmbeddings());
        assertEquals(40, c.context(), "the sliding window caps the context");
    }

    @Test
    void badAndContradictoryFieldsGetOneLineNamingTheField(@TempDir Path tmp) throws IOException {
        Path dir = PlainHfModels.write(tmp.resolve("m"), PlainHfModels.llamaConfig(80, ""), 3);
        String valid = PlainHfModels.llamaConfig(80, "");
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put(valid.replace("\"vocab_size\": 80,", ""), "vocab_size");
        cases.put(valid.replace("LlamaForCausalLM", "GPTNeoXForCausalLM"), "architectures");
        cases.put(valid.replace("\"model_type\": \"llama\"", "\"model_type\": \"qwen2\""), "model_type");
        cases.put(valid.replace("\"architectures\": [\"LlamaForCausalLM\"],", "")
                .replace("\"model_type\": \"llama\",", ""), "architectures");
        cases.put(PlainHfModels.llamaConfig(80, "\"head_dim\": 16"), "head_dim");
        cases.put(PlainHfModels.llamaConfig(80, "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}"),
                "rope_scaling");
        cases.put(PlainHfModels.llamaConfig(80, "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}"),
                "low_freq_factor");
        cases.put(PlainHfModels.llamaConfig(80, "\"attention_bias\": true"), "attention_bias");
        cases.put(valid.replace("\"silu\"", "\"gelu\""), "hidden_act");
        cases.put(valid.replace("\"rms_norm_eps\": 1e-06", "\"rms_norm_eps\": \"small\""), "rms_norm_eps");
        cases.put(valid.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"), "heads");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Files.writeString(dir.resolve("config.json"), c.getKey());
            UserError e = assertThrows(UserError.class, () -> ModelDirectory.load(dir, new CpuEngine(1)),
                    c.getKey());
            assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains(c.getValue()),
                    c.getValue() + ": " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    @Test
    void qwen2HasBiasesOnQkvOnlyAndTheyCount(@TempDir Path tmp) throws IOException {
        String qwen = PlainHfModels.llamaConfig(80, "").replace("LlamaForCausalLM", "Qwen2ForCausalLM")
                .replace("\"llama\"", "\"qwen2\"");
        Path dir = PlainHfModels.write(tmp.resolve("qwen"), qwen, 4);
        ModelConfig c = ModelDirectory.readConfig(dir).model();
        assertTrue(c.qkvBias());
        ParameterLayout layout = new ParameterLayout(c);
        for (String p : new String[] {"q_proj", "k_proj", "v_proj"}) {
            assertNotNull(layout.find("model.layers.1.self_attn." + p + ".bias"), p);
        }
        for (String p : new String[] {"self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"}) {
            assertNull(layout.find("model.layers.1." + p + ".bias"), p);
        }
        int[] tokens = {3, 9, 27, 1, 0, 79};
        double withBias = loss(dir, tokens);
        // the same weights with zero biases: the loss changes, so the biases take part in the forward pass
        float[] values = ModelDirectory.readRaw(dir).values();
        for (var spec : layout.specs()) {
            if (spec.name().endsWith(".bias")) {
                java.util.Arrays.fill(values, spec.offset(), spec.offset() + spec.size(), 0f);
            }
        }
        ModelDirectory.writeWeights(dir.resolve(ModelDirectory.WEIGHTS), layout, values, Map.of());
        double zeroBias = loss(dir, tokens);
        assertNotEquals(withBias, zeroBias);
        // and with zero biases a Qwen2 model is the Llama model of the same weights
        Path llama = Files.createDirectories(tmp.resolve("llama"));
        Files.writeString(llama.resolve("config.json"), PlainHfModels.llamaConfig(80, ""));
        ModelDirectory.writeWeights(llama.resolve(ModelDirectory.WEIGHTS), layout, values, Map.of());
        assertEquals(zeroBias, loss(llama, tokens), 1e-6);
    }

    @Test
    void llama3RopeScalingFollowsTheFormula() {
        RopeScaling s = new RopeScaling(32, 1, 4, 8192);
        // wavelength 2 pi < 8192 / 4: unchanged
        assertEquals(1.0, s.apply(1.0));
        // wavelength 2 pi / f = 16384 > 8192 / 1: divided by the factor
        double low = 2 * Math.PI / 16384;
        assertEquals(low / 32, s.apply(low), 1e-18);
        // wavelength 4096: s = (8192 / 4096 - 1) / (4 - 1) = 1/3, so (2/3) f / 32 + (1/3) f
        double mid = 2 * Math.PI / 4096;
        assertEquals(2.0 / 3 * mid / 32 + mid / 3, s.apply(mid), 1e-15);
    }

    @Test
    void cpuAndReferenceEnginesAgreeOnARopeScaledModel(@TempDir Path tmp) throws IOException {
        Path dir = PlainHfModels.write(tmp.resolve("m"), PlainHfModels.llamaConfig(80,
                "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
                        + "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8}"), 5);
        int[] tokens = {3, 9, 27, 1, 0, 79, 44, 12, 60, 2, 5, 8, 13, 21, 34, 55, 70, 71};
        double cpu = loss(dir, tokens, new CpuEngine(1));
        double reference = loss(dir, tokens, new ReferenceEngine(Precision.F64));
        assertEquals(reference, cpu, 1e-5);
        // the scaling changes the positions' angles, so the loss differs from the unscaled model's
        Files.writeString(dir.resolve("config.json"), PlainHfModels.llamaConfig(80, ""));
        assertNotEquals(reference, loss(dir, tokens, new ReferenceEngine(Precision.F64)), 1e-6);
    }

    static double loss(Path dir, int[] tokens) {
        return loss(dir, tokens, new CpuEngine(1));
    }

    static double loss(Path dir, int[] tokens, Engine engine) {
        try (engine) {
            Transformer m = ModelDirectory.load(dir, engine).model();
            int t = tokens.length - 1;
            m.setInputs(java.util.Arrays.copyOf(tokens, t), java.util.Arrays.copyOfRange(tokens, 1, t + 1), null, 1,
                    t);
            m.forward();
            return m.loss();
        }
    }
}
