package org.likra.experiment;

import org.junit.jupiter.api.Test;
import org.likra.lora.LoraConfig;
import org.likra.util.UserError;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A head's learning-rate schedule and the checks on its settings. */
class HeadRecipeTest {
    static final LoraConfig LORA = new LoraConfig(4, 8, LoraConfig.MLP);

    static HeadRecipe recipe(double lr, String schedule) {
        return new HeadRecipe(LORA, lr, schedule, 1, 16, 1.0, 0.1);
    }

    @Test
    void constantKeepsThePeak() {
        HeadRecipe r = recipe(0.01, "constant");
        assertEquals(0.01, r.lrAt(0, 100), 0);
        assertEquals(0.01, r.lrAt(50, 100), 0);
        assertEquals(0.01, r.lrAt(99, 100), 0);
    }

    @Test
    void linearFallsFromThePeakTowardZero() {
        HeadRecipe r = recipe(0.01, "linear");
        assertEquals(0.01, r.lrAt(0, 100), 1e-15);
        assertEquals(0.005, r.lrAt(50, 100), 1e-15);
        assertEquals(0.0001, r.lrAt(99, 100), 1e-15, "the last update still moves (Hugging Face's schedule)");
        assertEquals(0.0075, r.lrAt(1, 4), 1e-15);
    }

    @Test
    void cosineFallsFromThePeakTowardZero() {
        HeadRecipe r = recipe(0.01, "cosine");
        assertEquals(0.01, r.lrAt(0, 100), 1e-15);
        assertEquals(0.005, r.lrAt(50, 100), 1e-15);
        assertEquals(0.01 * 0.5 * (1 + Math.cos(Math.PI * 0.99)), r.lrAt(99, 100), 1e-15);
        assertTrue(r.lrAt(99, 100) > 0 && r.lrAt(99, 100) < 1e-5, "last " + r.lrAt(99, 100));
        // Cosine stays above linear in the first half.
        assertTrue(r.lrAt(25, 100) > recipe(0.01, "linear").lrAt(25, 100));
    }

    @Test
    void aSingleUpdateUsesThePeak() {
        for (String s : HeadRecipe.SCHEDULES) {
            assertEquals(0.02, recipe(0.02, s).lrAt(0, 1), 0, s);
        }
    }

    @Test
    void scheduleNamesIgnoreCase() {
        assertEquals("cosine", recipe(0.01, "Cosine").schedule());
    }

    @Test
    void withChangesOnlyLrAndEpochs() {
        HeadRecipe r = new HeadRecipe(LORA, 0.01, "cosine", 1, 8, 0.5, 0.2).with(0.003, 3);
        assertEquals(new HeadRecipe(LORA, 0.003, "cosine", 3, 8, 0.5, 0.2), r);
    }

    private static void rejected(String fragment, org.junit.jupiter.api.function.Executable make) {
        UserError e = assertThrows(UserError.class, make);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void badSettingsAreRefused() {
        rejected("learning rate", () -> recipe(0, "linear"));
        rejected("learning rate", () -> recipe(-1e-3, "linear"));
        rejected("learning rate", () -> recipe(Double.NaN, "linear"));
        rejected("learning rate", () -> recipe(Double.POSITIVE_INFINITY, "linear"));
        rejected("schedule", () -> recipe(1e-3, "step"));
        rejected("epochs", () -> new HeadRecipe(LORA, 1e-3, "linear", 0, 16, 1, 0.1));
        rejected("epochs", () -> new HeadRecipe(LORA, 1e-3, "linear", 101, 16, 1, 0.1));
        rejected("batch", () -> new HeadRecipe(LORA, 1e-3, "linear", 1, 0, 1, 0.1));
        rejected("clipping", () -> new HeadRecipe(LORA, 1e-3, "linear", 1, 16, -1, 0.1));
        rejected("clipping", () -> new HeadRecipe(LORA, 1e-3, "linear", 1, 16, Double.NaN, 0.1));
        rejected("beta", () -> new HeadRecipe(LORA, 1e-3, "linear", 1, 16, 1, 0));
        new HeadRecipe(LORA, 1e-3, "linear", 100, 4096, 0, 1e-3); // the limits themselves are fine
    }
}
