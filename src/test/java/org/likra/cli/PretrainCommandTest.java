package org.likra.cli;

import org.junit.jupiter.api.Test;
import org.likra.engine.AdamWSettings;
import org.likra.train.PretrainOptions;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * pretrain's options become PretrainOptions: its defaults are PretrainOptions.DEFAULTS, and each option lands in
 * its field.
 */
class PretrainCommandTest {
    private static PretrainOptions parse(String... args) {
        PretrainCommand command = new PretrainCommand();
        new CommandLine(command).parseArgs(args);
        return command.options();
    }

    @Test
    void theDefaultsArePretrainOptionsDefaults() {
        assertEquals(PretrainOptions.DEFAULTS.withCorpus("c.txt"), parse("--corpus", "c.txt", "--out", "o"));
        assertEquals(0, parse("--resume", "--out", "o").steps(), "a resumed run keeps its own steps");
    }

    @Test
    void eachOptionLandsInItsField() {
        PretrainOptions o = parse("--corpus", "c.txt", "--out", "o", "--model", "llama-tiny", "--steps", "7",
                "--batch", "3", "--seq", "9", "--lr", "0.5", "--schedule", "constant", "--warmup", "4",
                "--min-lr-fraction", "0.25", "--weight-decay", "0.01", "--beta1", "0.8", "--beta2", "0.7",
                "--adam-eps", "1e-6", "--grad-clip", "2", "--seed", "11", "--eval-every", "6", "--eval-batches", "5",
                "--checkpoint-every", "13", "--val-fraction", "0.2", "--tokenizer", "bpe:300");
        assertEquals(new PretrainOptions("llama-tiny", "c.txt", "bpe:300", 7, 3, 9, 11,
                new PretrainOptions.Schedule("constant", 0.5, 4, 0.25), new AdamWSettings(0.8f, 0.7f, 1e-6f, 0.01f, 2f),
                new PretrainOptions.Evaluation(0.2, 6, 5), 13), o);
    }
}
