package org.likra.train;

import org.likra.util.UserError;

/**
 * The learning rate at each step (1-based).
 * <ul>
 *   <li>{@code constant}: lr, after an optional linear warm-up.</li>
 *   <li>{@code cosine}: linear warm-up from lr/warmup to lr over {@code warmup} steps, then cosine decay to
 *       {@code minFraction * lr} at {@code totalSteps}.</li>
 * </ul>
 */
public record LearningRateSchedule(String kind, double lr, int warmup, int totalSteps, double minFraction) {

    public LearningRateSchedule {
        if (!kind.equals("constant") && !kind.equals("cosine")) {
            throw new UserError("unknown learning-rate schedule '" + kind + "' (known: constant, cosine)");
        }
        if (!(lr > 0) || warmup < 0 || totalSteps <= 0 || minFraction < 0 || minFraction > 1) {
            throw new UserError("bad learning-rate schedule: lr " + lr + ", warm-up " + warmup + ", steps "
                    + totalSteps + ", min fraction " + minFraction);
        }
    }

    public double at(int step) {
        if (step <= warmup) {
            return lr * step / Math.max(1, warmup);
        }
        if (kind.equals("constant")) {
            return lr;
        }
        double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, totalSteps - warmup));
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return lr * (minFraction + (1 - minFraction) * cosine);
    }
}
