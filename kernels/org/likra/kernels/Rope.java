package org.likra.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Rotary position embedding (rotate-halves layout) from a cos/sin table computed in double on the host:
 * table[(t * half + i) * 2] = cos, [.. + 1] = sin of (positionOffset + t) theta^(-2i/d). One thread per
 * (b, t, head, i &lt; d/2). {@code @Parallel} loops; also plain Java.
 */
public final class Rope {
    private Rope() {
    }

    /** out[i] = x[i] cos - x[i + h] sin; out[i + h] = x[i + h] cos + x[i] sin. rows = batch * time * heads. */
    public static void forward(FloatArray out, int oOff, FloatArray x, int xOff, FloatArray table, int rows,
                               int time, int heads, int headDim) {
        int half = headDim / 2;
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int i = 0; i < half; i++) {
                int t = (r / heads) % time;
                float cos = table.get((t * half + i) * 2);
                float sin = table.get((t * half + i) * 2 + 1);
                int base = r * headDim;
                float x1 = x.get(xOff + base + i);
                float x2 = x.get(xOff + base + i + half);
                out.set(oOff + base + i, x1 * cos - x2 * sin);
                out.set(oOff + base + i + half, x2 * cos + x1 * sin);
            }
        }
    }

    /** The transposed rotation, accumulated: dx[i] += g1 cos + g2 sin; dx[i + h] += -g1 sin + g2 cos. */
    public static void backward(FloatArray dx, int dxOff, FloatArray dOut, int doOff, FloatArray table, int rows,
                                int time, int heads, int headDim) {
        int half = headDim / 2;
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int i = 0; i < half; i++) {
                int t = (r / heads) % time;
                float cos = table.get((t * half + i) * 2);
                float sin = table.get((t * half + i) * 2 + 1);
                int base = r * headDim;
                float g1 = dOut.get(doOff + base + i);
                float g2 = dOut.get(doOff + base + i + half);
                int at1 = dxOff + base + i;
                int at2 = dxOff + base + i + half;
                dx.set(at1, dx.get(at1) + g1 * cos + g2 * sin);
                dx.set(at2, dx.get(at2) - g1 * sin + g2 * cos);
            }
        }
    }
}
