package org.likra.experiment;

import java.util.List;

/**
 * acc, acc_norm and MC2 of a scorer over scored questions. acc counts a question right when its answer scores above
 * every false choice (MC1 on TruthfulQA); MC2 is the mean over questions of the true choices' share of the
 * probability mass ({@link ChoiceScores#trueMass}), with a 95% normal interval (mean +- 1.96 standard errors).
 */
public record Evaluation(Scorer scorer, Accuracy acc, Accuracy accNorm, Mean mc2) {

    /** A mean with its 95% normal-approximation interval. */
    public record Mean(double value, double low, double high, int count) {
        static Mean of(double[] values) {
            int n = values.length;
            if (n == 0) {
                return new Mean(Double.NaN, Double.NaN, Double.NaN, 0);
            }
            double sum = 0;
            for (double v : values) {
                sum += v;
            }
            double mean = sum / n;
            double squares = 0;
            for (double v : values) {
                squares += (v - mean) * (v - mean);
            }
            double half = n < 2 ? 0 : 1.96 * Math.sqrt(squares / (n - 1) / n);
            return new Mean(mean, mean - half, mean + half, n);
        }

        @Override
        public String toString() {
            return String.format("%.3f [%.3f, %.3f] (n=%d)", value, low, high, count);
        }
    }

    public static Evaluation of(Scorer scorer, List<ChoiceScores> scored, double positiveWeight,
                                double negativeWeight) {
        int raw = 0;
        int norm = 0;
        double[] mass = new double[scored.size()];
        for (int i = 0; i < scored.size(); i++) {
            ChoiceScores s = scored.get(i);
            raw += s.correct(scorer, false, positiveWeight, negativeWeight) ? 1 : 0;
            norm += s.correct(scorer, true, positiveWeight, negativeWeight) ? 1 : 0;
            mass[i] = s.trueMass(scorer, positiveWeight, negativeWeight);
        }
        return new Evaluation(scorer, Accuracy.of(raw, scored.size()), Accuracy.of(norm, scored.size()),
                Mean.of(mass));
    }
}
