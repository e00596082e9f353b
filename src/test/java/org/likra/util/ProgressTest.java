package org.likra.util;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest {
    /** A clock the test moves by hand. */
    private static final class Clock {
        long nanos;

        void advanceSeconds(double s) {
            nanos += (long) (s * 1e9);
        }
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Clock clock = new Clock();
    private final Progress progress = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), false,
            () -> clock.nanos, Duration.ofSeconds(20));

    private List<String> lines() {
        String text = out.toString(StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }

    @Test
    void plainLinesComeOncePerIntervalWithRateAndEtaAndOneAtTheEnd() {
        progress.stage("positive head", 1000, "examples");
        for (int i = 1; i <= 1000; i++) {
            clock.advanceSeconds(0.1);          // 10 examples/s: 100 s in all
            progress.stepTo(i, "loss 1.2345");
        }
        progress.done();
        List<String> lines = lines();
        // 20, 40, 60, 80 and 100 s into the stage, then the closing line.
        assertEquals(6, lines.size(), String.join("\n", lines));
        assertEquals("  positive head          200/1000 examples (20%)  10.0/s  ETA 1:20  loss 1.2345", lines.get(0));
        assertEquals("  positive head          800/1000 examples (80%)  10.0/s  ETA 20 s  loss 1.2345", lines.get(3));
        assertEquals("  positive head          done: 1000 examples in 1:40 (10.0/s)  loss 1.2345", lines.get(5));
    }

    @Test
    void aShortStagePrintsOnlyItsClosingLineAndTheNextStageStartsItsOwnClock() {
        progress.stage("base model scores", 50, "questions");
        for (int i = 1; i <= 50; i++) {
            clock.advanceSeconds(0.1);
            progress.step();
        }
        progress.stage("evaluation", 4, "questions");
        clock.advanceSeconds(19);
        progress.step();                        // 19 s into this stage: no line yet
        clock.advanceSeconds(1);
        progress.step();                        // 20 s: one
        progress.done();
        assertEquals(List.of(
                "  base model scores      done: 50 questions in 5.0 s (10.0/s)",
                "  evaluation             2/4 questions (50%)  0.10/s  ETA 20 s",
                "  evaluation             done: 2 questions in 20 s (0.10/s)"), lines());
    }

    @Test
    void aResumedStageCountsItsRateFromWhereItStartedAndAnUnknownTotalHasNoEta() {
        progress.stage("pretrain", 1000, "steps", 600);
        clock.advanceSeconds(20);
        progress.stepTo(640);
        progress.stage("sample", 0, "tokens");
        clock.advanceSeconds(25);
        progress.stepTo(50);
        progress.done();
        assertEquals(List.of(
                "  pretrain               640/1000 steps (64%)  2.00/s  ETA 3:00",
                "  pretrain               done: 640 steps in 20 s (2.00/s)",
                "  sample                 50 tokens  2.00/s",
                "  sample                 done: 50 tokens in 25 s (2.00/s)"), lines());
    }

    @Test
    void terminalLinesFitTheirWidthDroppingTheBarBeforeTheMessage() {
        ProgressLine early = new ProgressLine("pretrain", "steps", 0, 420, 1000, 135.5, "loss 2.123 val 2.345");
        String wide = early.terminal(false, 120);
        assertEquals("pretrain  42% [============                  ] 420/1000 3.10 steps/s ETA 3:07  "
                + "loss 2.123 val 2.345", wide);
        String eighty = early.terminal(false, 79);
        assertTrue(eighty.length() <= 79 && eighty.contains("[") && eighty.endsWith("val 2.345"), eighty);
        ProgressLine late = new ProgressLine("pretrain", "steps", 0, 12345, 20000, 3982.3, "loss 2.123 val 2.345");
        assertEquals("pretrain  61% 12345/20000 3.10 steps/s ETA 41:09  loss 2.123 val 2.345",
                late.terminal(false, 70));
        assertEquals("pretrain  61% 12345/20000 3.10 steps/s ETA 41:09  loss 2.1", late.terminal(false, 58));
        assertEquals("pretrain 100% [==========] 20000/20000 5.02 steps/s in 1:06:24",
                new ProgressLine("pretrain", "steps", 0, 20000, 20000, 3984, "").terminal(true, 62));
    }

    @Test
    void ratesAndDurationsReadEasily() {
        assertEquals("?", ProgressLine.rate(Double.NaN));
        assertEquals("1234", ProgressLine.rate(1234.4));
        assertEquals("12.3", ProgressLine.rate(12.34));
        assertEquals("1.23", ProgressLine.rate(1.234));
        assertEquals("4.2 s", ProgressLine.duration(4.2));
        assertEquals("42 s", ProgressLine.duration(42.2));
        assertEquals("4:02", ProgressLine.duration(242));
        assertEquals("1:04:02", ProgressLine.duration(3842));
        assertEquals("?", ProgressLine.duration(Double.NaN));
    }
}
