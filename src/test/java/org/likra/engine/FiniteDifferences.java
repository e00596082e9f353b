package org.likra.engine;

import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Central finite differences in float64, and the error measure the gradient tests use. */
public final class FiniteDifferences {
    public static final double STEP = 1e-5;
    /** Largest accepted relative error between an analytic and a numerical gradient, in float64. */
    public static final double TOLERANCE = 1e-6;

    private FiniteDifferences() {
    }

    /** d f / d x[i] by (f(x + h e_i) - f(x - h e_i)) / 2h, for every i. Restores x. */
    public static double[] gradient(double[] x, ToDoubleFunction<double[]> f) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            x[i] = saved + STEP;
            double plus = f.applyAsDouble(x);
            x[i] = saved - STEP;
            double minus = f.applyAsDouble(x);
            x[i] = saved;
            g[i] = (plus - minus) / (2 * STEP);
        }
        return g;
    }

    /** ||a - b|| / max(||a||, ||b||): the relative error of two gradient tensors. */
    public static double relativeError(double[] a, double[] b) {
        double diff = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (a[i] - b[i]);
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        double scale = Math.max(Math.sqrt(na), Math.sqrt(nb));
        return scale == 0 ? 0 : Math.sqrt(diff) / scale;
    }

    /** Asserts that the analytic gradient matches the numerical one and is not trivially zero. */
    public static void assertGradient(String what, double[] analytic, double[] numerical) {
        double norm = 0;
        for (double v : numerical) {
            norm += v * v;
        }
        assertTrue(norm > 1e-20, what + ": the numerical gradient is zero, so the check would prove nothing");
        double error = relativeError(analytic, numerical);
        assertTrue(error < TOLERANCE, what + ": relative error " + error + " exceeds " + TOLERANCE);
    }
}
