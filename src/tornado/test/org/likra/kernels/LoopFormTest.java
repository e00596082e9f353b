package org.likra.kernels;

import org.junit.jupiter.api.Test;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.Gradient;
import org.likra.engine.IntTensor;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;
import org.likra.engine.reference.ReferenceEngine;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code @Parallel} loop form of every kernel run as plain Java (no TornadoVM device: the annotation does nothing
 * outside TornadoVM and the loops run sequentially) against the reference engine. Inputs sit at an offset inside
 * larger arrays to exercise the (array, offset) convention. Tolerances as in TornadoEngineTest: relative L2 error
 * 1e-5 elementwise, 1e-4 for reductions, products and attention. Lives in the tornado profile because the kernels
 * take TornadoVM's off-heap arrays.
 */
class LoopFormTest {
    private static final double ELEMENTWISE = 1e-5;
    private static final double REDUCTION = 1e-4;
    private static final int PAD = 3;
    private final Engine ref = new ReferenceEngine(Precision.F32);
    private final Random random = new Random(99);

    private float[] randn(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private int[] ids(int n, int bound) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextInt(bound);
        }
        return x;
    }

    /** values placed PAD elements into an array PAD + n + 2 long. */
    private static FloatArray fa(float[] values) {
        FloatArray a = new FloatArray(values.length + PAD + 2);
        a.init(0f);
        for (int i = 0; i < values.length; i++) {
            a.set(PAD + i, values[i]);
        }
        return a;
    }

    private static IntArray ia(int[] values) {
        IntArray a = new IntArray(values.length + PAD + 2);
        a.init(0);
        for (int i = 0; i < values.length; i++) {
            a.set(PAD + i, values[i]);
        }
        return a;
    }

    private static float[] out(FloatArray a, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = a.get(PAD + i);
        }
        return x;
    }

    private Tensor rt(float[] values) {
        Tensor t = ref.allocate(values.length);
        ref.upload(t, values, 0);
        return t;
    }

    private IntTensor ri(int[] values) {
        IntTensor t = ref.allocateInts(values.length);
        ref.upload(t, values, 0);
        return t;
    }

    private float[] get(Tensor t) {
        float[] x = new float[t.length()];
        ref.download(t, x, 0);
        return x;
    }

    private static void close(String what, float[] got, float[] expected, double tolerance) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) got[i] - expected[i];
            diff += d * d;
            norm += (double) expected[i] * expected[i];
        }
        double err = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
        assertTrue(norm > 0, what + ": reference is all zero");
        assertTrue(err <= tolerance, what + ": relative error " + err + " > " + tolerance);
    }

    @Test
    void pointwise() {
        int n = 1001;
        float[] a = randn(n), b = randn(n), d = randn(n), g0 = randn(n);
        FloatArray o = fa(new float[n]);
        Pointwise.add(o, PAD, fa(a), PAD, fa(b), PAD, n);
        Tensor ro = ref.allocate(n);
        ref.add(ro, rt(a), rt(b), n);
        close("add", out(o, n), get(ro), ELEMENTWISE);

        FloatArray acc = fa(d);
        Pointwise.accumulate(acc, PAD, fa(a), PAD, 0.5f, n);
        Tensor racc = rt(d);
        ref.accumulate(racc, rt(a), 0.5f, n);
        close("accumulate", out(acc, n), get(racc), ELEMENTWISE);

        Pointwise.swigluForward(o, PAD, fa(a), PAD, fa(b), PAD, n);
        ref.swigluForward(ro, rt(a), rt(b), n);
        close("swiglu", out(o, n), get(ro), ELEMENTWISE);
        FloatArray dg = fa(g0), du = fa(d);
        Pointwise.swigluBackwardGate(dg, PAD, fa(b), PAD, fa(a), PAD, fa(b), PAD, n);
        Pointwise.swigluBackwardUp(du, PAD, fa(b), PAD, fa(a), PAD, n);
        Tensor rdg = rt(g0), rdu = rt(d);
        ref.swigluBackward(rdg, rdu, rt(b), rt(a), rt(b), n);
        close("swiglu dGate", out(dg, n), get(rdg), ELEMENTWISE);
        close("swiglu dUp", out(du, n), get(rdu), ELEMENTWISE);

        Pointwise.geluForward(o, PAD, fa(a), PAD, n);
        ref.geluForward(ro, rt(a), n);
        close("gelu", out(o, n), get(ro), ELEMENTWISE);
        FloatArray dx = fa(d);
        Pointwise.geluBackward(dx, PAD, fa(b), PAD, fa(a), PAD, n, 1);
        Tensor rdx = rt(d);
        ref.geluBackward(rdx, Gradient.ACCUMULATE, rt(b), rt(a), n);
        close("gelu backward", out(dx, n), get(rdx), ELEMENTWISE);
    }

    @Test
    void embeddings() {
        int batch = 3, time = 7, c = 19, vocab = 11, n = batch * time;
        int[] tok = ids(n, vocab);
        float[] table = randn(vocab * c), dTable = randn(vocab * c), dOut = randn(n * c), pos = randn(time * c);
        FloatArray o = fa(new float[n * c]);
        Embeddings.tokenForward(o, PAD, ia(tok), PAD, fa(table), PAD, n, c);
        Embeddings.positionForward(o, PAD, fa(pos), PAD, n, time, c);
        Tensor ro = ref.allocate(n * c);
        ref.embeddingForward(ro, ri(tok), rt(table), n, c);
        ref.positionEmbeddingForward(ro, rt(pos), batch, time, c);
        close("embedding forward", out(o, n * c), get(ro), ELEMENTWISE);
        FloatArray dt = fa(dTable), dp = fa(pos);
        Embeddings.tokenBackward(dt, PAD, fa(dOut), PAD, ia(tok), PAD, n, c);
        Embeddings.positionBackward(dp, PAD, fa(dOut), PAD, batch, time, c);
        Tensor rdt = rt(dTable), rdp = rt(pos);
        ref.embeddingBackward(rdt, rt(dOut), ri(tok), n, c);
        ref.positionEmbeddingBackward(rdp, rt(dOut), batch, time, c);
        close("embedding backward", out(dt, vocab * c), get(rdt), ELEMENTWISE);
        close("position backward", out(dp, time * c), get(rdp), ELEMENTWISE);
    }

    @Test
    void norms() {
        int n = 13, c = 37;
        float[] x = randn(n * c), w = randn(c), bias = randn(c), dOut = randn(n * c), dx0 = randn(n * c),
                dw0 = randn(c);
        FloatArray o = fa(new float[n * c]), rs = fa(new float[n]), mean = fa(new float[n]);
        Norms.rmsForward(o, PAD, rs, PAD, fa(x), PAD, fa(w), PAD, n, c, 1e-5f);
        Tensor ro = ref.allocate(n * c), rrs = ref.allocate(n), rmean = ref.allocate(n);
        ref.rmsNormForward(ro, rrs, rt(x), rt(w), n, c, 1e-5f);
        close("rmsnorm", out(o, n * c), get(ro), REDUCTION);
        FloatArray dx = fa(dx0), dw = fa(dw0);
        Norms.rmsBackwardInput(dx, PAD, fa(dOut), PAD, fa(x), PAD, fa(w), PAD, rs, PAD, n, c);
        Norms.rmsBackwardWeight(dw, PAD, fa(dOut), PAD, fa(x), PAD, rs, PAD, n, c);
        Tensor rdx = rt(dx0), rdw = rt(dw0);
        ref.rmsNormBackward(rdx, rdw, rt(dOut), rt(x), rt(w), rrs, n, c);
        close("rmsnorm dx", out(dx, n * c), get(rdx), REDUCTION);
        close("rmsnorm dw", out(dw, c), get(rdw), REDUCTION);

        Norms.layerForward(o, PAD, mean, PAD, rs, PAD, fa(x), PAD, fa(w), PAD, fa(bias), PAD, n, c, 1e-5f);
        ref.layerNormForward(ro, rmean, rrs, rt(x), rt(w), rt(bias), n, c, 1e-5f);
        close("layernorm", out(o, n * c), get(ro), REDUCTION);
        dx = fa(dx0);
        dw = fa(dw0);
        FloatArray db = fa(dw0);
        Norms.layerBackwardInput(dx, PAD, fa(dOut), PAD, fa(x), PAD, fa(w), PAD, mean, PAD, rs, PAD, n, c);
        Norms.layerBackwardWeight(dw, PAD, fa(dOut), PAD, fa(x), PAD, mean, PAD, rs, PAD, n, c);
        Norms.columnSums(db, PAD, fa(dOut), PAD, n, c, 1);
        rdx = rt(dx0);
        rdw = rt(dw0);
        Tensor rdb = rt(dw0);
        ref.layerNormBackward(rdx, rdw, rdb, rt(dOut), rt(x), rt(w), rmean, rrs, n, c);
        close("layernorm dx", out(dx, n * c), get(rdx), REDUCTION);
        close("layernorm dw", out(dw, c), get(rdw), REDUCTION);
        close("layernorm db", out(db, c), get(rdb), REDUCTION);
    }

    @Test
    void linear() {
        int n = 9, in = 21, outDim = 17;
        float[] x = randn(n * in), w = randn(outDim * in), b = randn(outDim), dOut = randn(n * outDim);
        float[] dx0 = randn(n * in), dw0 = randn(outDim * in);
        FloatArray y = fa(new float[n * outDim]);
        MatMul.matmul(fa(x), PAD, in, 1, fa(w), PAD, 1, in, y, PAD, outDim, fa(b), PAD, MatMul.BIAS, 0, n, outDim,
                in);
        Tensor ry = ref.allocate(n * outDim);
        ref.linearForward(ry, rt(x), rt(w), rt(b), n, in, outDim);
        close("linear forward", out(y, n * outDim), get(ry), REDUCTION);
        FloatArray dx = fa(dx0), dw = fa(dw0);
        MatMul.matmul(fa(dOut), PAD, outDim, 1, fa(w), PAD, in, 1, dx, PAD, in, fa(b), PAD, MatMul.ACCUMULATE, 0, n, in,
                outDim);
        MatMul.matmul(fa(dOut), PAD, 1, outDim, fa(x), PAD, in, 1, dw, PAD, in, fa(b), PAD, MatMul.ACCUMULATE, 0,
                outDim, in, n);
        Tensor rdx = rt(dx0), rdw = rt(dw0);
        ref.linearBackward(rdx, Gradient.ACCUMULATE, rdw, null, Gradient.ACCUMULATE, rt(dOut), rt(x), rt(w), n, in,
                outDim);
        close("linear dx", out(dx, n * in), get(rdx), REDUCTION);
        close("linear dW", out(dw, outDim * in), get(rdw), REDUCTION);
    }

    /** The GELU epilogue (pre and gelu(pre) in one array) and the QKV epilogue (three outputs of rows + 2 rows). */
    @Test
    void linearEpilogues() {
        int n = 9, in = 21, outDim = 17, gap = 5;
        float[] x = randn(n * in), w = randn(outDim * in), b = randn(outDim);
        FloatArray both = fa(new float[2 * n * outDim + gap]);
        int distance = n * outDim + gap;
        MatMul.matmul(fa(x), PAD, in, 1, fa(w), PAD, 1, in, both, PAD, outDim, fa(b), PAD, MatMul.BIAS | MatMul.GELU,
                distance, n, outDim, in);
        Tensor pre = ref.allocate(n * outDim), activated = ref.allocate(n * outDim);
        ref.linearForward(pre, rt(x), rt(w), rt(b), n, in, outDim);
        ref.geluForward(activated, pre, n * outDim);
        close("linear gelu pre", out(both, n * outDim), get(pre), REDUCTION);
        float[] act = new float[n * outDim];
        for (int i = 0; i < act.length; i++) {
            act[i] = both.get(PAD + distance + i);
        }
        close("linear gelu activated", act, get(activated), REDUCTION);

        int qDim = 8, kvDim = 4, rows = n + 2, width = qDim + 2 * kvDim;
        float[] wqkv = randn(width * in);
        FloatArray qkv = fa(new float[rows * width]);
        MatMul.matmul(fa(x), PAD, in, 1, fa(wqkv), PAD, 1, in, qkv, PAD, qDim, fa(b), PAD, MatMul.QKV, rows, n, width,
                in);
        Tensor stacked = ref.allocate(n * width);
        ref.linearForward(stacked, rt(x), rt(wqkv), null, n, in, width);
        float[] expected = get(stacked);
        float[] got = new float[n * width];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < width; j++) {
                int at = j < qDim ? i * qDim + j : j < qDim + kvDim ? rows * qDim + i * kvDim + j - qDim
                        : rows * (qDim + kvDim) + i * kvDim + j - qDim - kvDim;
                got[i * width + j] = qkv.get(PAD + at);
            }
        }
        close("linear qkv", got, expected, REDUCTION);
    }

    @Test
    void rope() {
        int batch = 2, time = 5, heads = 3, d = 8, offset = 4, len = batch * time * heads * d, half = d / 2;
        float theta = 10000f;
        FloatArray table = new FloatArray(time * half * 2);
        for (int t = 0; t < time; t++) {
            for (int i = 0; i < half; i++) {
                double angle = (offset + t) * Math.pow(theta, -2.0 * i / d);
                table.set((t * half + i) * 2, (float) Math.cos(angle));
                table.set((t * half + i) * 2 + 1, (float) Math.sin(angle));
            }
        }
        float[] x = randn(len), dOut = randn(len), dx0 = randn(len);
        FloatArray o = fa(new float[len]), dx = fa(dx0);
        Rope.forward(o, PAD, fa(x), PAD, table, batch * time * heads, time, heads, d);
        Rope.backward(dx, PAD, fa(dOut), PAD, table, batch * time * heads, time, heads, d);
        Tensor ro = ref.allocate(len), rdx = rt(dx0);
        ref.ropeForward(ro, rt(x), batch, time, heads, d, theta, offset);
        ref.ropeBackward(rdx, rt(dOut), batch, time, heads, d, theta, offset);
        close("rope", out(o, len), get(ro), ELEMENTWISE);
        close("rope backward", out(dx, len), get(rdx), ELEMENTWISE);
    }

    @Test
    void attention() {
        int batch = 2, time = 9, heads = 4, kv = 2, d = 6;
        int qLen = batch * time * heads * d, kvLen = batch * time * kv * d, pLen = batch * heads * time * time;
        float[] q = randn(qLen), k = randn(kvLen), v = randn(kvLen), dOut = randn(qLen);
        float[] dq0 = randn(qLen), dk0 = randn(kvLen), dv0 = randn(kvLen);
        int lLen = batch * heads * time;
        FloatArray o = fa(new float[qLen]), lse = fa(new float[lLen]);
        Attention.forwardRows(o, PAD, lse, PAD, fa(q), PAD, fa(k), PAD, fa(v), PAD, batch, time, heads, kv, d);
        Tensor ro = ref.allocate(qLen), rp = ref.allocate(pLen);
        ref.attentionForward(ro, rp, rt(q), rt(k), rt(v), batch, time, heads, kv, d);
        close("attention out", out(o, qLen), get(ro), REDUCTION);
        FloatArray dq = fa(dq0), dk = fa(dk0), dv = fa(dv0), delta = new FloatArray(lLen);
        Attention.backwardQuery(dq, PAD, delta, fa(dOut), PAD, fa(q), PAD, fa(k), PAD, fa(v), PAD, lse, PAD, batch,
                time, heads, kv, d);
        Attention.backwardKeyValue(dk, PAD, dv, PAD, delta, fa(dOut), PAD, fa(q), PAD, fa(k), PAD, fa(v), PAD, lse,
                PAD, batch, time, heads, kv, d);
        Tensor rdq = rt(dq0), rdk = rt(dk0), rdv = rt(dv0);
        ref.attentionBackward(rdq, rdk, rdv, rt(dOut), rt(q), rt(k), rt(v), rp, batch, time, heads, kv, d);
        close("attention dq", out(dq, qLen), get(rdq), REDUCTION);
        close("attention dk", out(dk, kvLen), get(rdk), REDUCTION);
        close("attention dv", out(dv, kvLen), get(rdv), REDUCTION);
    }

    @Test
    void loss() {
        int n = 7, vocab = 29;
        float[] z = randn(n * vocab), w = randn(n);
        int[] targets = ids(n, vocab);
        FloatArray losses = fa(new float[n]), probs = fa(new float[n * vocab]), dz = fa(new float[n * vocab]);
        Losses.crossEntropyForward(losses, PAD, probs, PAD, fa(z), PAD, ia(targets), PAD, n, vocab);
        Losses.crossEntropyBackward(dz, PAD, probs, PAD, ia(targets), PAD, fa(w), PAD, n, vocab);
        Tensor rl = ref.allocate(n), rp = ref.allocate(n * vocab), rdz = ref.allocate(n * vocab);
        ref.crossEntropyForward(rl, rp, rt(z), ri(targets), n, vocab);
        ref.crossEntropyBackward(rdz, rp, ri(targets), rt(w), n, vocab);
        close("cross-entropy losses", out(losses, n), get(rl), REDUCTION);
        close("cross-entropy probs", out(probs, n * vocab), get(rp), REDUCTION);
        close("cross-entropy dLogits", out(dz, n * vocab), get(rdz), REDUCTION);
        Losses.crossEntropyBackwardInPlace(probs, PAD, PAD, ia(targets), PAD, fa(w), PAD, n, vocab);
        close("cross-entropy dLogits in place", out(probs, n * vocab), get(rdz), REDUCTION);
    }

    @Test
    void reductionsAndAdamw() {
        for (int n : new int[] {1, 1000, 5003}) {
            float[] x = randn(n), w = randn(n), m0 = randn(n), v0 = new float[n], p0 = randn(n);
            for (int i = 0; i < n; i++) {
                v0[i] = 0.1f + random.nextFloat();
            }
            FloatArray partials = new FloatArray(Reductions.PARTS), norm = fa(new float[1]), ws = fa(new float[1]);
            Reductions.squaresPartial(partials, fa(x), PAD, n);
            Reductions.finish(norm, PAD, partials);
            Reductions.weightedPartial(partials, fa(x), PAD, fa(w), PAD, n);
            Reductions.finish(ws, PAD, partials);
            Tensor rn = ref.allocate(1), rws = ref.allocate(1);
            ref.sumOfSquares(rn, rt(x), n);
            ref.weightedSum(rws, rt(x), rt(w), n);
            close("sumOfSquares n=" + n, out(norm, 1), get(rn), REDUCTION);
            close("weightedSum n=" + n, out(ws, 1), get(rws), REDUCTION);

            AdamWSettings s = new AdamWSettings(0.9f, 0.95f, 1e-8f, 0.1f, 1f);
            float lr = 1e-2f;
            int step = 3;
            FloatArray hyper = new FloatArray(Optimizer.HYPER_SIZE);
            hyper.set(Optimizer.LR, lr);
            hyper.set(Optimizer.BETA1, s.beta1());
            hyper.set(Optimizer.BETA2, s.beta2());
            hyper.set(Optimizer.EPS, s.eps());
            hyper.set(Optimizer.DECAY, s.weightDecay());
            hyper.set(Optimizer.MAX_NORM, s.maxGradNorm());
            hyper.set(Optimizer.CORRECTION1, (float) (1 - Math.pow(s.beta1(), step)));
            hyper.set(Optimizer.CORRECTION2, (float) (1 - Math.pow(s.beta2(), step)));
            FloatArray p = fa(p0), m = fa(m0), v = fa(v0);
            int decayed = n / 2; // the first half with weight decay, the rest without
            Optimizer.adamw(p, PAD, fa(x), PAD, m, PAD, v, PAD, norm, PAD, hyper, n, decayed);
            Tensor rpt = rt(p0), rm = rt(m0), rv = rt(v0), rx = rt(x);
            Tensor[] first = {rpt.view(0, decayed), rx.view(0, decayed), rm.view(0, decayed), rv.view(0, decayed)};
            Tensor[] second = {rpt.view(decayed, n - decayed), rx.view(decayed, n - decayed),
                rm.view(decayed, n - decayed), rv.view(decayed, n - decayed)};
            ref.adamw(first, s, second, s.withWeightDecay(0f), rn, lr, step);
            float[] update = out(p, n), refUpdate = get(rpt);
            for (int i = 0; i < n; i++) {
                update[i] -= p0[i];
                refUpdate[i] -= p0[i];
            }
            close("adamw step n=" + n, update, refUpdate, ELEMENTWISE * 10);
            close("adamw m n=" + n, out(m, n), get(rm), ELEMENTWISE);
            close("adamw v n=" + n, out(v, n), get(rv), ELEMENTWISE);
        }
    }
}
