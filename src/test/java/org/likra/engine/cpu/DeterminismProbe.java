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

    private long all() {
        int n = 37, c = 45, vocab = 51, f = 3 * c;
        Tensor x = randn(n * c), dOut = randn(n * c);
        IntTensor tokens = ints(n, vocab);

        Tensor table = randn(vocab * c), emb = e.allocate(n * c), dTable = randn(vocab * c);
        e.embeddingForward(emb, tokens, table, n, c);
        e.embeddingBackward(dTable, dOut, tokens, n, c);
        Tensor positions = randn(n * c), dPositions = randn(n * c);
        e.positionEmbeddingForward(emb, positions, 1, n, c);
        e.positionEmbeddingBackward(dPositions, dOut, 1, n, c);
        mix(emb, dTable, dPositions);

        Tensor w = randn(c), bias = randn(c), out = e.allocate(n * c), mean = e.allocate(n), rstd = e.allocate(n);
        Tensor dx = randn(n * c), dw = randn(c), db = randn(c);
        e.rmsNormForward(out, rstd, x, w, n, c, 1e-5f);
        e.rmsNormBackward(dx, dw, dOut, x, w, rstd, n, c);
        mix(out, rstd, dx, dw);
        e.layerNormForward(out, mean, rstd, x, w, bias, n, c, 1e-5f);
        e.layerNormBackward(dx, dw, db, dOut, x, w, mean, rstd, n, c);
        mix(out, mean, rstd, dx, dw, db);

        // linear layers: one shape inside a tile, one over several tiles and depth blocks
        for (int[] s : new int[][] {{n, c, 29}, {101, 300, 140}}) {
            int rows = s[0], in = s[1], outDim = s[2];
            Tensor xi = randn(rows * in), wi = randn(outDim * in), bi = randn(outDim), g = randn(rows * outDim);
            Tensor y = e.allocate(rows * outDim), gx = randn(rows * in), gw = randn(outDim * in), gb = randn(outDim);
            e.linearForward(y, xi, wi, bi, rows, in, outDim);
            e.linearBackward(gx, Gradient.ACCUMULATE, gw, gb, Gradient.ACCUMULATE, g, xi, wi, rows, in, outDim);
            mix(y, gx, gw, gb);
        }

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

        Tensor gate = randn(n * f), up = randn(n * f), act = e.allocate(n * f), dAct = randn(n * f);
        Tensor dGate = randn(n * f), dUp = randn(n * f);
        e.swigluForward(act, gate, up, n * f);
        e.swigluBackward(dGate, dUp, dAct, gate, up, n * f);
        mix(act, dGate, dUp);
        e.geluForward(act, gate, n * f);
        e.geluBackward(dGate, Gradient.ACCUMULATE, dAct, gate, n * f);
        e.add(up, act, dGate, n * f);
        e.accumulate(dUp, up, 0.37f, n * f);
        mix(act, dGate, up, dUp);

        Tensor logits = randn(n * vocab), lp = e.allocate(n * vocab), losses = e.allocate(n);
        Tensor dLogits = e.allocate(n * vocab), weights = randn(n), loss = e.allocate(1);
        IntTensor targets = ints(n, vocab);
        e.crossEntropyForward(losses, lp, logits, targets, n, vocab);
        e.crossEntropyBackward(dLogits, lp, targets, weights, n, vocab);
        e.weightedSum(loss, losses, weights, n);
        mix(lp, losses, dLogits, loss);

        int m = 20_001;
        Tensor p = randn(m), grad = randn(m), m1 = randn(m), m2 = e.allocate(m), norm = e.allocate(1);
        e.sumOfSquares(norm, grad, m);
        e.adamw(p, grad, m1, m2, norm, new AdamWSettings(0.9f, 0.95f, 1e-8f, 0.1f, 1f), 1e-2f, 3, m);
        mix(norm, p, m1, m2);
        return hash;
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
