package org.likra.stats;

import org.apache.commons.math3.distribution.BinomialDistribution;

/**
 * The exact two-sided McNemar test for two scorers' paired binary outcomes on the same questions.
 *
 * <p>Of the questions where the two disagree, {@code b} are those that a gets right and b gets wrong, {@code c} the
 * reverse. Under H0 (both have the same accuracy) each disagreement goes either way with probability 1/2, so
 * b ~ Binomial(b + c, 1/2) given b + c. The two-sided exact p-value is
 * <pre>  p = min(1, 2 · P(X ≤ min(b, c))),  X ~ Binomial(b + c, 1/2)</pre>
 * and p = 1 when b + c = 0. Questions both get right or both get wrong carry no information about the difference.
 */
public final class McNemar {
    private McNemar() {
    }

    /**
     * The test's counts and p-value.
     *
     * @param b questions a gets right and b gets wrong
     * @param c questions b gets right and a gets wrong
     * @param p the exact two-sided p-value
     */
    public record Result(int b, int c, double p) {
    }

    /** The test on paired outcomes: {@code a[i]}, {@code b[i]} are the two scorers' results on question i. */
    public static Result test(boolean[] a, boolean[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("McNemar: " + a.length + " vs " + b.length + " outcomes");
        }
        int onlyA = 0, onlyB = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] && !b[i]) {
                onlyA++;
            } else if (!a[i] && b[i]) {
                onlyB++;
            }
        }
        return fromCounts(onlyA, onlyB);
    }

    /** The test on paired outcomes coded 1.0 (correct) and 0.0 (wrong); any other value is an error. */
    public static Result test(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("McNemar: " + a.length + " vs " + b.length + " outcomes");
        }
        boolean[] ba = new boolean[a.length], bb = new boolean[b.length];
        for (int i = 0; i < a.length; i++) {
            ba[i] = binary(a[i], i);
            bb[i] = binary(b[i], i);
        }
        return test(ba, bb);
    }

    /** The test from the discordant counts: {@code b} = a right and b wrong, {@code c} = the reverse. */
    public static Result fromCounts(int b, int c) {
        if (b < 0 || c < 0) {
            throw new IllegalArgumentException("McNemar: negative count b=" + b + " c=" + c);
        }
        int n = b + c;
        if (n == 0) {
            return new Result(b, c, 1.0);
        }
        double tail = new BinomialDistribution(null, n, 0.5).cumulativeProbability(Math.min(b, c));
        return new Result(b, c, Math.min(1.0, 2.0 * tail));
    }

    private static boolean binary(double v, int i) {
        if (v == 1.0) {
            return true;
        }
        if (v == 0.0) {
            return false;
        }
        throw new IllegalArgumentException("McNemar: outcome " + i + " is " + v + ", not 0 or 1");
    }
}
