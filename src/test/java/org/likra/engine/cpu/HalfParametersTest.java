package org.likra.engine.cpu;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.likra.engine.Engine;
import org.likra.engine.Gradient;
import org.likra.engine.IntTensor;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;
import org.likra.engine.reference.ReferenceEngine;

import java.util.Random;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parameters held in BF16 or F16 ({@link Engine#allocate(int, Precision)}) on the cpu and reference engines: every
 * operation that reads a parameter gives the same bits as on the float32 tensor of the rounded values (the cpu
 * engine converts while packing or copying, and then adds the same products in the same order; the reference
 * engine converts first), and the cpu engine agrees with the reference engine within the conformance tests'
 * tolerance.
 */
class HalfParametersTest {
    private static final Precision[] FORMATS = {Precision.BF16, Precision.F16};
    private static final double REDUCTION = 1e-4;
    private static final CpuEngine[] CPUS = {new CpuEngine(1), new CpuEngine(2)};
    private static final Engine REF = new ReferenceEngine(Precision.F32);
    private final Random random = new Random(99);

    @AfterAll
    static void closeEngines() {
        for (CpuEngine e : CPUS) {
            e.close();
        }
    }

    private float[] randn(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static float[] rounded(float[] x, Precision format) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = format.round(x[i]);
        }
        return out;
    }

    /** values in a tensor of the given format, at an odd offset inside a larger one (to exercise views). */
    private static Tensor param(Engine e, float[] values, Precision format) {
        Tensor t = e.allocate(values.length + 5, format).view(3, values.length);
        e.upload(t, values, 0);
        return t;
    }

    private static Tensor floats(Engine e, float[] values) {
        Tensor t = e.allocate(values.length);
        e.upload(t, values, 0);
        return t;
    }

    private static float[] get(Engine e, Tensor t) {
        float[] out = new float[t.length()];
        e.download(t, out, 0);
        return out;
    }

    /**
     * op(engine, parameter maker) on every engine, its parameters once in each 16-bit format and once as float32
     * tensors of the values rounded to that format: the outputs must be the same bits on each engine, and the cpu
     * engines' within {@code tolerance} (relative L2 error) of the reference engine's.
     */
    private void check(String name, float[][] params, BiFunction<Engine, Tensor[], float[][]> op) {
        for (Precision format : FORMATS) {
            float[][] expected = null;
            for (Engine e : new Engine[] {REF, CPUS[0], CPUS[1]}) {
                Tensor[] half = new Tensor[params.length];
                Tensor[] full = new Tensor[params.length];
                for (int i = 0; i < params.length; i++) {
                    half[i] = param(e, params[i], format);
                    full[i] = floats(e, rounded(params[i], format));
                }
                float[][] got = op.apply(e, half);
                float[][] same = op.apply(e, full);
                String where = name + " in " + format + " on " + e.name()
                        + (e instanceof CpuEngine c ? " with " + c.threads() + " thread(s)" : "");
                for (int k = 0; k < got.length; k++) {
                    assertArrayEquals(same[k], got[k], where + ", output " + k + ": not the float32 bits");
                }
                if (expected == null) {
                    expected = got;
                    continue;
                }
                for (int k = 0; k < got.length; k++) {
                    double err = relativeError(got[k], expected[k]);
                    assertTrue(err <= REDUCTION, where + ", output " + k + ": relative error " + err
                            + " against the reference engine");
                }
            }
        }
    }

    private static double relativeError(float[] got, float[] expected) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) got[i] - expected[i];
            diff += d * d;
            norm += (double) expected[i] * expected[i];
        }
        assertTrue(norm > 0, "the reference output is all zero");
        return Math.sqrt(diff) / Math.sqrt(norm);
    }

    /** (n, inDim, outDim) as in the conformance tests: edges of every tile and depth block, a shared packed W^T. */
    private static final int[][] LINEAR_SHAPES = {
        {1, 5, 3}, {7, 17, 63}, {33, 129, 65}, {64, 128, 96}, {197, 530, 270}, {600, 300, 300}};

    @Test
    void linearForwardAndInputGradient() {
        for (int[] s : LINEAR_SHAPES) {
            int n = s[0], in = s[1], out = s[2];
            float[] x = randn(n * in), dOut = randn(n * out), dx = randn(n * in);
            check("linear " + n + "x" + in + "x" + out, new float[][] {randn(out * in), randn(out)}, (e, p) -> {
                Tensor y = e.allocate(n * out), xt = floats(e, x);
                e.linearForward(y, xt, p[0], p[1], n, in, out);
                Tensor added = floats(e, dx), written = floats(e, dx);
                e.linearBackward(added, Gradient.ACCUMULATE, null, null, Gradient.OVERWRITE, floats(e, dOut), xt,
                        p[0], n, in, out);
                e.linearBackward(written, Gradient.OVERWRITE, null, null, Gradient.OVERWRITE, floats(e, dOut), xt,
                        p[0], n, in, out);
                return new float[][] {get(e, y), get(e, added), get(e, written)};
            });
        }
    }

    @Test
    void embeddings() {
        int n = 37, c = 67, vocab = 11, time = 9;
        int[] tokens = random.ints(n, 0, vocab).toArray();
        float[] start = randn(4 * time * c);
        check("embeddings", new float[][] {randn(vocab * c), randn((time + 2) * c)}, (e, p) -> {
            Tensor out = e.allocate(n * c);
            IntTensor ids = e.allocateInts(n);
            e.upload(ids, tokens, 0);
            e.embeddingForward(out, ids, p[0], n, c);
            Tensor positioned = floats(e, start);
            e.positionEmbeddingForward(positioned, p[1], 4, time, c);
            return new float[][] {get(e, out), get(e, positioned)};
        });
    }

    @Test
    void norms() {
        int n = 19, c = 131;
        float[] x = randn(n * c), dOut = randn(n * c), dx = randn(n * c);
        check("norms", new float[][] {randn(c), randn(c)}, (e, p) -> {
            Tensor out = e.allocate(n * c), rstd = e.allocate(n), xt = floats(e, x);
            e.rmsNormForward(out, rstd, xt, p[0], n, c, 1e-5f);
            Tensor gx = floats(e, dx);
            e.rmsNormBackward(gx, null, floats(e, dOut), xt, p[0], rstd, n, c);
            Tensor lOut = e.allocate(n * c), mean = e.allocate(n), lRstd = e.allocate(n);
            e.layerNormForward(lOut, mean, lRstd, xt, p[0], p[1], n, c, 1e-5f);
            Tensor lgx = floats(e, dx);
            e.layerNormBackward(lgx, null, null, floats(e, dOut), xt, p[0], mean, lRstd, n, c);
            return new float[][] {get(e, out), get(e, gx), get(e, lOut), get(e, lgx)};
        });
    }

    @Test
    void uploadRoundsToNearestAndDownloadIsExact() {
        // 1 + 2^-8 is halfway between two BF16 values (ties to even: 1); 1 + 3 * 2^-9 rounds up to 1 + 2^-7.
        float[] values = {1 + 0x1p-8f, 1 + 3 * 0x1p-9f, -2.5f, 0f, 65504f, 1e-3f, 3e38f};
        for (Engine e : new Engine[] {REF, CPUS[0]}) {
            for (Precision format : FORMATS) {
                Tensor t = e.allocate(values.length, format);
                assertEquals(format, t.format());
                assertEquals(format, t.view(1, 2).format());
                e.upload(t, values, 0);
                float[] back = get(e, t);
                assertArrayEquals(rounded(values, format), back, format + " on " + e.name());
                double[] wide = new double[values.length];
                e.download(t, wide, 0);
                for (int i = 0; i < values.length; i++) {
                    assertEquals(back[i], wide[i], 0.0);
                }
                e.zero(t.view(2, 3));
                assertEquals(0f, get(e, t)[3]);
                assertNotEquals(0f, get(e, t)[1]);
            }
            assertEquals(1f, Precision.BF16.round(values[0]));
            assertEquals(1 + 0x1p-7f, Precision.BF16.round(values[1]));
            assertTrue(Float.isInfinite(Precision.F16.round(values[6])), "F16 overflows to infinity");
        }
    }

    @Test
    void sixteenBitTensorsTakeTwoBytesAnElementAndAreNeverWritten() {
        try (CpuEngine e = new CpuEngine(1)) {
            long before = e.allocatedBytes();
            e.allocate(1001, Precision.BF16);
            assertEquals(2002, e.allocatedBytes() - before);
            e.allocate(1001);
            assertEquals(2002 + 4004, e.allocatedBytes() - before);
            Tensor half = e.allocate(12, Precision.F16);
            Tensor x = e.allocate(12);
            IllegalArgumentException written = assertThrows(IllegalArgumentException.class,
                    () -> e.linearForward(half, x, x, null, 3, 4, 4));
            assertTrue(written.getMessage().contains("F16 tensor"), written.getMessage());
            assertThrows(IllegalArgumentException.class, () -> e.allocate(3, Precision.F64));
        }
        ReferenceEngine ref = new ReferenceEngine(Precision.F32);
        ref.allocate(1001, Precision.BF16);
        assertEquals(2002, ref.allocatedBytes());
        assertThrows(IllegalArgumentException.class, () -> new ReferenceEngine(Precision.BF16));
    }
}
