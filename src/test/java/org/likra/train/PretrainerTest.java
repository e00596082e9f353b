package org.likra.train;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.engine.AdamWSettings;
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

    /**
     * llama-tiny on {@code corpus} for {@code steps} steps of 2 x 16 tokens, seed 1, the last 10% held out and
     * evaluated every 100 steps on 1 batch, otherwise {@link PretrainOptions#DEFAULTS}.
     */
    static PretrainOptions tiny(Path corpus, int steps) {
        return PretrainOptions.DEFAULTS.withModel("llama-tiny").withCorpus(corpus.toString()).withSteps(steps)
                .withBatch(2, 16).withEvaluation(new PretrainOptions.Evaluation(0.1, 100, 1));
    }

    /** {@link #tiny} at seed 3, cosine from {@code lr} after 2 warm-up steps, evaluated every 3 steps on 2 batches. */
    private PretrainOptions options(Path corpus, int steps, double lr) {
        return tiny(corpus, steps).withSeed(3).withSchedule(PretrainOptions.Schedule.DEFAULT.withLr(lr).withWarmup(2))
                .withEvaluation(new PretrainOptions.Evaluation(0.1, 3, 2)).withCheckpointEvery(4);
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
        PretrainOptions o = tiny(corpus, 400).withBatch(4, 16).withSeed(3)
                .withSchedule(new PretrainOptions.Schedule("constant", 3e-2, 2, 0.1))
                .withOptimizer(AdamWSettings.PRETRAINING.withWeightDecay(0))
                .withEvaluation(new PretrainOptions.Evaluation(0.1, 2, 2)).withCheckpointEvery(1000);
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
        BestModel best = BestModel.read(out);
        assertEquals(bestStep, best.step());
        assertEquals(bestVal, best.valLoss(), 1e-6);
        assertTrue(r.steps() < 400, "stopped early, at step " + r.steps());
        assertTrue(best.stopped());
        assertEquals(bestStep + 2 * 2, lastStep, "stops two evaluations (4 steps) after the best one");
        assertTrue(Files.isRegularFile(out.resolve(BestModel.DIR).resolve("model.safetensors")));
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
    /** Every parameter and moment of a checkpoint, read back from its files. */
    private static void assertAllFinite(Path checkpoint) {
        org.likra.io.RawModel raw = org.likra.io.ModelDirectory.readRaw(checkpoint);
        assertEquals(null, org.likra.model.NonFinite.find(raw.layout(), raw.values()), "model.safetensors");
        try (org.likra.io.SafeTensors st = org.likra.io.SafeTensors.open(checkpoint.resolve(RunCheckpoint.OPTIMIZER))) {
            for (String name : st.entries().keySet()) {
                float[] v = st.read(name);
                assertEquals(null, org.likra.model.NonFinite.find(name, v, 0, v.length), name);
            }
        }
    }

    @Test
    void aDivergingRunStopsBeforeSavingAnythingNonFiniteAndNamesTheLastGoodCheckpoint() throws Exception {
        // lr 1e3 without warm-up: the gradient norm becomes NaN while the loss (computed before the update) is
        // still finite; before, the NaN update was applied and checkpointed as "the last good checkpoint".
        for (String schedule : new String[] {"cosine", "constant"}) {
            Path out = dir.resolve("diverge-" + schedule);
            PretrainOptions o = tiny(corpus(), schedule.equals("cosine") ? 20 : 6)
                    .withSchedule(new PretrainOptions.Schedule(schedule, 1e3, 0, 0.1)).withCheckpointEvery(1);
            UserError e = assertThrows(UserError.class, () -> run(o, out, false), schedule);
            assertTrue(e.getMessage().startsWith("the training diverged at step "), e.getMessage());
            Path checkpoint = RunCheckpoint.find(out);
            if (checkpoint == null) {
                assertTrue(e.getMessage().contains("no checkpoint was saved"), e.getMessage());
                continue;
            }
            assertAllFinite(checkpoint);
            for (Path other : new Path[] {out.resolve(RunCheckpoint.PREVIOUS)}) {
                if (Files.exists(other)) {
                    assertAllFinite(other);
                }
            }
            int step = RunCheckpoint.readState(checkpoint).step();
            assertTrue(e.getMessage().contains("the last good checkpoint (step " + step + ") is in " + checkpoint),
                    e.getMessage());
        }
    }

    @Test
    void eachSaveKeepsThePreviousCheckpointBesideTheNewOne() throws Exception {
        Path out = dir.resolve("generations");
        run(options(corpus(), 6, 1e-3), out, false);
        assertEquals(6, RunCheckpoint.readState(out.resolve(RunCheckpoint.DIR)).step());
        assertEquals(4, RunCheckpoint.readState(out.resolve(RunCheckpoint.PREVIOUS)).step());
        assertTrue(Files.notExists(out.resolve(RunCheckpoint.TMP)));
        // A crash between the renames of a save: checkpoint/ gone, checkpoint.previous/ complete.
        RunCheckpoint.deleteTree(out.resolve(RunCheckpoint.DIR));
        assertEquals(out.resolve(RunCheckpoint.PREVIOUS), RunCheckpoint.find(out));
        assertEquals(out.resolve(RunCheckpoint.PREVIOUS), org.likra.io.ModelDirectory.resolve(out));
    }

    @Test
    void aSaveThatDoesNotReadBackAsWrittenIsRefused() throws Exception {
        Path out = dir.resolve("verify");
        run(options(corpus(), 2, 1e-3), out, false);
        Path checkpoint = RunCheckpoint.find(out);
        org.likra.io.RawModel raw = org.likra.io.ModelDirectory.readRaw(checkpoint);
        int n = raw.values().length;
        float[] moment = new float[n];
        TrainerState state = RunCheckpoint.readState(checkpoint);
        try (org.likra.io.SafeTensors st = org.likra.io.SafeTensors.open(checkpoint.resolve(RunCheckpoint.OPTIMIZER))) {
            st.readInto("adamw.exp_avg", new int[] {n}, moment, 0);
        }
        float[] second = new float[n];
        try (org.likra.io.SafeTensors st = org.likra.io.SafeTensors.open(checkpoint.resolve(RunCheckpoint.OPTIMIZER))) {
            st.readInto("adamw.exp_avg_sq", new int[] {n}, second, 0);
        }
        RunCheckpoint.verify(checkpoint, raw.layout(), new RunCheckpoint.Snapshot(raw.values(), moment, second), state);
        float[] changed = raw.values().clone();
        changed[n / 2] += 1;
        assertThrows(java.io.IOException.class, () -> RunCheckpoint.verify(checkpoint, raw.layout(),
                new RunCheckpoint.Snapshot(changed, moment, second), state));
        assertThrows(java.io.IOException.class, () -> RunCheckpoint.verify(checkpoint, raw.layout(),
                new RunCheckpoint.Snapshot(raw.values(), moment, second), new TrainerState(state.step() + 1,
                        state.options(), state.corpusTokens(), state.corpusSha256(), state.elapsedSeconds())));
    }

    @Test
    void checkpointsAreSavedByTimeAsWellAsBySteps() throws Exception {
        Path out = dir.resolve("by-time");
        // checkpoint_every 1000: without the clock only the last step would be saved. The clock advances 11
        // minutes at each reading (once before the loop, once after each step) and records, at each reading, the
        // step of the checkpoint on disk.
        PretrainOptions o = tiny(corpus(), 4).withSchedule(PretrainOptions.Schedule.DEFAULT.withWarmup(2))
                .withCheckpointEvery(1000);
        java.util.List<Integer> onDisk = new java.util.ArrayList<>();
        long[] now = {0};
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Pretrainer(new ReferenceEngine(Precision.F32), new PrintStream(log), false).checkpointEveryMinutes(10)
                .clock(() -> {
                    Path c = RunCheckpoint.find(out);
                    onDisk.add(c == null ? 0 : RunCheckpoint.readState(c).step());
                    return now[0] += 11 * 60_000_000_000L;
                }).run(o, out, false);
        assertEquals(List.of(0, 0, 1, 2, 3), onDisk);
        assertTrue(log.toString().contains("step     1  checkpoint (11.0 minutes since the last)"), log.toString());
        assertEquals(4, RunCheckpoint.readState(RunCheckpoint.find(out)).step());
    }

    @Test
    void aStopRequestSavesACheckpointAndTheResumedRunIsBitIdentical() throws Exception {
        // What SIGINT and SIGTERM do (through StopOnSignal): stop after the current step with a checkpoint.
        Path corpus = corpus();
        Path straight = dir.resolve("straight-run");
        run(options(corpus, 10, 3e-3), straight, false);
        Path stopped = dir.resolve("stopped-run");
        Pretrainer trainer = new Pretrainer(new ReferenceEngine(Precision.F32),
                new PrintStream(new ByteArrayOutputStream()), false);
        int[] readings = {0};
        trainer.clock(() -> {
            if (++readings[0] == 4) {
                trainer.requestStop(); // read after step 3: the loop stops after step 4
            }
            return 0L;
        });
        Pretrainer.Interrupted e = assertThrows(Pretrainer.Interrupted.class,
                () -> trainer.run(options(corpus, 10, 3e-3), stopped, false));
        assertTrue(e.getMessage().contains("stopped after step 4 with a checkpoint"), e.getMessage());
        assertEquals(4, RunCheckpoint.readState(RunCheckpoint.find(stopped)).step());
        run(null, stopped, true);
        List<JsonNode> a = MetricsLog.read(straight.resolve("metrics.jsonl"));
        List<JsonNode> b = MetricsLog.read(stopped.resolve("metrics.jsonl"));
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).get("loss").asDouble(), b.get(i).get("loss").asDouble(), 0.0, "step " + (i + 1));
        }
        assertEquals(java.util.Arrays.toString(org.likra.io.ModelDirectory.readRaw(straight).values()),
                java.util.Arrays.toString(org.likra.io.ModelDirectory.readRaw(stopped).values()));
    }

    @Test
    void resumingAFinishedRunSaysSoAndDoesNothing() throws Exception {
        Path out = dir.resolve("finished");
        run(options(corpus(), 2, 1e-3), out, false);
        byte[] before = Files.readAllBytes(out.resolve("metrics.jsonl"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Pretrainer.Result r = new Pretrainer(new ReferenceEngine(Precision.F32), new PrintStream(log), false)
                .run(null, out, true);
        assertEquals(2, r.steps());
        assertTrue(log.toString().contains("the run is already finished"), log.toString());
        assertTrue(!log.toString().contains("NaN"), log.toString());
        assertEquals(new String(before), Files.readString(out.resolve("metrics.jsonl")));
    }
}
