package org.likra.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * trainer_state.json keeps the format that runs already on disk were written in (a study's base model of
 * 2026-12-07, as RunCheckpoint wrote it then): it reads back into the same options, and writing them gives the
 * same text, so that those runs resume.
 */
class TrainerStateFormatTest {
    private static final String WRITTEN = """
            {
              "step" : 1500,
              "options" : {
                "model" : "study-4m",
                "corpus" : "/work/study-main/world/corpus.txt",
                "steps" : 1500,
                "batch" : 16,
                "seq" : 128,
                "lr" : 0.002,
                "schedule" : "cosine",
                "warmup" : 100,
                "min_lr_fraction" : 0.1,
                "weight_decay" : 0.1,
                "beta1" : 0.9,
                "beta2" : 0.95,
                "adam_eps" : 1.0E-8,
                "grad_clip" : 1.0,
                "seed" : 1,
                "eval_every" : 100,
                "eval_batches" : 8,
                "checkpoint_every" : 100,
                "val_fraction" : 0.05,
                "tokenizer" : "bpe:1024"
              },
              "corpus_tokens" : 110563,
              "corpus_sha256" : "8eaf220e4fce0dee272aafbb5ac8de7c2a9a0f2c99738bd7b31cf1c290d7da9e",
              "elapsed_seconds" : 3151.610531606
            }
            """;

    private static PretrainOptions expected() {
        return PretrainOptions.DEFAULTS.withModel("study-4m").withCorpus("/work/study-main/world/corpus.txt")
                .withTokenizer("bpe:1024").withSteps(1500).withSchedule(new PretrainOptions.Schedule("cosine", 0.002,
                        100, 0.1)).withCheckpointEvery(100);
    }

    @Test
    void aSavedStateReadsBackAndIsWrittenAgainUnchanged(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(RunCheckpoint.STATE), WRITTEN);
        TrainerState state = RunCheckpoint.readState(dir);
        assertEquals(new TrainerState(1500, expected(), 110563,
                "8eaf220e4fce0dee272aafbb5ac8de7c2a9a0f2c99738bd7b31cf1c290d7da9e", 3151.610531606), state);
        assertEquals(WRITTEN, RunCheckpoint.stateJson(state));
    }
}
