package org.likra.engine.cpu;

import org.likra.engine.AdamWSettings;
import org.likra.engine.Gradient;
import org.likra.engine.IntTensor;
import org.likra.engine.Tensor;

import java.util.Random;

/**
 * Runs every operation of {@link CpuEngine} once on fixed, seeded inputs at small odd shapes (vector bodies and
 * scalar tails, several matrix-product tiles) and returns a hash of the bits of every output. Equal hashes mean
 * bitwise-equal results. {@code main} prints the hash for a thread count, so that a test can compare a child JVM
 * run with {@code -Xint} (the Vector API's Java fallbacks, no JIT) against the compiled code in the test's JVM.
 */
final class DeterminismProbe {
    /** Rows, width, vocabulary and hidden width of the shapes below (odd, so that vector tails run too). */
    private static final int N = 37, C = 45, VOCAB = 51, F = 3 * C;
    private final CpuEngine e;
    private final Random random = new Random(20240611);
    private long hash = 1125899906842597L;

    private DeterminismProbe(CpuEngine e) {
        this.e = e;
    }

    public static void main(String[] args) {
        try (CpuEngine e = new CpuEngine(Integer.parseInt(args[0]))) {
            System.out.println(run(e));
        }
    }

    /** The hash of every output of one pass over all operations. */
    static long run(CpuEngine e) {
        return new DeterminismProbe(e).all();
    }

    /** Every operation in a fixed order, on shapes with vector bodies and scalar tails; the hash of all outputs. */
    private long all() {
        embeddingsAndNorms();
        linear();
        ropeAndAttention();
        pointwise();
        lossAndOptimizer();
        return hash;
    }

    private void embeddingsAndNorms() {
        Tensor x = randn(N * C), dOut = randn(N * C);
        IntTensor tokens = ints(N, VOCAB);

        Tensor table = randn(VOCAB * C), emb = e.allocate(N * C), dTable = randn(VOCAB * C);
        e.embeddingForward(emb, tokens, table, N, C);
        e.embeddingBackward(dTable, dOut, tokens, N, C);
        Tensor positions = randn(N * C), dPositions = randn(N * C);
        e.positionEmbeddingForward(emb, positions, 1, N, C);
        e.positionEmbeddingBackward(dPositions, dOut, 1, N, C);
        mix(emb, dTable, dPositions);

        Tensor w = randn(C), bias = randn(C), out = e.allocate(N * C), mean = e.allocate(N), rstd = e.allocate(N);
        Tensor dx = randn(N * C), dw = randn(C), db = randn(C);
        e.rmsNormForward(out, rstd, x, w, N, C, 1e-5f);
        e.rmsNormBackward(dx, dw, dOut, x, w, rstd, N, C);
        mix(out, rstd, dx, dw);
        e.layerNormForward(out, mean, rstd, x, w, bias, N, C, 1e-5f);
        e.layerNormBackward(dx, dw, db, dOut, x, w, mean, rstd, N, C);
        mix(out, mean, rstd, dx, dw, db);
    }

    /** Linear layers (one shape inside a tile, one over several tiles and depth blocks): added to, then overwritten. */
    private void linear() {
        for (int[] s : new int[][] {{N, C, 29}, {101, 300, 140}}) {
            int rows = s[0], in = s[1], outDim = s[2];
            Tensor xi = randn(rows * in), wi = randn(outDim * in), bi = randn(outDim), g = randn(rows * outDim);
            Tensor y = e.allocate(rows * outDim), gx = randn(rows * in), gw = randn(outDim * in), gb = randn(outDim);
            e.linearForward(y, xi, wi, bi, rows, in, outDim);
            e.linearBackward(gx, Gradient.ACCUMULATE, gw, gb, Gradient.ACCUMULATE, g, xi, wi, rows, in, outDim);
            mix(y, gx, gw, gb);
            e.linearBackward(gx, Gradient.OVERWRITE, gw, gb, Gradient.OVERWRITE, g, xi, wi, rows, in, outDim);
            mix(gx, gw, gb);
        }
    }

    private void ropeAndAttention() {
        int batch = 2, time = 13, heads = 4, kv = 2, d = 18;
        int qLen = batch * time * heads * d, kvLen = batch * time * kv * d;
        Tensor q = randn(qLen), k = randn(kvLen), v = randn(kvLen), qr = e.allocate(qLen), dq = randn(qLen);
        e.ropeForward(qr, q, batch, time, heads, d, 10000f, 3);
        e.ropeBackward(dq, q, batch, time, heads, d, 10000f, 3);
        mix(qr, dq);
        Tensor att = e.allocate(qLen), probs = e.allocate(batch * heads * time * time);
        Tensor dk = randn(kvLen), dv = randn(kvLen), dAtt = randn(qLen);
        e.attentionForward(att, probs, qr, k, v, batch, time, heads, kv, d);
        e.attentionBackward(dq, dk, dv, dAtt, qr, k, v, probs, batch, time, heads, kv, d);
        mix(att, probs, dq, dk, dv);
    }

    private void pointwise() {
        Tensor gate = randn(N * F), up = randn(N * F), act = e.allocate(N * F), dAct = randn(N * F);
        Tensor dGate = randn(N * F), dUp = randn(N * F);
        e.swigluForward(act, gate, up, N * F);
        e.swigluBackward(dGate, dUp, dAct, gate, up, N * F);
        mix(act, dGate, dUp);
        e.geluForward(act, gate, N * F);
        e.geluBackward(dGate, Gradient.ACCUMULATE, dAct, gate, N * F);
        e.add(up, act, dGate, N * F);
        e.accumulate(dUp, up, 0.37f, N * F);
        mix(act, dGate, up, dUp);
        e.geluBackward(dGate, Gradient.OVERWRITE, dAct, gate, N * F);
        mix(dGate);
    }

    private void lossAndOptimizer() {
        Tensor logits = randn(N * VOCAB), lp = e.allocate(N * VOCAB), losses = e.allocate(N);
        Tensor dLogits = e.allocate(N * VOCAB), weights = randn(N), loss = e.allocate(1);
        IntTensor targets = ints(N, VOCAB);
        e.crossEntropyForward(losses, lp, logits, targets, N, VOCAB);
        e.crossEntropyBackward(dLogits, lp, targets, weights, N, VOCAB);
        e.weightedSum(loss, losses, weights, N);
        mix(lp, losses, dLogits, loss);

        int m = 20_001;
        Tensor p = randn(m), grad = randn(m), m1 = randn(m), m2 = e.allocate(m), norm = e.allocate(1);
        e.sumOfSquares(norm, grad, m);
        e.adamw(p, grad, m1, m2, norm, new AdamWSettings(0.9f, 0.95f, 1e-8f, 0.1f, 1f), 1e-2f, 3, m);
        mix(norm, p, m1, m2);
    }

    private Tensor randn(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        Tensor t = e.allocate(n);
        e.upload(t, v, 0);
        return t;
    }

    private IntTensor ints(int n, int bound) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextInt(bound);
        }
        IntTensor t = e.allocateInts(n);
        e.upload(t, v, 0);
        return t;
    }

    private void mix(Tensor... tensors) {
        for (Tensor t : tensors) {
            float[] v = new float[t.length()];
            e.download(t, v, 0);
            for (float x : v) {
                hash = hash * 31 + Float.floatToRawIntBits(x);
            }
        }
    }
}
