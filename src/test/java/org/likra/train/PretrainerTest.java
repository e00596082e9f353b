package org.likra.train;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.util.UserError;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PretrainerTest {
    @TempDir
    Path dir;

    private Path corpus() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            text.append("the cat sat on the mat number ").append(i % 7).append(". ");
        }
        Path file = dir.resolve("corpus.txt");
        Files.writeString(file, text);
        return file;
    }

    private PretrainOptions options(Path corpus, int steps, double lr) {
        return new PretrainOptions("llama-tiny", corpus.toString(), steps, 2, 16, lr, "cosine", 2, 0.1, 0.1, 0.9,
                0.95, 1e-8, 1.0, 3, 3, 2, 4, 0.1);
    }

    private Pretrainer.Result run(PretrainOptions o, Path out, boolean resume) throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        return new Pretrainer(new ReferenceEngine(Precision.F32), quiet, false).run(o, out, resume);
    }

    @Test
    void resumeAfterACheckpointContinuesExactly() throws Exception {
        Path corpus = corpus();
        Path straight = dir.resolve("straight");
        run(options(corpus, 10, 3e-3), straight, false);

        // The same run stopped after step 7 (its checkpoint is of step 7, between the every-4-steps ones),
        // then resumed.
        Path broken = dir.resolve("broken");
        new Pretrainer(new ReferenceEngine(Precision.F32), new PrintStream(new ByteArrayOutputStream()), false)
                .stopAfter(7).run(options(corpus, 10, 3e-3), broken, false);
        assertEquals(7, RunCheckpoint.readState(RunCheckpoint.find(broken)).step());
        Pretrainer.Result result = run(null, broken, true);
        assertEquals(10, result.steps());

        List<JsonNode> a = MetricsLog.read(straight.resolve("metrics.jsonl"));
        List<JsonNode> b = MetricsLog.read(broken.resolve("metrics.jsonl"));
        assertEquals(a.size(), b.size(), "metrics.jsonl holds one record per step, stale ones dropped");
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).get("step").asInt(), b.get(i).get("step").asInt());
            assertEquals(a.get(i).get("loss").asDouble(), b.get(i).get("loss").asDouble(), 0.0,
                    "loss at step " + a.get(i).get("step"));
        }
    }

    @Test
    void heldOutLossFallsBelowTheUnigramEntropy() throws Exception {
        Pretrainer.Result r = run(options(corpus(), 60, 1e-2), dir.resolve("learn"), false);
        assertTrue(r.lastValLoss() < r.unigramEntropy(), "held-out " + r.lastValLoss() + " vs unigram "
                + r.unigramEntropy());
        assertTrue(Files.isRegularFile(dir.resolve("learn/loss.png")));
    }

    @Test
    void aSecondRunIntoTheSameDirectoryIsRefused() throws Exception {
        Path corpus = corpus();
        run(options(corpus, 2, 1e-3), dir.resolve("r"), false);
        UserError e = assertThrows(UserError.class, () -> run(options(corpus, 2, 1e-3), dir.resolve("r"), false));
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
    }

    @Test
    void divergenceIsReportedAndTheLastCheckpointSurvives() throws Exception {
        Path corpus = corpus();
        Path out = dir.resolve("diverge");
        UserError e = assertThrows(UserError.class, () -> run(options(corpus, 40, 1e30), out, false));
        assertTrue(e.getMessage().contains("loss became"), e.getMessage());
        Path checkpoint = RunCheckpoint.find(out);
        if (checkpoint != null) {
            assertNotNull(RunCheckpoint.readState(checkpoint));
        }
    }

    @Test
    void anInterruptedSaveLeavesTheOldCheckpointUsable() throws Exception {
        Path out = dir.resolve("crash");
        run(options(corpus(), 4, 1e-3), out, false);
        // A crash between "move checkpoint to checkpoint.old" and "move checkpoint.tmp to checkpoint":
        Files.move(out.resolve("checkpoint"), out.resolve("checkpoint.old"));
        Files.createDirectories(out.resolve("checkpoint.tmp"));
        Path found = RunCheckpoint.find(out);
        assertEquals(out.resolve("checkpoint.old"), found);
        assertEquals(4, RunCheckpoint.readState(found).step());
        assertEquals(out.resolve("checkpoint.old"), org.likra.io.ModelDirectory.resolve(out));
        // Resuming from it and saving again never leaves the run without a complete checkpoint.
        Pretrainer.Result r = run(options(corpus(), 6, 1e-3).withSteps(6), out, true);
        assertEquals(6, r.steps());
        assertEquals(6, RunCheckpoint.readState(RunCheckpoint.find(out)).step());
        assertTrue(Files.notExists(out.resolve("checkpoint.old")));
        assertTrue(Files.notExists(out.resolve("checkpoint.tmp")));
    }

    @Test
    void stopWhenNoBetterKeepsTheLowestHeldOutLossModelAndStopsAfterPatience() throws Exception {
        // A high learning rate on a small corpus: the held-out loss falls, then stops improving.
        Path corpus = corpus();
        Path out = dir.resolve("early");
        PretrainOptions o = new PretrainOptions("llama-tiny", corpus.toString(), 400, 4, 16, 3e-2, "constant", 2,
                0.1, 0.0, 0.9, 0.95, 1e-8, 1.0, 3, 2, 2, 1000, 0.1);
        Pretrainer.Result r = new Pretrainer(new ReferenceEngine(Precision.F32),
                new PrintStream(new ByteArrayOutputStream()), false).stopWhenNoBetter(2).run(o, out, false);
        List<JsonNode> records = MetricsLog.read(out.resolve("metrics.jsonl"));
        int bestStep = 0;
        double bestVal = Double.POSITIVE_INFINITY;
        int lastStep = 0;
        for (JsonNode n : records) {
            lastStep = n.get("step").asInt();
            if (n.has("val_loss") && n.get("val_loss").asDouble() < bestVal) {
                bestVal = n.get("val_loss").asDouble();
                bestStep = lastStep;
            }
        }
        Pretrainer.BestModel best = Pretrainer.BestModel.read(out);
        assertEquals(bestStep, best.step());
        assertEquals(bestVal, best.valLoss(), 1e-6);
        assertTrue(r.steps() < 400, "stopped early, at step " + r.steps());
        assertTrue(best.stopped());
        assertEquals(bestStep + 2 * 2, lastStep, "stops two evaluations (4 steps) after the best one");
        assertTrue(Files.isRegularFile(out.resolve(Pretrainer.BEST).resolve("model.safetensors")));
    }

    @Test
    void aMovedRunResumesWithItsCorpusGivenAtItsNewPath() throws Exception {
        Path corpus = corpus();
        Path run = dir.resolve("moved");
        new Pretrainer(new ReferenceEngine(Precision.F32), new PrintStream(new ByteArrayOutputStream()), false)
                .stopAfter(5).run(options(corpus, 8, 3e-3), run, false);
        Path movedCorpus = dir.resolve("elsewhere.txt");
        Files.move(corpus, movedCorpus);
        assertThrows(UserError.class, () -> run(null, run, true), "the recorded corpus is gone");
        Pretrainer.Result r = run(options(movedCorpus, 8, 3e-3), run, true);
        assertEquals(8, r.steps());
        assertEquals(movedCorpus.toString(), RunCheckpoint.readState(RunCheckpoint.find(run)).options().corpus());
    }
}
