package org.likra.engine;

import org.junit.jupiter.api.Test;
import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.model.Initializer;
import org.likra.model.Transformer;

import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every operation of an engine against the float32 reference engine on the same random inputs, in the style of
 * llm.c's kernel tests; each engine's test class extends this one and names the engines to check. Each output
 * tensor is compared by its relative error ||engine - ref|| / ||ref|| (L2 over the whole tensor) against a
 * tolerance stated per operation: 1e-5 for elementwise operations, 1e-4 for reductions, matrix products and
 * attention (float accumulation against the reference's double accumulation). Backward operations start from
 * random gradients, so that accumulation (+=) is checked, and are run with null gradients too. Shapes include
 * sizes that are not multiples of any vector length or tile size. Then the whole model: loss and every gradient of
 * one step, for a Llama-style and a GPT-2-style configuration.
 */
public abstract class EngineConformanceTest {
    protected static final double ELEMENTWISE = 1e-5;
    protected static final double REDUCTION = 1e-4;

    protected static final Engine REF = new ReferenceEngine(Precision.F32);

    /** The engines under test (each is checked against {@link #REF}). */
    protected abstract Engine[] engines();

    /** How failure messages name an engine. */
    protected String describe(Engine engine) {
        return engine.name();
    }

    protected final Random random = new Random(1234);

    // ------------------------------------------------------------------------------------------------ helpers

    protected float[] randn(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    protected float[] positive(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = 0.1f + random.nextFloat();
        }
        return x;
    }

    protected int[] ids(int n, int bound) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextInt(bound);
        }
        return x;
    }

    protected static Tensor t(Engine e, float[] values) {
        Tensor t = e.allocate(values.length);
        e.upload(t, values, 0);
        return t;
    }

    /** A tensor placed at an odd offset inside a larger buffer, to exercise views. */
    protected static Tensor view(Engine e, float[] values) {
        Tensor whole = e.allocate(values.length + 7);
        Tensor t = whole.view(3, values.length);
        e.upload(t, values, 0);
        return t;
    }

    protected static IntTensor ints(Engine e, int[] values) {
        IntTensor t = e.allocateInts(values.length);
        e.upload(t, values, 0);
        return t;
    }

    protected static float[] get(Engine e, Tensor t) {
        if (t == null) {
            return null;
        }
        float[] out = new float[t.length()];
        e.download(t, out, 0);
        return out;
    }

    static double relativeError(float[] got, float[] expected) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) got[i] - expected[i];
            diff += d * d;
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
    }

    /**
     * Runs op on the reference engine and on every engine under test and compares every output. A null output of a
     * run (a gradient the call did not ask for) is skipped; the reference always computes every output.
     */
    protected void check(String name, double tolerance, Function<Engine, float[][]> op) {
        float[][] expected = op.apply(REF);
        for (Engine cpu : engines()) {
            float[][] got = op.apply(cpu);
            assertEquals(expected.length, got.length, name);
            int compared = 0;
            for (int k = 0; k < expected.length; k++) {
                if (got[k] == null) {
                    continue;
                }
                assertEquals(expected[k].length, got[k].length, name + " output " + k);
                double norm = 0;
                for (float v : expected[k]) {
                    norm += (double) v * v;
                }
                assertTrue(norm > 0, name + " output " + k + ": the reference output is all zero");
                double err = relativeError(got[k], expected[k]);
                assertTrue(err <= tolerance, name + " output " + k + " on " + describe(cpu) + ": "
                        + "relative error " + err + " > " + tolerance);
                compared++;
            }
            assertTrue(compared > 0, name + ": nothing compared");
        }
    }

    /** A gradient tensor starting at random values, or null where the tested run skips it. */
    protected static Tensor grad(Engine e, float[] init, boolean skip) {
        return skip && e != REF ? null : view(e, init);
    }

    // ------------------------------------------------------------------------------------------------ memory

    @Test
    void memory() {
        float[] x = randn(37);
        check("upload/download", 0, e -> {
            Tensor b = view(e, x);
            double[] d = new double[37];
            e.download(b, d, 0);
            Tensor c = e.allocate(37);
            e.upload(c, d, 0);
            Tensor z = t(e, x);
            e.zero(z.view(5, 10));
            return new float[][] {get(e, c), get(e, z)};
        });
    }

    // ------------------------------------------------------------------------------------------------ embeddings

    @Test
    void embeddings() {
        for (int[] s : new int[][] {{1, 5, 3}, {7, 17, 4}, {33, 63, 9}, {300, 129, 40}}) {
            int n = s[0], c = s[1], vocab = s[2];
            int[] tokens = ids(n, vocab);
            float[] table = randn(vocab * c), dTable = randn(vocab * c), dOut = randn(n * c);
            check("embedding n=" + n + " c=" + c, ELEMENTWISE, e -> {
                Tensor out = e.allocate(n * c);
                IntTensor tok = ints(e, tokens);
                e.embeddingForward(out, tok, view(e, table), n, c);
                Tensor dt = view(e, dTable);
                e.embeddingBackward(dt, view(e, dOut), tok, n, c);
                return new float[][] {get(e, out), get(e, dt)};
            });
        }
    }

    @Test
    void positionEmbeddings() {
        for (int[] s : new int[][] {{1, 1, 5}, {2, 7, 17}, {3, 33, 63}, {4, 64, 129}}) {
            int b = s[0], time = s[1], c = s[2];
            float[] x = randn(b * time * c), pos = randn((time + 3) * c), dPos = randn((time + 3) * c);
            float[] dOut = randn(b * time * c);
            check("positions b=" + b + " t=" + time + " c=" + c, ELEMENTWISE, e -> {
                Tensor out = view(e, x);
                e.positionEmbeddingForward(out, view(e, pos), b, time, c);
                Tensor dp = view(e, dPos);
                e.positionEmbeddingBackward(dp, view(e, dOut), b, time, c);
                return new float[][] {get(e, out), get(e, dp)};
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ norms

    @Test
    void rmsNorm() {
        for (int[] s : new int[][] {{1, 5}, {7, 17}, {33, 63}, {300, 129}}) {
            int n = s[0], c = s[1];
            float[] x = randn(n * c), w = randn(c), dx = randn(n * c), dw = randn(c), dOut = randn(n * c);
            for (int variant = 0; variant < 3; variant++) {
                boolean skipDx = variant == 1, skipDw = variant == 2;
                check("rmsnorm n=" + n + " c=" + c + " variant " + variant, REDUCTION, e -> {
                    Tensor out = e.allocate(n * c), rstd = e.allocate(n), xt = view(e, x), wt = view(e, w);
                    e.rmsNormForward(out, rstd, xt, wt, n, c, 1e-5f);
                    Tensor gx = grad(e, dx, skipDx), gw = grad(e, dw, skipDw);
                    e.rmsNormBackward(gx, gw, view(e, dOut), xt, wt, rstd, n, c);
                    return new float[][] {get(e, out), get(e, rstd), get(e, gx), get(e, gw)};
                });
            }
        }
    }

    @Test
    void layerNorm() {
        for (int[] s : new int[][] {{1, 5}, {7, 17}, {33, 63}, {300, 129}}) {
            int n = s[0], c = s[1];
            float[] x = randn(n * c), w = randn(c), bias = randn(c), dOut = randn(n * c);
            float[] dx = randn(n * c), dw = randn(c), db = randn(c);
            for (int variant = 0; variant < 4; variant++) {
                boolean skipDx = variant == 1, skipDw = variant == 2, skipDb = variant == 2 || variant == 3;
                check("layernorm n=" + n + " c=" + c + " variant " + variant, REDUCTION, e -> {
                    Tensor out = e.allocate(n * c), mean = e.allocate(n), rstd = e.allocate(n);
                    Tensor xt = view(e, x), wt = view(e, w);
                    e.layerNormForward(out, mean, rstd, xt, wt, view(e, bias), n, c, 1e-5f);
                    Tensor gx = grad(e, dx, skipDx), gw = grad(e, dw, skipDw), gb = grad(e, db, skipDb);
                    e.layerNormBackward(gx, gw, gb, view(e, dOut), xt, wt, mean, rstd, n, c);
                    return new float[][] {get(e, out), get(e, mean), get(e, rstd), get(e, gx), get(e, gw),
                        get(e, gb)};
                });
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ linear

    /** (n, inDim, outDim): odd sizes, sizes that fill the micro-kernels, and sizes past one tile / depth block. */
    private static final int[][] LINEAR_SHAPES = {
        {1, 5, 3}, {7, 17, 63}, {33, 129, 65}, {13, 63, 129}, {64, 128, 96}, {300, 70, 300}, {8, 512, 10},
        {197, 530, 270}, // spans several tiles of MatMul in every dimension (rows, columns, depth)
        {40, 33, 601},   // dW: 601 rows of dOut^T, past MatMul.MAX_ROWS twice, the last tile partial
        {600, 300, 300}}; // forward: three row tiles sharing one packed W^T, packed by the pool's threads together

    @Test
    protected void linearForward() {
        for (int[] s : LINEAR_SHAPES) {
            int n = s[0], in = s[1], out = s[2];
            float[] x = randn(n * in), w = randn(out * in), b = randn(out);
            check("linear forward " + n + "x" + in + "x" + out, REDUCTION, e -> {
                Tensor withBias = e.allocate(n * out), noBias = view(e, new float[n * out]);
                Tensor xt = view(e, x), wt = view(e, w);
                e.linearForward(withBias, xt, wt, view(e, b), n, in, out);
                e.linearForward(noBias, xt, wt, null, n, in, out);
                return new float[][] {get(e, withBias), get(e, noBias)};
            });
        }
    }

    /**
     * Attention's three projections in one call, with q, k, v, the weights and the biases each stacked in one
     * allocation (outputs holding two rows more than used, as a model's activations sized for a longer batch do), and
     * in separate allocations; against three linear layers on the reference engine.
     */
    @Test
    protected void linearForwardQkv() {
        // n, inDim, qDim, kvDim: grouped-query and multi-head, narrow (tiled) and wide (blocked) products
        for (int[] s : new int[][] {{3, 5, 4, 2}, {33, 129, 96, 32}, {70, 64, 128, 128}, {65, 40, 64, 16}}) {
            int n = s[0], in = s[1], qDim = s[2], kvDim = s[3], rows = n + 2;
            float[] x = randn(n * in), w = randn((qDim + 2 * kvDim) * in), b = randn(qDim + 2 * kvDim);
            for (boolean stacked : new boolean[] {true, false}) {
                for (boolean withBias : new boolean[] {true, false}) {
                    check("linear qkv " + java.util.Arrays.toString(s) + (stacked ? " stacked" : " separate")
                            + (withBias ? " with bias" : ""), REDUCTION, e -> {
                        Tensor[] ws = split(e, w, stacked, qDim * in, kvDim * in, kvDim * in);
                        Tensor[] bs = withBias ? split(e, b, stacked, qDim, kvDim, kvDim) : new Tensor[3];
                        Tensor[] out = split(e, new float[rows * (qDim + 2 * kvDim)], stacked, rows * qDim,
                                rows * kvDim, rows * kvDim);
                        e.linearForwardQkv(out[0], out[1], out[2], view(e, x), ws[0], ws[1], ws[2], bs[0], bs[1],
                                bs[2], n, in, qDim, kvDim);
                        return new float[][] {get(e, out[0]), get(e, out[1]), get(e, out[2])};
                    });
                }
            }
        }
    }

    /**
     * The backward pass of the three projections in one call, dq, dk, dv, the weights and the weight gradients
     * stacked (dq, dk, dv holding two rows more than used) or separate; dx added to, overwritten and not asked for;
     * the weight and bias gradients added to, overwritten and not asked for.
     */
    @Test
    protected void linearBackwardQkv() {
        for (int[] s : new int[][] {{3, 5, 4, 2}, {33, 129, 96, 32}, {70, 64, 128, 128}, {65, 40, 64, 16}}) {
            int n = s[0], in = s[1], qDim = s[2], kvDim = s[3], rows = n + 2, width = qDim + 2 * kvDim;
            float[] x = randn(n * in), w = randn(width * in), dOut = randn(rows * width);
            float[] dx = randn(n * in), dw = randn(width * in), db = randn(width);
            for (boolean stacked : new boolean[] {true, false}) {
                // variants: 0 everything added to, 1 dx overwritten, 2 weights overwritten, 3 no dx, 4 no weights
                for (int variant = 0; variant < 5; variant++) {
                    Gradient dxGradient = variant == 1 ? Gradient.OVERWRITE : Gradient.ACCUMULATE;
                    Gradient weightGradients = variant == 2 ? Gradient.OVERWRITE : Gradient.ACCUMULATE;
                    boolean skipDx = variant == 3, skipWeights = variant == 4;
                    check("linear qkv backward " + java.util.Arrays.toString(s) + (stacked ? " stacked" : " separate")
                            + " variant " + variant, REDUCTION, e -> {
                        Tensor[] d = split(e, dOut, stacked, rows * qDim, rows * kvDim, rows * kvDim);
                        Tensor[] ws = split(e, w, stacked, qDim * in, kvDim * in, kvDim * in);
                        boolean none = skipWeights && e != REF;
                        Tensor[] dws = none ? new Tensor[3] : split(e, dw, stacked, qDim * in, kvDim * in, kvDim * in);
                        Tensor[] dbs = none ? new Tensor[3] : split(e, db, stacked, qDim, kvDim, kvDim);
                        Tensor gx = grad(e, dx, skipDx);
                        e.linearBackwardQkv(gx, dxGradient, dws[0], dws[1], dws[2], dbs[0], dbs[1], dbs[2],
                                weightGradients, d[0], d[1], d[2], view(e, x), ws[0], ws[1], ws[2], n, in, qDim,
                                kvDim);
                        return new float[][] {get(e, gx), get(e, dws[0]), get(e, dws[1]), get(e, dws[2]),
                                get(e, dbs[0]), get(e, dbs[1]), get(e, dbs[2])};
                    });
                }
            }
        }
    }

    /** A linear layer and GELU in one call, pre and activated in one allocation (either first) or in two. */
    @Test
    protected void linearGeluForward() {
        for (int[] s : new int[][] {{1, 5, 3}, {33, 129, 65}, {64, 128, 96}, {70, 40, 300}}) {
            int n = s[0], in = s[1], out = s[2];
            float[] x = randn(n * in), w = randn(out * in), b = randn(out);
            for (int layout = 0; layout < 3; layout++) {
                int l = layout;
                check("linear gelu " + n + "x" + in + "x" + out + " layout " + layout, REDUCTION, e -> {
                    Tensor pre, activated;
                    if (l == 2) {
                        pre = view(e, new float[n * out]);
                        activated = view(e, new float[n * out]);
                    } else {
                        Tensor[] both = split(e, new float[2 * n * out + 5], true, n * out, 5, n * out);
                        pre = l == 0 ? both[0] : both[2];
                        activated = l == 0 ? both[2] : both[0];
                    }
                    e.linearGeluForward(activated, pre, view(e, x), view(e, w), view(e, b), n, in, out);
                    return new float[][] {get(e, pre), get(e, activated)};
                });
            }
        }
    }

    /** values cut into pieces of the given lengths: views one after the other in one allocation, or separate ones. */
    private static Tensor[] split(Engine e, float[] values, boolean stacked, int... lengths) {
        Tensor[] pieces = new Tensor[lengths.length];
        Tensor whole = stacked ? view(e, values) : null;
        int at = 0;
        for (int i = 0; i < lengths.length; i++) {
            if (stacked) {
                pieces[i] = whole.view(at, lengths[i]);
            } else {
                pieces[i] = view(e, java.util.Arrays.copyOfRange(values, at, at + lengths[i]));
            }
            at += lengths[i];
        }
        return pieces;
    }

    @Test
    protected void linearBackward() {
        for (int[] s : LINEAR_SHAPES) {
            int n = s[0], in = s[1], out = s[2];
            float[] x = randn(n * in), w = randn(out * in), dOut = randn(n * out);
            float[] dx = randn(n * in), dw = randn(out * in), db = randn(out);
            // variants 4 and 5: dx overwritten (its random contents ignored), with and without dW; 6 and 7: dW and
            // dBias overwritten, with dx added to and overwritten; 8: dW overwritten without dx
            for (int variant = 0; variant < 9; variant++) {
                boolean skipDx = variant == 1 || variant == 8, skipDw = variant == 2 || variant == 5;
                boolean skipDb = variant == 3;
                Gradient dxGradient = variant == 4 || variant == 5 || variant == 7
                        ? Gradient.OVERWRITE : Gradient.ACCUMULATE;
                Gradient weightGradients = variant >= 6 ? Gradient.OVERWRITE : Gradient.ACCUMULATE;
                check("linear backward " + n + "x" + in + "x" + out + " variant " + variant, REDUCTION, e -> {
                    Tensor gx = grad(e, dx, skipDx), gw = grad(e, dw, skipDw), gb = grad(e, db, skipDb);
                    e.linearBackward(gx, dxGradient, gw, gb, weightGradients, view(e, dOut), view(e, x), view(e, w),
                            n, in, out);
                    return new float[][] {get(e, gx), get(e, gw), get(e, gb)};
                });
            }
        }
    }

    /** A LoRA update of a linear layer's output and its backward pass, with and without dx. */
    @Test
    void lora() {
        // n, inDim, outDim, rank
        for (int[] s : new int[][] {{1, 5, 3, 1}, {7, 17, 63, 4}, {33, 129, 65, 8}}) {
            int n = s[0], in = s[1], out = s[2], rank = s[3];
            float[] x = randn(n * in), a = randn(rank * in), b = randn(out * rank), base = randn(n * out);
            float[] dOut = randn(n * out), dx = randn(n * in), dA = randn(rank * in), dB = randn(out * rank);
            for (int variant = 0; variant < 2; variant++) {
                boolean skipDx = variant == 1;
                check("lora " + java.util.Arrays.toString(s) + " variant " + variant, REDUCTION, e -> {
                    Tensor o = view(e, base), hidden = e.allocate(n * rank), delta = e.allocate(n * out);
                    Tensor xt = view(e, x), at = view(e, a), bt = view(e, b);
                    e.loraForward(o, hidden, delta, xt, at, bt, n, in, out, rank, 0.75f);
                    Tensor gx = grad(e, dx, skipDx), ga = view(e, dA), gb = view(e, dB);
                    e.loraBackward(gx, ga, gb, view(e, dOut), xt, hidden, at, bt, e.allocate(n * out),
                            e.allocate(n * rank), n, in, out, rank, 0.75f);
                    return new float[][] {get(e, o), get(e, hidden), get(e, gx), get(e, ga), get(e, gb)};
                });
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ RoPE

    @Test
    void rope() {
        for (int[] s : new int[][] {{1, 1, 1, 2, 0}, {2, 7, 3, 6, 0}, {2, 33, 2, 34, 5}, {1, 17, 4, 64, 300}}) {
            int b = s[0], time = s[1], heads = s[2], d = s[3], offset = s[4];
            int len = b * time * heads * d;
            float[] x = randn(len), dOut = randn(len), dx = randn(len);
            check("rope " + java.util.Arrays.toString(s), ELEMENTWISE, e -> {
                Tensor out = e.allocate(len);
                e.ropeForward(out, view(e, x), b, time, heads, d, 10000f, offset);
                Tensor g = view(e, dx);
                e.ropeBackward(g, view(e, dOut), b, time, heads, d, 10000f, offset);
                // a second theta must not reuse the first table
                Tensor out2 = e.allocate(len);
                e.ropeForward(out2, view(e, x), b, time, heads, d, 500f, offset);
                return new float[][] {get(e, out), get(e, g), get(e, out2)};
            });
        }
    }

    /** RoPE with Llama 3's rescaled frequencies (rope_scaling type llama3), forward and backward. */
    @Test
    void ropeWithScaling() {
        // factor 8, low 1, high 4, original context 16: with head size 64 the pairs span all three regimes
        org.likra.config.RopeScaling scaling = new org.likra.config.RopeScaling(8, 1, 4, 16);
        for (int[] s : new int[][] {{1, 9, 2, 64, 0}, {2, 5, 3, 16, 40}}) {
            int b = s[0], time = s[1], heads = s[2], d = s[3], offset = s[4];
            int len = b * time * heads * d;
            float[] x = randn(len), dOut = randn(len), dx = randn(len);
            check("rope with scaling " + java.util.Arrays.toString(s), ELEMENTWISE, e -> {
                Tensor out = e.allocate(len);
                e.ropeForward(out, view(e, x), b, time, heads, d, 500000f, scaling, offset);
                Tensor g = view(e, dx);
                e.ropeBackward(g, view(e, dOut), b, time, heads, d, 500000f, scaling, offset);
                // the same theta without scaling must not reuse the scaled table
                Tensor plain = e.allocate(len);
                e.ropeForward(plain, view(e, x), b, time, heads, d, 500000f, offset);
                return new float[][] {get(e, out), get(e, g), get(e, plain)};
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ attention

    @Test
    protected void attention() {
        // batch, time, heads, kvHeads, headDim
        for (int[] s : new int[][] {{1, 1, 1, 1, 5}, {2, 7, 4, 2, 6}, {2, 33, 4, 1, 17}, {1, 70, 2, 2, 16},
            {1, 40, 6, 3, 64}, {1, 37, 2, 1, 96}, {1, 70, 2, 2, 128}}) {
            int b = s[0], time = s[1], heads = s[2], kv = s[3], d = s[4];
            int qLen = b * time * heads * d, kvLen = b * time * kv * d;
            float[] q = randn(qLen), k = randn(kvLen), v = randn(kvLen), dOut = randn(qLen);
            float[] dq = randn(qLen), dk = randn(kvLen), dv = randn(kvLen);
            for (int variant = 0; variant < 4; variant++) {
                boolean skipQ = variant == 1, skipK = variant == 2, skipV = variant == 3;
                check("attention " + java.util.Arrays.toString(s) + " variant " + variant, REDUCTION, e -> {
                    // the state is the engine's own (probabilities or less): only what it gives back is compared
                    Tensor out = e.allocate(qLen);
                    Tensor state = view(e, randn(e.attentionStateLength(b, heads, time)));
                    Tensor qt = view(e, q), kt = view(e, k), vt = view(e, v);
                    e.attentionForward(out, state, qt, kt, vt, b, time, heads, kv, d);
                    Tensor gq = grad(e, dq, skipQ), gk = grad(e, dk, skipK), gv = grad(e, dv, skipV);
                    e.attentionBackward(gq, gk, gv, view(e, dOut), qt, kt, vt, state, b, time, heads, kv, d);
                    return new float[][] {get(e, out), get(e, gq), get(e, gk), get(e, gv)};
                });
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ activations

    private static final int[] LENGTHS = {1, 7, 33, 129, 40_000};

    @Test
    void swiglu() {
        for (int n : LENGTHS) {
            float[] gate = randn(n), up = randn(n), dOut = randn(n), dGate = randn(n), dUp = randn(n);
            for (int i = 0; i < n; i += 3) {
                gate[i] *= 8; // reach the saturated ends of the sigmoid
            }
            for (int variant = 0; variant < 3; variant++) {
                boolean skipGate = variant == 1, skipUp = variant == 2;
                check("swiglu n=" + n + " variant " + variant, ELEMENTWISE, e -> {
                    Tensor out = e.allocate(n), g = view(e, gate), u = view(e, up);
                    e.swigluForward(out, g, u, n);
                    Tensor dg = grad(e, dGate, skipGate), du = grad(e, dUp, skipUp);
                    e.swigluBackward(dg, du, view(e, dOut), g, u, n);
                    return new float[][] {get(e, out), get(e, dg), get(e, du)};
                });
            }
        }
    }

    @Test
    void gelu() {
        for (int n : LENGTHS) {
            float[] x = randn(n), dOut = randn(n), dx = randn(n);
            for (int i = 0; i < n; i += 3) {
                x[i] *= 5;
            }
            check("gelu n=" + n, ELEMENTWISE, e -> {
                Tensor out = e.allocate(n), xt = view(e, x);
                e.geluForward(out, xt, n);
                Tensor g = view(e, dx);
                e.geluBackward(g, Gradient.ACCUMULATE, view(e, dOut), xt, n);
                Tensor overwritten = view(e, dx); // random contents, ignored
                e.geluBackward(overwritten, Gradient.OVERWRITE, view(e, dOut), xt, n);
                // out and x as two views of one array (a model's up and activated)
                Tensor[] within = split(e, java.util.Arrays.copyOf(x, 2 * n), true, n, n);
                e.geluForward(within[1], within[0], n);
                return new float[][] {get(e, out), get(e, g), get(e, overwritten), get(e, within[1])};
            });
        }
    }

    @Test
    void addAndAccumulate() {
        for (int n : LENGTHS) {
            float[] a = randn(n), b = randn(n), dst = randn(n);
            check("add/accumulate n=" + n, ELEMENTWISE, e -> {
                Tensor out = e.allocate(n);
                e.add(out, view(e, a), view(e, b), n);
                Tensor d = view(e, dst);
                e.accumulate(d, view(e, a), -0.37f, n);
                return new float[][] {get(e, out), get(e, d)};
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ memory

    /** allocatedBytes counts each new tensor once, 4 bytes per element (8 for float64 storage), and no view. */
    @Test
    void allocatedBytesCountsEveryTensor() {
        for (Engine e : engines()) {
            long before = e.allocatedBytes();
            Tensor floats = e.allocate(1000);
            e.allocateInts(500);
            floats.view(10, 100);
            long added = e.allocatedBytes() - before;
            assertTrue(added == 4 * 1000 + 4 * 500 || added == 8 * 1000 + 4 * 500,
                    describe(e) + ": allocatedBytes grew by " + added + " for 1000 floats and 500 ints");
        }
        long before = REF.allocatedBytes();
        REF.allocate(1000);
        assertEquals(8 * 1000, REF.allocatedBytes() - before, "the reference engine stores float64 at any precision");
    }

    // ------------------------------------------------------------------------------------------------ loss

    @Test
    void crossEntropy() {
        for (int[] s : new int[][] {{1, 5}, {7, 17}, {33, 63}, {4, 50_304}}) {
            int n = s[0], vocab = s[1];
            float[] logits = randn(n * vocab);
            for (int i = 0; i < logits.length; i++) {
                logits[i] *= 3;
            }
            int[] targets = ids(n, vocab);
            float[] weights = positive(n);
            check("cross-entropy " + n + "x" + vocab, REDUCTION, e -> {
                Tensor losses = e.allocate(n), probs = e.allocate(n * vocab);
                IntTensor tg = ints(e, targets);
                e.crossEntropyForward(losses, probs, view(e, logits), tg, n, vocab);
                Tensor d = view(e, randn(n * vocab)); // overwritten
                e.crossEntropyBackward(d, probs, tg, view(e, weights), n, vocab);
                Tensor loss = e.allocate(1);
                e.weightedSum(loss, losses, view(e, weights), n);
                float[] probsBefore = get(e, probs);
                e.crossEntropyBackward(probs, probs, tg, view(e, weights), n, vocab); // in place, as Transformer does
                return new float[][] {get(e, losses), probsBefore, get(e, d), get(e, loss), get(e, probs)};
            });
        }
    }

    @Test
    void sums() {
        for (int n : new int[] {1, 7, 33, 129, 300_001}) {
            float[] x = randn(n), w = positive(n);
            check("weightedSum/sumOfSquares n=" + n, REDUCTION, e -> {
                Tensor ws = e.allocate(1), ss = view(e, new float[1]);
                e.weightedSum(ws, view(e, x), view(e, w), n);
                e.sumOfSquares(ss, view(e, x), n);
                return new float[][] {get(e, ws), get(e, ss)};
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ optimizer

    @Test
    void adamw() {
        for (int n : new int[] {1, 7, 33, 129, 40_000}) {
            float[] p = randn(n), g = randn(n), m = randn(n), v = positive(n);
            for (float maxNorm : new float[] {0f, 1f, 1e6f}) { // off, clipping, not clipping
                AdamWSettings s = new AdamWSettings(0.9f, 0.95f, 1e-8f, 0.1f, maxNorm);
                check("adamw n=" + n + " maxNorm=" + maxNorm, ELEMENTWISE, e -> {
                    Tensor pt = view(e, p), gt = view(e, g), mt = view(e, m), vt = view(e, v);
                    Tensor norm = e.allocate(1);
                    e.sumOfSquares(norm, gt, n);
                    e.adamw(pt, gt, mt, vt, norm, s, 1e-2f, 3, n);
                    // the step itself (p_new - p_old), so that a wrong update is not hidden by |p|
                    float[] delta = get(e, pt);
                    for (int i = 0; i < n; i++) {
                        delta[i] -= p[i];
                    }
                    return new float[][] {delta, get(e, mt), get(e, vt)};
                });
            }
        }
    }

    /**
     * AdamW over two ranges, as a model's decayed matrices and undecayed rest: following each other in the buffers
     * (one launch where an engine fuses them), the second without weight decay; then with the ranges apart.
     */
    @Test
    void adamwTwoRanges() {
        for (int n : new int[] {2, 33, 40_001}) {
            float[] p = randn(n), g = randn(n), m = randn(n), v = positive(n);
            AdamWSettings s = new AdamWSettings(0.9f, 0.95f, 1e-8f, 0.1f, 1f);
            for (boolean adjacent : new boolean[] {true, false}) {
                int d = n / 3 + 1;
                check("adamw two ranges n=" + n + (adjacent ? " adjacent" : " apart"), ELEMENTWISE, e -> {
                    Tensor pt = view(e, p), gt = view(e, g), mt = view(e, m), vt = view(e, v);
                    Tensor norm = e.allocate(1);
                    e.sumOfSquares(norm, gt, n);
                    // apart: the second range skips the first element after the first range
                    int at = adjacent ? d : d + 1, length = n - at;
                    Tensor[] first = {pt.view(0, d), gt.view(0, d), mt.view(0, d), vt.view(0, d)};
                    Tensor[] second = {pt.view(at, length), gt.view(at, length), mt.view(at, length),
                        vt.view(at, length)};
                    e.adamw(first, s, second, s.withWeightDecay(0f), norm, 1e-2f, 3);
                    float[] delta = get(e, pt);
                    for (int i = 0; i < n; i++) {
                        delta[i] -= p[i];
                    }
                    return new float[][] {delta, get(e, mt), get(e, vt)};
                });
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ whole model

    @Test
    protected void llamaTinyModel() {
        checkModel(Presets.load("llama-tiny"), 2, 32);
    }

    @Test
    protected void gpt2StyleModel() {
        ModelConfig gpt2 = new ModelConfig("gpt2-test", 48, 2, 4, 4, 192, 101, 64, ModelConfig.Norm.layernorm,
                ModelConfig.Mlp.gelu, ModelConfig.Positions.learned, true, true, 10000.0, 1e-5);
        checkModel(gpt2.validate("test"), 3, 21);
    }

    /** Loss and the whole gradient buffer of one forward/backward step, engine under test against reference. */
    protected void checkModel(ModelConfig config, int batch, int time) {
        int[] tokens = ids(batch * time, config.vocab());
        int[] targets = ids(batch * time, config.vocab());
        check("model " + config.name(), REDUCTION, e -> {
            Transformer model = new Transformer(config, e);
            Initializer.initialize(model, 7);
            model.setInputs(tokens, targets, null, batch, time);
            model.forward();
            model.backward();
            return new float[][] {{(float) model.loss()}, get(e, model.gradients())};
        });
    }
}
