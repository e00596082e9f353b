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

    /**
     * Whether the answer scores above every false choice (ties go to the earlier choice); other true choices take
     * no part. For a question with one true choice this is predict(...) == answer; for TruthfulQA it is MC1.
     */
    public boolean correct(Scorer scorer, boolean normalized, double positiveWeight, double negativeWeight) {
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < base.length; c++) {
            if (c != question.answer() && question.isCorrect(c)) {
                continue;
            }
            double s = score(scorer, c, positiveWeight, negativeWeight);
            if (normalized) {
                s /= Math.max(1, question.choices().get(c).length());
            }
            if (best < 0 || s > bestScore) {
                best = c;
                bestScore = s;
            }
        }
        return best == question.answer();
    }

    /**
     * MC2: the share of the true choices in the probability mass of all choices, where each choice's mass is
     * exp(score) (for the base scorer, the answer's likelihood): sum over true c of e^s_c / sum over all c of e^s_c,
     * computed from s_c - max s. 1 for a question whose true choices take all the mass.
     */
    public double trueMass(Scorer scorer, double positiveWeight, double negativeWeight) {
        double max = Double.NEGATIVE_INFINITY;
        double[] s = new double[base.length];
        for (int c = 0; c < base.length; c++) {
            s[c] = score(scorer, c, positiveWeight, negativeWeight);
            max = Math.max(max, s[c]);
        }
        double all = 0;
        double correct = 0;
        for (int c = 0; c < base.length; c++) {
            double mass = Math.exp(s[c] - max);
            all += mass;
            correct += question.isCorrect(c) ? mass : 0;
        }
        return correct / all;
    }

    private double score(Scorer scorer, int c, double positiveWeight, double negativeWeight) {
        return scorer.score(base[c], positive == null ? Double.NaN : positive[c],
                negative == null ? Double.NaN : negative[c], positiveWeight, negativeWeight);
    }
}
