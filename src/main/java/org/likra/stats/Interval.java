package org.likra.stats;

/**
 * A point estimate with a two-sided confidence interval [{@code low}, {@code high}].
 *
 * @param estimate the point estimate
 * @param low      the lower end of the interval
 * @param high     the upper end of the interval
 */
public record Interval(double estimate, double low, double high) {
    /** {@code high - low}. */
    public double width() {
        return high - low;
    }
}
