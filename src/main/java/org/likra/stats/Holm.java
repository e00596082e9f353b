package org.likra.stats;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Holm–Bonferroni step-down adjustment of m p-values for multiple comparisons (controls the family-wise error rate).
 *
 * <p>With the p-values sorted ascending, p(1) ≤ … ≤ p(m), the adjusted values are
 * <pre>  p̃(i) = min(1, max over j ≤ i of (m − j + 1) · p(j))</pre>
 * so they are monotone in the sorted order and never exceed 1. Rejecting every hypothesis with p̃ ≤ α is Holm's
 * procedure at level α. The result is returned in the input's order.
 */
public final class Holm {
    private Holm() {
    }

    /** The Holm-adjusted p-values, element i adjusting {@code p[i]}. */
    public static double[] adjust(double[] p) {
        int m = p.length;
        for (int i = 0; i < m; i++) {
            if (!(p[i] >= 0.0 && p[i] <= 1.0)) {
                throw new IllegalArgumentException("Holm: p[" + i + "] = " + p[i] + " is not in [0, 1]");
            }
        }
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            order[i] = i;
        }
        // Stable sort: ties keep their input order, and tied values get the same adjusted value anyway.
        Arrays.sort(order, Comparator.comparingDouble(i -> p[i]));
        double[] adjusted = new double[m];
        double running = 0.0;
        for (int rank = 0; rank < m; rank++) {
            int i = order[rank];
            running = Math.max(running, Math.min(1.0, (m - rank) * p[i]));
            adjusted[i] = running;
        }
        return adjusted;
    }
}
