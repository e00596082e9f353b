package org.likra.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.io.ModelDirectory;
import org.likra.io.Tokenizers;
import org.likra.train.MetricsLog;
import org.likra.train.PretrainOptions;
import org.likra.train.Pretrainer;
import org.likra.train.RunCheckpoint;
import org.likra.train.TrainerState;
import org.likra.util.UserError;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pretraining with a BPE tokenizer trained on the corpus: saved in the checkpoint, read back, kept on resume. */
class BpePretrainTest {
    @TempDir
    Path dir;

    private PretrainOptions options(Path corpus, int steps, String tokenizer) {
        return PretrainOptions.DEFAULTS.withModel("llama-tiny").withCorpus(corpus.toString()).withTokenizer(tokenizer)
                .withSteps(steps).withBatch(2, 16).withSeed(3)
                .withSchedule(PretrainOptions.Schedule.DEFAULT.withLr(3e-3).withWarmup(2))
                .withEvaluation(new PretrainOptions.Evaluation(0.1, 3, 2)).withCheckpointEvery(4);
    }

    private Pretrainer trainer(ByteArrayOutputStream log) {
        return new Pretrainer(new ReferenceEngine(Precision.F32), new PrintStream(log, true, StandardCharsets.UTF_8),
                false);
    }

    @Test
    void bpeRunSavesItsTokenizerAndResumesWithIt() throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, BpeTokenizerTest.corpus(20_000, 21));
        Path run = dir.resolve("run");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        trainer(log).stopAfter(3).run(options(corpus, 6, "bpe:300"), run, false);
        String header = log.toString(StandardCharsets.UTF_8);
        assertTrue(header.contains("tokenizer bpe:300 (300 ids, ") && header.contains(" tokens/byte"), header);

        Path checkpoint = RunCheckpoint.find(run);
        assertTrue(Files.isRegularFile(checkpoint.resolve("tokenizer.json")));
        String text = Files.readString(corpus);
        BpeTokenizer expected = BpeTokenizer.train(text.substring(0, (int) Math.round(text.length() * 0.9)), 300);
        try (ReferenceEngine engine = new ReferenceEngine(Precision.F32)) {
            ModelDirectory.Loaded loaded = ModelDirectory.load(run, engine);
            assertEquals(expected, loaded.tokenizer(), "the checkpoint holds the tokenizer trained on the corpus");
            assertEquals(300, loaded.model().config().vocab(), "the model's vocabulary is the tokenizer's");
            assertArrayEquals(expected.encode(text), loaded.tokenizer().encode(text));
        }
        assertEquals("bpe:300", RunCheckpoint.readState(checkpoint).options().tokenizer());

        // Resuming reads the tokenizer from the checkpoint (a changed tokenizer.json would change the tokens and be
        // refused as a different corpus) and runs to the end.
        Pretrainer.Result result = trainer(new ByteArrayOutputStream()).run(null, run, true);
        assertEquals(6, result.steps());
        assertEquals(expected, Tokenizers.load(BpeTokenizer.SPEC, RunCheckpoint.find(run)));

        // The same run without interruption gives the same losses.
        Path straight = dir.resolve("straight");
        trainer(new ByteArrayOutputStream()).run(options(corpus, 6, "bpe:300"), straight, false);
        List<JsonNode> a = MetricsLog.read(straight.resolve("metrics.jsonl"));
        List<JsonNode> b = MetricsLog.read(run.resolve("metrics.jsonl"));
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).get("loss").asDouble(), b.get(i).get("loss").asDouble(), 0.0);
        }
    }

    @Test
    void resumeUsesTheSavedTokenizerNotARetrainedOne() throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, BpeTokenizerTest.corpus(20_000, 22));
        Path run = dir.resolve("run");
        trainer(new ByteArrayOutputStream()).stopAfter(2).run(options(corpus, 4, "bpe:300"), run, false);
        // Replace the saved tokenizer by one with fewer merges: its tokens differ, so the resume is refused.
        Path checkpoint = RunCheckpoint.find(run);
        BpeTokenizer.train(Files.readString(corpus), 280).write(checkpoint.resolve("tokenizer.json"));
        UserError e = assertThrows(UserError.class, () -> trainer(new ByteArrayOutputStream()).run(null, run, true));
        assertTrue(e.getMessage().contains("the corpus differs"), e.getMessage());
    }

    @Test
    void badTokenizerValuesAreUserErrors() throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "some text");
        for (String value : new String[] {"bpe", "bpe:x", "bpe:256", "bpe:70000", "wordpiece"}) {
            UserError e = assertThrows(UserError.class, () -> trainer(new ByteArrayOutputStream())
                    .run(options(corpus, 2, value), dir.resolve("bad"), false));
            assertTrue(e.getMessage().startsWith("--tokenizer " + value + ": "), e.getMessage());
            assertTrue(Files.notExists(dir.resolve("bad")), "nothing is written for " + value);
        }
        assertEquals(0, PretrainOptions.bpeVocab("byte"));
        assertEquals(1024, PretrainOptions.bpeVocab("bpe:1024"));
    }

    @Test
    void optionsWithoutATokenizerReadAsByte() throws Exception {
        PretrainOptions old = PretrainOptions.DEFAULTS.withModel("llama-tiny").withCorpus("c.txt").withSteps(5);
        assertEquals("byte", old.tokenizer());
        ObjectMapper json = new ObjectMapper();
        String written = json.writeValueAsString(new TrainerState(5, old, 100, "abc", 1.0));
        String withoutField = written.replace(",\"tokenizer\":\"byte\"", "");
        assertTrue(!withoutField.contains("tokenizer"), withoutField);
        assertEquals(old, json.readValue(withoutField, TrainerState.class).options());
        PretrainOptions bpe = old.withTokenizer("bpe:512");
        assertEquals(bpe, json.readValue(json.writeValueAsString(new TrainerState(5, bpe, 100, "abc", 1.0)),
                TrainerState.class).options());
        assertEquals("bpe:512", bpe.withSteps(9).tokenizer());
    }
}
