package org.likra.experiment;

import com.fasterxml.jackson.annotation.JsonValue;
import org.likra.util.UserError;

/**
 * A learning-curve run's settings: heads trained by {@code heads} on the first N training questions, each N from
 * scratch. Start from {@link #DEFAULTS} (the {@code curve} command's) and change what differs with the
 * {@code with...} methods.
 *
 * @param maxTrain       use at most this many training questions (0: all)
 * @param negatives      which incorrect answers the negative head and DPO train on
 * @param heads          how the positive and negative heads are trained
 * @param dpo            how the DPO baseline is trained (its beta included), or null for no DPO baseline
 * @param positiveWeight w+ of the likra scorer
 * @param negativeWeight w- of the likra scorer
 * @param seed           order of the training questions, adapter initialisation, random-other negatives
 */
public record CurveSettings(int maxTrain, NegativeSelection negatives, HeadRecipe heads, HeadRecipe dpo,
                            double positiveWeight, double negativeWeight, long seed) {
    /**
     * All training questions, {@link NegativeSelection#DEFAULT}, {@link HeadRecipe#DEFAULT} for the heads and for DPO,
     * w+ = w- = 1, seed 1.
     */
    public static final CurveSettings DEFAULTS = new CurveSettings(0, NegativeSelection.DEFAULT, HeadRecipe.DEFAULT,
            HeadRecipe.DEFAULT, 1, 1, 1);

    public CurveSettings {
        if (maxTrain < 0) {
            throw new UserError("--max-train must be 0 (all) or positive, got " + maxTrain);
        }
        if (!(positiveWeight >= 0 && negativeWeight >= 0) || Double.isInfinite(positiveWeight)
                || Double.isInfinite(negativeWeight)) {
            throw new UserError("--w-pos and --w-neg must be finite and non-negative, got " + positiveWeight + " and "
                    + negativeWeight);
        }
    }

    public CurveSettings withMaxTrain(int newMaxTrain) {
        return new CurveSettings(newMaxTrain, negatives, heads, dpo, positiveWeight, negativeWeight, seed);
    }

    public CurveSettings withNegatives(NegativeSelection newNegatives) {
        return new CurveSettings(maxTrain, newNegatives, heads, dpo, positiveWeight, negativeWeight, seed);
    }

    public CurveSettings withHeads(HeadRecipe newHeads) {
        return new CurveSettings(maxTrain, negatives, newHeads, dpo, positiveWeight, negativeWeight, seed);
    }

    /** These settings with DPO's recipe, or with no DPO baseline ({@code null}). */
    public CurveSettings withDpo(HeadRecipe newDpo) {
        return new CurveSettings(maxTrain, negatives, heads, newDpo, positiveWeight, negativeWeight, seed);
    }

    /** These settings with the likra scorer's weights w+ and w-. */
    public CurveSettings withWeights(double newPositiveWeight, double newNegativeWeight) {
        return new CurveSettings(maxTrain, negatives, heads, dpo, newPositiveWeight, newNegativeWeight, seed);
    }

    public CurveSettings withSeed(long newSeed) {
        return new CurveSettings(maxTrain, negatives, heads, dpo, positiveWeight, negativeWeight, newSeed);
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

    /** curve.json's {@code settings}: one flat object with these names, in this order (docs/likra.md). */
    record Saved(int maxTrain, NegativeStrategy negatives, int negativesPerQuestion, double contamination,
                 HeadRecipe heads, HeadRecipe dpo, double positiveWeight, double negativeWeight, long seed) {
    }

    @JsonValue
    Saved saved() {
        return new Saved(maxTrain, negatives.strategy(), negatives.perQuestion(), negatives.contamination(), heads, dpo,
                positiveWeight, negativeWeight, seed);
    }
}
