package org.likra.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.config.Presets;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.io.ModelDirectory;
import org.likra.io.SafeTensors;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.tokenize.TokenizerSpec;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI's contract: one clear line and exit code 1 on bad input; correct outputs on good input. */
class CommandLineTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        PrintStream savedOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out));
        try {
            int code = cl.execute(args);
            return new Run(code, out.toString(), err.toString());
        } finally {
            System.setOut(savedOut);
        }
    }

    /** Every command's help renders without picocli's format warnings (a lone % in a description is one). */
    @Test
    void everyHelpTextRendersCleanly() {
        CommandLine cl = Main.commandLine();
        PrintStream savedErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err));
        try {
            cl.getUsageMessage();
            for (CommandLine sub : cl.getSubcommands().values()) {
                assertFalse(sub.getUsageMessage().isBlank(), sub.getCommandName());
            }
        } finally {
            System.setErr(savedErr);
        }
        assertEquals("", err.toString(), "picocli warned while rendering help");
    }

    private Path savedModel(String preset, long seed) throws Exception {
        Transformer model = new Transformer(Presets.load(preset), new ReferenceEngine(Precision.F32));
        Initializer.initialize(model, seed);
        Path out = dir.resolve(preset + "-" + seed);
        ModelDirectory.save(out, model, TokenizerSpec.BYTE);
        return out;
    }

    private static void assertOneLineError(Run r, String expected) {
        assertEquals(1, r.code(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "exactly one line: " + r.err());
        assertTrue(lines[0].startsWith("likra: "), lines[0]);
        assertTrue(lines[0].contains(expected), lines[0]);
    }

    @Test
    void everySubcommandHasHelp() {
        for (String name : Main.commandLine().getSubcommands().keySet()) {
            if (!name.equals("help")) {
                assertEquals(0, run(name, "--help").code(), name);
            }
        }
    }

    @Test
    void unknownPresetIsOneLine() {
        Path corpus = dir.resolve("c.txt");
        assertOneLineError(run("pretrain", "--model", "no-such-model", "--corpus", corpus.toString(), "--out",
                dir.resolve("r").toString(), "--engine", "reference"), "no preset 'no-such-model'");
    }

    @Test
    void malformedPresetNamesTheFileAndLine() throws Exception {
        Path preset = dir.resolve("bad.json");
        Files.writeString(preset, "{\n  \"dim\": 64,\n  \"layers\": \"two\"\n}\n");
        Run r = run("pretrain", "--model", preset.toString(), "--corpus", preset.toString(), "--out",
                dir.resolve("r").toString(), "--engine", "reference");
        assertOneLineError(r, preset.toString());
        assertTrue(r.err().contains("line 3"), r.err());
    }

    @Test
    void benchRefusesASequencePastTheContextAndNegativeThreadsBeforeItStarts() {
        Run tooLong = run("bench", "--model", "gpt2-S", "--seq", "129", "--engine", "reference");
        assertOneLineError(tooLong, "--seq 129 is longer than gpt2-S's context of 128 tokens");
        assertEquals("", tooLong.out(), "no header for a run that cannot start");
        assertOneLineError(run("bench", "--model", "gpt2-S", "--threads", "-1"), "'--threads': must be 0 (all cores)");
    }

    @Test
    void missingCorpusIsOneLine() {
        assertOneLineError(run("pretrain", "--model", "llama-tiny", "--corpus", dir.resolve("none.txt").toString(),
                "--out", dir.resolve("r").toString(), "--engine", "reference"), "no such corpus file");
    }

    @Test
    void badTokenizerIsOneLineBeforeAnyWork() {
        Path runDir = dir.resolve("r");
        Run r = run("pretrain", "--model", "llama-tiny", "--corpus", dir.resolve("none.txt").toString(), "--out",
                runDir.toString(), "--engine", "reference", "--tokenizer", "bpe:12");
        assertOneLineError(r, "--tokenizer bpe:12: the BPE vocabulary size must be between 257 and 65536, got 12");
        assertOneLineError(run("pretrain", "--corpus", "x", "--out", runDir.toString(), "--tokenizer", "sentencepiece"),
                "--tokenizer sentencepiece: expected byte (UTF-8 bytes, 256 ids) or bpe:<vocab size>");
        assertFalse(Files.exists(runDir));
    }

    @Test
    void pretrainWithBpeThenSample() throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "the cat sat on the mat. ".repeat(200));
        Path runDir = dir.resolve("run");
        Run r = run("pretrain", "--model", "llama-tiny", "--corpus", corpus.toString(), "--out", runDir.toString(),
                "--steps", "4", "--batch", "2", "--seq", "16", "--eval-every", "2", "--eval-batches", "1",
                "--engine", "reference", "--no-progress", "--tokenizer", "bpe:300");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("tokenizer bpe:300"), r.out());
        assertTrue(Files.isRegularFile(runDir.resolve("checkpoint/tokenizer.json")));
        Run s = run("sample", "--model", runDir.toString(), "--prompt", "the cat", "--steps", "3", "--temperature",
                "0", "--engine", "reference");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().startsWith("the cat"), s.out());
    }

    @Test
    void verboseAddsTheStackTrace() {
        Run r = run("--verbose", "pretrain", "--model", "nope", "--corpus", "x", "--out",
                dir.resolve("r").toString(), "--engine", "reference");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("at org.likra"), r.err());
    }

    @Test
    void missingModelDirectoryIsOneLine() {
        assertOneLineError(run("sample", "--model", dir.resolve("nothing").toString(), "--engine", "reference"),
                "no such model directory");
    }

    @Test
    void tokenOutsideTheVocabularyNamesTheLine() throws Exception {
        Path model = savedModel("llama-tiny", 1);
        Path tokens = dir.resolve("tokens.txt");
        Files.writeString(tokens, "1 2 3\n4 999 5\n");
        assertOneLineError(run("grad", "--model", model.toString(), "--tokens", tokens.toString(), "--out",
                dir.resolve("g.safetensors").toString(), "--engine", "reference"), "line 2");
    }

    @Test
    void sequenceLongerThanTheContextIsOneLine() throws Exception {
        Path model = savedModel("llama-tiny", 1);
        Path tokens = dir.resolve("tokens.txt");
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            line.append(i % 200).append(' ');
        }
        Files.writeString(tokens, line + "\n");
        assertOneLineError(run("grad", "--model", model.toString(), "--tokens", tokens.toString(), "--out",
                dir.resolve("g.safetensors").toString(), "--engine", "reference"), "longer than the model's context");
    }

    @Test
    void gradWritesTheGradientOfTheMaskedMeanLoss() throws Exception {
        Path modelDir = savedModel("gpt2-1m", 3);
        Path tokens = dir.resolve("tokens.txt");
        Files.writeString(tokens, "10 20 30 40 50\n60 70 80\n");
        Path mask = dir.resolve("mask.txt");
        Files.writeString(mask, "0 1 1 0\n1 1\n");
        Path out = dir.resolve("grads.safetensors");
        Run r = run("grad", "--model", modelDir.toString(), "--tokens", tokens.toString(), "--mask",
                mask.toString(), "--out", out.toString(), "--engine", "reference", "--precision", "f64");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("loss "), r.out());
        double printed = Double.parseDouble(r.out().strip().substring(5));

        // The same loss and gradient computed directly as one masked batch (4 targets counted).
        Transformer model = ModelDirectory.load(modelDir, new ReferenceEngine(Precision.F64)).model();
        double[] total = new double[model.layout().total()];
        double loss = 0;
        int[][] inputs = {{10, 20, 30, 40}, {60, 70}};
        int[][] targets = {{20, 30, 40, 50}, {70, 80}};
        float[][] weights = {{0, 0.25f, 0.25f, 0}, {0.25f, 0.25f}};
        for (int i = 0; i < 2; i++) {
            model.setInputs(inputs[i], targets[i], weights[i], 1, inputs[i].length);
            model.forward();
            model.backward();
            loss += model.loss();
            double[] g = new double[total.length];
            model.engine().download(model.gradients(), g, 0);
            for (int j = 0; j < g.length; j++) {
                total[j] += g[j];
            }
        }
        assertEquals(loss, printed, 1e-12);
        try (SafeTensors st = SafeTensors.open(out)) {
            assertEquals(model.layout().specs().size(), st.entries().size());
            var spec = model.layout().get("model.layers.1.mlp.up_proj.weight");
            float[] written = st.read(spec.name());
            float[] expected = new float[spec.size()];
            for (int j = 0; j < spec.size(); j++) {
                expected[j] = (float) total[spec.offset() + j];
            }
            assertArrayEquals(expected, written);
            boolean nonZero = false;
            for (float v : written) {
                nonZero |= v != 0;
            }
            assertTrue(nonZero);
        }
    }

    @Test
    void pretrainThenSample() throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "abcabcabc ".repeat(300));
        Path runDir = dir.resolve("run");
        Run r = run("pretrain", "--model", "llama-tiny", "--corpus", corpus.toString(), "--out", runDir.toString(),
                "--steps", "40", "--batch", "2", "--seq", "16", "--lr", "1e-2", "--warmup", "5", "--eval-every",
                "20", "--eval-batches", "2", "--engine", "reference", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(runDir.resolve("metrics.jsonl")));
        Run s = run("sample", "--model", runDir.toString(), "--prompt", "abca", "--steps", "12", "--temperature",
                "0", "--engine", "reference");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().startsWith("abca"), s.out());
        assertTrue(s.out().contains("bcabc"), "greedy continuation learned the pattern: " + s.out());
        assertFalse(s.out().isBlank());
    }

    @Test
    void demoRunsTheDemoStudyEndToEndAndResumes() throws Exception {
        Path out = dir.resolve("demo");
        String[] args = {"demo", "--out", out.toString(), "--model", "llama-tiny", "--pretrain-steps", "4",
                "--max-train", "40", "--max-test", "12", "--engine", "cpu"};
        Run first = run(args);
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("## Verdicts"), first.out());
        for (String f : new String[] {"plan.json", "world/corpus.txt", "world/train.jsonl", "report/report.json",
                "report/report.md", "report/curves.csv", "report/curves-llama-tiny.png"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        String report = Files.readString(out.resolve("report/report.json"));
        assertTrue(report.contains("\"testQuestions\" : 12"), report.substring(0, Math.min(400, report.length())));
        Run second = run(args);
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().contains(" 0 to run"), second.out());
        // The same report; the second run had no cell to run, so it adds no compute record.
        assertEquals(withoutCompute(report), withoutCompute(Files.readString(out.resolve("report/report.json"))));
        assertEquals(1, new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(out.resolve("report/report.json").toFile()).get("compute").get("runs").asInt());

        // The demo keeps the main arm's heads of its first head seed and says how to evaluate them.
        Path heads = out.resolve("heads/llama-tiny-s1");
        String command = "likra eval --model " + out.resolve("bases/llama-tiny-s1/best") + " --heads " + heads
                + " --data " + out.resolve("world/test.jsonl");
        assertTrue(second.out().contains(command), second.out());
        Run eval = run(command.substring("likra ".length()).split(" "));
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("likra"), eval.out());
    }

    private static com.fasterxml.jackson.databind.JsonNode withoutCompute(String reportJson) throws Exception {
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(reportJson);
        node.remove("compute");
        return node;
    }

    @Test
    void trainThenEval() throws Exception {
        Path model = savedModel("llama-tiny", 2);
        Path data = dir.resolve("q.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            sb.append("{\"id\":\"q").append(i).append("\",\"question\":\"Is ").append(i)
                    .append(" even?\",\"choices\":[\"yes\",\"no\"],\"answer\":").append(i % 2).append("}\n");
        }
        Files.writeString(data, sb.toString());
        Path heads = dir.resolve("heads");
        Run t = run("train", "--model", model.toString(), "--data", data.toString(), "--out", heads.toString(),
                "--batch", "4", "--engine", "reference");
        assertEquals(0, t.code(), t.err());
        assertTrue(Files.isRegularFile(heads.resolve("negative/adapter_model.safetensors")));
        // A DPO head goes beside the pair; the pair itself is replaced only with --overwrite.
        Run dpo = run("train", "--model", model.toString(), "--data", data.toString(), "--out", heads.toString(),
                "--head", "dpo", "--batch", "4", "--engine", "reference");
        assertEquals(0, dpo.code(), dpo.err());
        assertTrue(Files.isRegularFile(heads.resolve("dpo/adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(heads.resolve("positive/adapter_model.safetensors")));
        Run e = run("eval", "--model", model.toString(), "--heads", heads.toString(), "--data", data.toString(),
                "--engine", "reference");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("likra") && e.out().contains("/12)"), e.out());
        Run missing = run("eval", "--model", model.toString(), "--data", data.toString(), "--scorer", "likra",
                "--engine", "reference");
        assertOneLineError(missing, "needs a positive head");
    }

    /** An adapter config with a rank far above the model's dimensions: one line naming it, not a crash. */
    @Test
    void adapterWithAnImpossibleRankIsOneLineNamingItsConfig() throws Exception {
        Path model = savedModel("llama-tiny", 2);
        Path data = dir.resolve("q.jsonl");
        Files.writeString(data, "{\"id\":\"q\",\"question\":\"Is 2 even?\",\"choices\":[\"yes\",\"no\"],"
                + "\"answer\":0}\n");
        Path adapter = dir.resolve("huge");
        Files.createDirectories(adapter);
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 2000000000, "
                + "\"lora_alpha\": 8, \"target_modules\": [\"up_proj\"]}\n");
        Run r = run("eval", "--model", model.toString(), "--positive", adapter.toString(), "--scorer", "sft",
                "--data", data.toString(), "--engine", "reference");
        assertOneLineError(r, adapter.resolve("adapter_config.json") + ": LoRA rank 2000000000 exceeds");
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"r\": \"eight\", \"target_modules\": "
                + "[\"up_proj\"]}\n");
        assertOneLineError(run("eval", "--model", model.toString(), "--positive", adapter.toString(), "--scorer",
                "sft", "--data", data.toString(), "--engine", "reference"), "r must be an integer");
        assertOneLineError(run("train", "--model", model.toString(), "--data", data.toString(), "--out",
                dir.resolve("heads").toString(), "--rank", "100000", "--engine", "reference"),
                "LoRA rank 100000 exceeds");
    }

    /** curve says how many training questions it uses, writes its files and prints a key to its table. */
    @Test
    void curveReportsTheQuestionsItUsesAndKeysItsTable() throws Exception {
        Path model = savedModel("llama-tiny", 3);
        Path data = dir.resolve("q.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append("{\"id\":\"q").append(i).append("\",\"question\":\"Is ").append(i)
                    .append(" even?\",\"choices\":[\"yes\",\"no\"],\"answer\":").append(i % 2).append("}\n");
        }
        Files.writeString(data, sb.toString());
        Path out = dir.resolve("curve");
        Run r = run("curve", "--model", model.toString(), "--train", data.toString(), "--test", data.toString(),
                "--max-train", "8", "--max-test", "6", "--out", out.toString(), "--engine", "reference");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("8 of 40 training and 6 test questions"), r.out());
        assertTrue(r.out().contains("lr 0.01 (linear), 2 epochs, batch 16, with DPO"), r.out());
        assertTrue(r.out().contains("key:") && r.out().contains("likra     Likra: w+ log p+ - w- log p-")
                && r.out().contains("95% Wilson interval"), r.out());
        for (String f : new String[] {"curve.csv", "curve.json", "curve.png"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertTrue(Files.readString(out.resolve("curve.csv")).contains("\n8,dpo,"));
    }

    @Test
    void compareCurvesPlotsAndRejectsOtherFiles() throws Exception {
        Path csv = dir.resolve("curve.csv");
        Files.writeString(csv, "n,scorer,acc,acc_low,acc_high,acc_norm,acc_norm_low,acc_norm_high,correct,correct_norm,"
                + "total\n32,likra,0.5,0.4,0.6,0.5,0.4,0.6,5,5,10\n64,likra,0.7,0.6,0.8,0.6,0.5,0.7,7,6,10\n");
        Path png = dir.resolve("c.png");
        Run ok = run("compare", "--run", "a=" + csv, "--run", "b=" + csv, "--out", png.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.size(png) > 1000);
        Path other = dir.resolve("other.csv");
        Files.writeString(other, "x,y\n1,2\n");
        assertOneLineError(run("compare", "--run", "a=" + other, "--out", png.toString()), "not a curve.csv");
    }
}
