package org.likra.experiment;

import org.apache.commons.math3.stat.interval.ConfidenceInterval;
import org.apache.commons.math3.stat.interval.WilsonScoreInterval;

/** An accuracy with its 95% Wilson score interval. */
public record Accuracy(int correct, int total, double value, double low, double high) {

    public static Accuracy of(int correct, int total) {
        if (total == 0) {
            return new Accuracy(0, 0, Double.NaN, Double.NaN, Double.NaN);
        }
        ConfidenceInterval ci = new WilsonScoreInterval().createInterval(total, correct, 0.95);
        return new Accuracy(correct, total, (double) correct / total, ci.getLowerBound(), ci.getUpperBound());
    }

    @Override
    public String toString() {
        return String.format("%.3f [%.3f, %.3f] (%d/%d)", value, low, high, correct, total);
    }
}
