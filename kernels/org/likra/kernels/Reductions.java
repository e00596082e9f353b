package org.likra.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Whole-vector reductions in two stages without atomics: {@code PARTS} threads each sum a contiguous chunk into
 * partials, then one thread sums the partials in order (deterministic). {@code @Parallel} loops; also plain Java.
 */
public final class Reductions {
    private Reductions() {
    }

    /** Number of partial sums (and threads) of the first stage. */
    public static final int PARTS = 1024;

    /** partials[p] = sum over chunk p of x[i]^2. */
    public static void squaresPartial(FloatArray partials, FloatArray x, int xOff, int n) {
        int chunk = (n + PARTS - 1) / PARTS;
        for (@Parallel int p = 0; p < PARTS; p++) {
            int start = p * chunk;
            int end = TornadoMath.min(start + chunk, n);
            float sum = 0f;
            for (int i = start; i < end; i++) {
                float v = x.get(xOff + i);
                sum += v * v;
            }
            partials.set(p, sum);
        }
    }

    /** partials[p] = sum over chunk p of values[i] weights[i]. */
    public static void weightedPartial(FloatArray partials, FloatArray values, int vOff, FloatArray weights, int wOff,
                                       int n) {
        int chunk = (n + PARTS - 1) / PARTS;
        for (@Parallel int p = 0; p < PARTS; p++) {
            int start = p * chunk;
            int end = TornadoMath.min(start + chunk, n);
            float sum = 0f;
            for (int i = start; i < end; i++) {
                sum += values.get(vOff + i) * weights.get(wOff + i);
            }
            partials.set(p, sum);
        }
    }

    /** out[outOff] = sum of the PARTS partials (one thread). */
    public static void finish(FloatArray out, int outOff, FloatArray partials) {
        for (@Parallel int z = 0; z < 1; z++) {
            float sum = 0f;
            for (int p = 0; p < PARTS; p++) {
                sum += partials.get(p);
            }
            out.set(outOff + z, sum);
        }
    }
}
