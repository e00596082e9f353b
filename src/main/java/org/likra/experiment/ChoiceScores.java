package org.likra.experiment;

import org.likra.data.MultipleChoiceQuestion;

/**
 * The summed answer log-likelihoods of one question's choices under the base model and the two heads (NaN where a
 * head is absent), from which every {@link Scorer} predicts.
 */
public record ChoiceScores(MultipleChoiceQuestion question, double[] base, double[] positive, double[] negative) {

    /**
     * The predicted choice: the highest score, or with {@code normalized} the highest score divided by the
     * answer's length in characters (acc_norm). Ties go to the first choice.
     */
    public int predict(Scorer scorer, boolean normalized, double positiveWeight, double negativeWeight) {
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < base.length; c++) {
            double s = scorer.score(base[c], positive == null ? Double.NaN : positive[c],
                    negative == null ? Double.NaN : negative[c], positiveWeight, negativeWeight);
            if (normalized) {
                s /= Math.max(1, question.choices().get(c).length());
            }
            if (best < 0 || s > bestScore) {
                best = c;
                bestScore = s;
            }
        }
        return best;
    }

    public boolean correct(Scorer scorer, boolean normalized, double positiveWeight, double negativeWeight) {
        return predict(scorer, normalized, positiveWeight, negativeWeight) == question.answer();
    }
}
