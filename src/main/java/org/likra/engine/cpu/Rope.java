package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.likra.config.RopeScaling;
import org.likra.engine.Tensor;

import static org.likra.engine.cpu.CpuEngine.f;

/**
 * Rotary position embedding in the rotate-halves layout, forward and backward, over (batch, time, heads, d)
 * tensors, parallel over (b, t) rows. For pair i &lt; d/2 at position p = positionOffset + t:
 * <pre>
 *   forward:  out[i] = x[i] cos - x[i + d/2] sin;   out[i + d/2] = x[i + d/2] cos + x[i] sin
 *   backward: dx[i] += g[i] cos + g[i + d/2] sin;   dx[i + d/2] += g[i + d/2] cos - g[i] sin
 * </pre>
 * cos and sin come from a cached {@link RopeTable}.
 *
 * <p>Not thread-safe: the arguments of the call in progress live in fields, so that no per-call objects are made.
 */
final class Rope {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;

    private final WorkPool pool;
    private final RopeTable[] tables = new RopeTable[4];
    private final WorkPool.Body body = this::rotateRows;

    // Arguments of the call in progress.
    private float[] o, xs, cosT, sinT;
    private int oOff, xOff, time, heads, headDim, positionOffset;
    private boolean backward;

    Rope(WorkPool pool) {
        this.pool = pool;
    }

    /** Forward (overwrite o, angle +) or backward (accumulate into o, angle -) rotation of every head vector. */
    void rotate(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta, RopeScaling scaling,
                int positionOffset, boolean backward) {
        RopeTable table = table(theta, scaling, headDim, positionOffset + time);
        this.o = f(out);
        this.oOff = out.offset();
        this.xs = f(x);
        this.xOff = x.offset();
        this.cosT = table.cos;
        this.sinT = table.sin;
        this.time = time;
        this.heads = heads;
        this.headDim = headDim;
        this.positionOffset = positionOffset;
        this.backward = backward;
        pool.run(batch * time, CpuEngine.rowGrain(heads * headDim), body);
        o = xs = null;
    }

    private void rotateRows(int start, int end, int worker) {
        int half = headDim / 2;
        for (int bt = start; bt < end; bt++) {
            int tab = (positionOffset + bt % time) * half;
            for (int h = 0; h < heads; h++) {
                int base = (bt * heads + h) * headDim;
                int x1 = xOff + base, o1 = oOff + base;
                int i = 0;
                for (int bound = F.loopBound(half); i < bound; i += L) {
                    FloatVector cos = FloatVector.fromArray(F, cosT, tab + i);
                    FloatVector sin = FloatVector.fromArray(F, sinT, tab + i);
                    FloatVector a = FloatVector.fromArray(F, xs, x1 + i);
                    FloatVector b = FloatVector.fromArray(F, xs, x1 + i + half);
                    if (backward) {
                        a.mul(cos).add(b.mul(sin)).add(FloatVector.fromArray(F, o, o1 + i)).intoArray(o, o1 + i);
                        b.mul(cos).sub(a.mul(sin)).add(FloatVector.fromArray(F, o, o1 + i + half))
                                .intoArray(o, o1 + i + half);
                    } else {
                        a.mul(cos).sub(b.mul(sin)).intoArray(o, o1 + i);
                        b.mul(cos).add(a.mul(sin)).intoArray(o, o1 + i + half);
                    }
                }
                for (; i < half; i++) {
                    float cos = cosT[tab + i], sin = sinT[tab + i];
                    float a = xs[x1 + i], b = xs[x1 + i + half];
                    if (backward) {
                        o[o1 + i] = a * cos + b * sin + o[o1 + i];
                        o[o1 + i + half] = b * cos - a * sin + o[o1 + i + half];
                    } else {
                        o[o1 + i] = a * cos - b * sin;
                        o[o1 + i + half] = b * cos + a * sin;
                    }
                }
            }
        }
    }

    /** The cached cos/sin table for (theta, scaling, headDim) covering at least {@code positions} positions. */
    private RopeTable table(float theta, RopeScaling scaling, int headDim, int positions) {
        for (RopeTable t : tables) {
            if (t != null && t.fits(theta, scaling, headDim, positions)) {
                return t;
            }
        }
        // Replace the entry for the same (theta, headDim), if any, else the oldest.
        int slot = tables.length - 1;
        for (int i = 0; i < tables.length; i++) {
            RopeTable t = tables[i];
            if (t == null || (t.theta == theta && java.util.Objects.equals(t.scaling, scaling)
                    && t.headDim == headDim)) {
                slot = i;
                break;
            }
        }
        System.arraycopy(tables, 0, tables, 1, slot);
        tables[0] = new RopeTable(theta, scaling, headDim, Math.max(positions, 256));
        return tables[0];
    }
}
