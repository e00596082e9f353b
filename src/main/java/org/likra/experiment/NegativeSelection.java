package org.likra.experiment;

import org.likra.util.UserError;

/**
 * Which incorrect answers the negative head (and DPO) trains on: {@code strategy} picks them
 * ({@link NegativeStrategy}), {@code perQuestion} of them per question (ignored by {@code all}), and a fraction
 * {@code contamination} of them is swapped for the correct answer.
 */
public record NegativeSelection(NegativeStrategy strategy, int perQuestion, double contamination) {
    /** Every wrong answer, uncontaminated (the {@code train} and {@code curve} defaults, the demo's main arm). */
    public static final NegativeSelection DEFAULT = new NegativeSelection(NegativeStrategy.ALL, 1, 0);

    public NegativeSelection {
        if (perQuestion <= 0) {
            throw new UserError("--negatives-per-question must be positive");
        }
        if (!(contamination >= 0 && contamination <= 1)) {
            throw new UserError("--contamination must be in [0, 1], got " + contamination);
        }
    }

    public NegativeSelection withStrategy(NegativeStrategy newStrategy) {
        return new NegativeSelection(newStrategy, perQuestion, contamination);
    }

    public NegativeSelection withPerQuestion(int newPerQuestion) {
        return new NegativeSelection(strategy, newPerQuestion, contamination);
    }

    public NegativeSelection withContamination(double newContamination) {
        return new NegativeSelection(strategy, perQuestion, newContamination);
    }
}
