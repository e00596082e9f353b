package org.likra.experiment;

import org.likra.util.UserError;

/**
 * A learning-curve run's settings: heads trained by {@code heads} (by default {@link HeadRecipe#DEFAULT}, the demo
 * study's recipe) on the first N training questions, each N from scratch.
 *
 * @param maxTrain             use at most this many training questions (0: all)
 * @param negatives            which incorrect answers the negative head trains on
 * @param negativesPerQuestion negatives per question (ignored by {@code all})
 * @param contamination        fraction of negatives swapped for the correct answer
 * @param heads                how the positive and negative heads are trained
 * @param dpo                  how the DPO baseline is trained (its beta included), or null for no DPO baseline
 * @param positiveWeight       w+ of the likra scorer
 * @param negativeWeight       w- of the likra scorer
 * @param seed                 order of the training questions, adapter initialisation, random-other negatives
 */
public record CurveSettings(int maxTrain, NegativeStrategy negatives, int negativesPerQuestion, double contamination,
                            HeadRecipe heads, HeadRecipe dpo, double positiveWeight, double negativeWeight,
                            long seed) {
    public CurveSettings {
        if (maxTrain < 0) {
            throw new UserError("--max-train must be 0 (all) or positive, got " + maxTrain);
        }
        if (negativesPerQuestion <= 0) {
            throw new UserError("--negatives-per-question must be positive");
        }
        if (!(contamination >= 0 && contamination <= 1)) {
            throw new UserError("--contamination must be in [0, 1], got " + contamination);
        }
        if (!(positiveWeight >= 0 && negativeWeight >= 0) || Double.isInfinite(positiveWeight)
                || Double.isInfinite(negativeWeight)) {
            throw new UserError("--w-pos and --w-neg must be finite and non-negative, got " + positiveWeight + " and "
                    + negativeWeight);
        }
    }

    /** The number of training questions a curve uses out of {@code available}: all, or at most maxTrain. */
    public int trainingQuestions(int available) {
        return maxTrain > 0 ? Math.min(maxTrain, available) : available;
    }

    /** N = 32, 64, 128, ... up to {@code size}, plus {@code size} itself. */
    public static int[] checkpoints(int size) {
        java.util.List<Integer> points = new java.util.ArrayList<>();
        for (int n = 32; n < size; n *= 2) {
            points.add(n);
        }
        points.add(size);
        return points.stream().mapToInt(Integer::intValue).toArray();
    }
}
