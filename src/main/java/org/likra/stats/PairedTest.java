package org.likra.stats;

/**
 * A paired comparison of two scorers: the mean difference a − b, its confidence interval and a two-sided p-value for
 * H0: difference = 0.
 *
 * @param estimate the mean difference a − b over all replicates and questions
 * @param low      the lower end of the interval of the difference
 * @param high     the upper end of the interval of the difference
 * @param p        the two-sided p-value for H0: difference = 0
 */
public record PairedTest(double estimate, double low, double high, double p) {
    /** The difference and its interval without the p-value. */
    public Interval interval() {
        return new Interval(estimate, low, high);
    }
}
