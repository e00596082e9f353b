package org.likra.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.likra.config.Presets;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.io.ModelDirectory;
import org.likra.io.RawModel;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraConfig;
import org.likra.lora.LoraFiles;
import org.likra.model.Initializer;
import org.likra.model.ParameterSpec;
import org.likra.model.Transformer;
import org.likra.tokenize.TokenizerSpec;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The corpus of bad input, in one table: each case is a command line (run in-process through {@link Main}), the exit
 * code it must end with and a fragment of what it must print. A failing command prints exactly one line, "likra:
 * ...", on stderr; a command that exits 0 prints the fragment on stdout. {@code {name}} in a case stands for a
 * fixture file made by {@link #fixtures()}; {@code {out}} for a new path that no case shares.
 */
class BadInputTest {
    @TempDir
    static Path fixtures;
    @TempDir
    Path scratch;
    private static FileChannel lockChannel;
    private static FileLock heldLock;

    static Stream<Arguments> cases() {
        String tiny = " --engine reference";
        String eval = "eval --scorer base --model ";
        String pretrain = "pretrain --model llama-tiny --corpus {corpus.txt} --batch 2 --seq 16 --no-progress" + tiny;
        return Stream.of(
                // Questions that cannot be scored: one line naming the file and the line.
                bad(eval + "{model} --data {empty-choice.jsonl}" + tiny, 1,
                        "{empty-choice.jsonl}:2: choices[1] is empty"),
                bad(eval + "{model} --data {empty-question.jsonl}" + tiny, 1,
                        "{empty-question.jsonl}:1: field \"question\" is empty"),
                bad(eval + "{model} --data {identical-choices.jsonl}" + tiny, 1,
                        "{identical-choices.jsonl}:1: choices[2] repeats choices[0] (\"Velis\")"),
                bad(eval + "{model} --data {empty.jsonl}" + tiny, 1, "{empty.jsonl}: no questions in it"),
                bad("train --model {model} --data {blank-lines.jsonl} --out {out}" + tiny, 1,
                        "{blank-lines.jsonl}: no questions in it"),
                bad(eval + "{model} --data {latin1.jsonl}" + tiny, 1,
                        "{latin1.jsonl}:2: not valid UTF-8 text"),
                bad(eval + "{model} --data {empty-choice_test.csv}" + tiny, 1,
                        "{empty-choice_test.csv}:2: question empty-choice_test/1: choice 2 is empty"),
                bad(eval + "{model} --data {arc-empty-stem.jsonl}" + tiny, 1,
                        "{arc-empty-stem.jsonl}:1: question arc-1 has an empty question text"),
                // Published sets keep their questions with identical choices, and eval says so.
                bad(eval + "{model} --data {identical_test.csv}" + tiny, 0,
                        "note: 1 question with two identical choices (the first: identical_test/0, choices 0 and 2"),

                // Non-finite weights are refused at load, naming the tensor; non-finite outputs are refused too.
                bad(eval + "{nan-model} --data {good.jsonl}" + tiny, 1,
                        "{nan-model}/model.safetensors: tensor model.layers.0.mlp.up_proj.weight holds NaN (element 3"),
                bad("sample --model {nan-model} --prompt ab --steps 3" + tiny, 1,
                        "tensor model.layers.0.mlp.up_proj.weight holds NaN"),
                bad(eval + "{inf-model} --data {good.jsonl}" + tiny, 1,
                        "tensor model.norm.weight holds Infinity"),
                bad("eval --model {model} --positive {nan-head} --scorer sft --data {good.jsonl}" + tiny, 1,
                        "{nan-head}/adapter_model.safetensors: tensor base_model.model.model.layers.0.mlp.up_proj"
                                + ".lora_B.weight holds NaN"),
                bad(eval + "{overflow-model} --data {good.jsonl}" + tiny, 1,
                        "the log-likelihood under the base model is NaN"),
                bad("sample --model {overflow-model} --prompt ab --steps 3 --temperature 0" + tiny, 1,
                        "the model's logits for token 3 hold NaN"),

                // A diverging run stops with the last good checkpoint, never calling a NaN state good.
                bad(pretrain + " --out {out} --lr 1e3 --warmup 0 --checkpoint-every 1 --steps 20", 1,
                        "the training diverged at step"),
                bad(pretrain + " --out {out} --lr 1e3 --warmup 0 --checkpoint-every 1 --steps 6 --schedule constant",
                        1, "the training diverged at step"),
                // Runs: a locked folder, a checkpoint without its corpus fingerprint, a finished run.
                bad(pretrain + " --out {locked-run} --steps 2", 1,
                        "{locked-run} is in use by another likra pretrain run"),
                bad("pretrain --resume --out {run-without-sha}" + tiny, 1,
                        "{run-without-sha}/checkpoint/trainer_state.json has no \"corpus_sha256\" field"),
                bad("pretrain --resume --out {finished-run}" + tiny, 0,
                        "{finished-run}: the run is already finished: its checkpoint is of step 2"),
                bad("pretrain --resume --out {finished-run} --lr 0.5 --batch 3" + tiny, 0,
                        "note: --batch, --lr are ignored with --resume"),
                bad("train --model {model} --data {good.jsonl} --head negative --out {heads}" + tiny, 1,
                        "{heads} already holds positive/ from another run; pass --overwrite to replace negative/, "
                                + "positive/"),

                // I/O errors: one line naming the file and what to do.
                bad(pretrain + " --out {corpus.txt} --steps 2", 1,
                        "{corpus.txt} is a file, not a folder; choose another --out"),
                bad("train --model {model} --data {good.jsonl} --out {corpus.txt}" + tiny, 1,
                        "{corpus.txt} is a file, not a folder; choose another --out"),
                bad("grad --model {model} --tokens {tokens.txt} --out {corpus.txt}/g.safetensors" + tiny, 1,
                        "{corpus.txt} is a file, not a folder"));
    }

    private static Arguments bad(String commandLine, int exitCode, String fragment) {
        return Arguments.of(commandLine, exitCode, fragment);
    }

    @ParameterizedTest(name = "[{index}] likra {0}")
    @MethodSource("cases")
    void answersWithOneLine(String commandLine, int exitCode, String fragment) {
        Path out = scratch.resolve("out");
        String[] args = substitute(commandLine, out).split(" ");
        String expected = substitute(fragment, out);
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        PrintStream savedOut = System.out;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = cl.execute(args);
        } finally {
            System.setOut(savedOut);
        }
        String printed = stdout.toString(StandardCharsets.UTF_8);
        assertEquals(exitCode, code, "exit code; stderr: " + err + "; stdout: " + printed);
        if (exitCode == 0) {
            assertTrue(printed.contains(expected), "expected on stdout: " + expected + "\nstdout: " + printed);
            return;
        }
        String[] lines = err.toString().strip().split("\n");
        assertEquals(1, lines.length, "exactly one line on stderr: " + err);
        assertTrue(lines[0].startsWith("likra: "), lines[0]);
        assertTrue(lines[0].contains(expected), "expected: " + expected + "\nprinted:  " + lines[0]);
    }

    private static String substitute(String text, Path out) {
        Matcher m = Pattern.compile("\\{([^}]+)}").matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            Path path = name.equals("out") ? out : fixtures.resolve(name);
            m.appendReplacement(sb, Matcher.quoteReplacement(path.toString()));
        }
        return m.appendTail(sb).toString();
    }

    @BeforeAll
    static void fixtures() throws Exception {
        write("good.jsonl", question("q1", "Where does Tomar live?", "\"Velis\", \"Oran\"", 0)
                + question("q2", "What colour is the sky?", "\"blue\", \"green\"", 0));
        write("empty-choice.jsonl", question("q1", "Where?", "\"Velis\", \"Oran\"", 0)
                + question("q2", "Where else?", "\"Velis\", \"\", \"Oran\"", 0));
        write("empty-question.jsonl", question("q1", "", "\"Velis\", \"Oran\"", 0));
        write("identical-choices.jsonl", question("q1", "Where?", "\"Velis\", \"Oran\", \"Velis\"", 0));
        write("empty.jsonl", "");
        write("blank-lines.jsonl", "\n  \n\n");
        Files.write(fixtures.resolve("latin1.jsonl"), (question("q1", "Where?", "\"Velis\", \"Oran\"", 0)
                + question("q2", "Caf\u00e9?", "\"yes\", \"no\"", 0)).getBytes(StandardCharsets.ISO_8859_1));
        write("empty-choice_test.csv", "Q one?,a,b,c,d,A\nQ two?,a,b,,d,B\n");
        write("identical_test.csv", "Q one?,same,b,same,d,A\nQ two?,a,b,c,d,B\n");
        write("arc-empty-stem.jsonl", "{\"id\": \"arc-1\", \"question\": {\"stem\": \" \", \"choices\": [{\"label\": "
                + "\"A\", \"text\": \"x\"}, {\"label\": \"B\", \"text\": \"y\"}]}, \"answerKey\": \"A\"}\n");
        write("corpus.txt", "the cat sat on the mat. the dog ran far away. ".repeat(60));
        write("tokens.txt", "1 2 3 4\n");

        Path model = savedModel("model");
        RawModel raw = ModelDirectory.readRaw(model);
        ModelDirectory.save(fixtures.resolve("nan-model"), withValue(raw, "model.layers.0.mlp.up_proj.weight", 3,
                Float.NaN));
        ModelDirectory.save(fixtures.resolve("inf-model"), withValue(raw, "model.norm.weight", 0,
                Float.POSITIVE_INFINITY));
        // Finite weights whose outputs overflow: the final norm's weights near the float maximum.
        RawModel overflow = raw;
        ParameterSpec norm = raw.layout().get("model.norm.weight");
        for (int i = 0; i < norm.size(); i++) {
            overflow = withValue(overflow, norm.name(), i, 3e38f);
        }
        ModelDirectory.save(fixtures.resolve("overflow-model"), overflow);

        Transformer base = ModelDirectory.load(model, new ReferenceEngine(Precision.F32)).model();
        LoraAdapter head = new LoraAdapter(base, new LoraConfig(2, 2, List.of("up_proj")));
        float[] values = new float[head.parameters().length()];
        values[head.sites().get("model.layers.0.mlp.up_proj").bOffset] = Float.NaN;
        head.load(values);
        LoraFiles.save(fixtures.resolve("nan-head"), head, model.toString());

        // A finished two-step run, and a copy of it whose trainer_state.json lacks corpus_sha256.
        Path finished = fixtures.resolve("finished-run");
        assertEquals(0, Main.commandLine().execute(("pretrain --model llama-tiny --corpus " + fixtures.resolve(
                "corpus.txt") + " --out " + finished + " --steps 2 --batch 2 --seq 16 --eval-every 1 --eval-batches 1 "
                + "--no-progress --engine reference").split(" ")));
        Path noSha = fixtures.resolve("run-without-sha/checkpoint");
        Files.createDirectories(noSha);
        try (Stream<Path> files = Files.list(finished.resolve("checkpoint"))) {
            for (Path f : files.toList()) {
                Files.copy(f, noSha.resolve(f.getFileName()));
            }
        }
        Path state = noSha.resolve("trainer_state.json");
        Files.writeString(state, Files.readString(state).replaceAll("\"corpus_sha256\" : \"[0-9a-f]+\",", ""));

        Files.createDirectories(fixtures.resolve("heads/positive"));

        // A run folder that another run holds (its lock file locked).
        Path locked = fixtures.resolve("locked-run");
        Files.createDirectories(locked);
        lockChannel = FileChannel.open(locked.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        heldLock = lockChannel.lock();
    }

    @AfterAll
    static void releaseLock() throws Exception {
        heldLock.release();
        lockChannel.close();
    }

    private static String question(String id, String question, String choices, int answer) {
        return "{\"id\": \"" + id + "\", \"question\": \"" + question + "\", \"choices\": [" + choices
                + "], \"answer\": " + answer + "}\n";
    }

    private static void write(String name, String content) throws Exception {
        Files.writeString(fixtures.resolve(name), content);
    }

    private static Path savedModel(String name) throws Exception {
        Transformer model = new Transformer(Presets.load("llama-tiny"), new ReferenceEngine(Precision.F32));
        Initializer.initialize(model, 1);
        Path out = fixtures.resolve(name);
        ModelDirectory.save(out, model, TokenizerSpec.BYTE);
        return out;
    }

    private static RawModel withValue(RawModel raw, String tensor, int index, float value) {
        float[] values = raw.values().clone();
        values[raw.layout().get(tensor).offset() + index] = value;
        return new RawModel(raw.config(), raw.tokenizer(), values, Map.of());
    }
}
