package org.likra.engine;

import org.junit.jupiter.api.Test;
import org.likra.engine.reference.ReferenceEngine;

import java.util.Random;
import java.util.function.BiConsumer;

import static org.likra.engine.FiniteDifferences.assertGradient;
import static org.likra.engine.FiniteDifferences.gradient;

/**
 * Every backward operation of the reference engine against central finite differences in float64. Each case
 * reduces the operation's output to a scalar with fixed random weights r, L = sum_i r_i out_i, so that
 * dL/dout = r is passed to the backward method.
 */
class ReferenceGradientTest {
    private final Engine e = new ReferenceEngine(Precision.F64);
    private final Random random = new Random(42);

    private double[] randn(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextGaussian();
        }
        return x;
    }

    private Tensor tensor(double[] values) {
        Tensor t = e.allocate(values.length);
        e.upload(t, values, 0);
        return t;
    }

    private double[] values(Tensor t) {
        double[] out = new double[t.length()];
        e.download(t, out, 0);
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /**
     * Checks d(r . forward(inputs))/d(inputs[k]) for every input k.
     *
     * @param forward  (input tensors, output tensor) -> fills output
     * @param backward (input tensors, gradient tensors) -> accumulates gradients, given dOut = r in grads[last]
     */
    private void check(String name, double[][] inputs, int outLength, BiConsumer<Tensor[], Tensor> forward,
                       BiConsumer<Tensor[], Tensor[]> backward, int... checkedInputs) {
        double[] r = randn(outLength);
        Tensor[] in = new Tensor[inputs.length];
        for (int k = 0; k < inputs.length; k++) {
            in[k] = tensor(inputs[k]);
        }
        Tensor out = e.allocate(outLength);
        forward.accept(in, out);
        Tensor[] grads = new Tensor[inputs.length + 1];
        for (int k = 0; k < inputs.length; k++) {
            grads[k] = e.allocate(inputs[k].length);
        }
        grads[inputs.length] = tensor(r);
        backward.accept(in, grads);
        for (int k : checkedInputs) {
            final int which = k;
            double[] numerical = gradient(inputs[k], x -> {
                Tensor[] perturbed = in.clone();
                perturbed[which] = tensor(x);
                Tensor o = e.allocate(outLength);
                forward.accept(perturbed, o);
                return dot(r, values(o));
            });
            assertGradient(name + " input " + k, values(grads[k]), numerical);
        }
    }

    @Test
    void embedding() {
        int n = 7, c = 5, vocab = 6;
        int[] ids = {0, 3, 3, 5, 1, 0, 2};
        IntTensor tokens = e.allocateInts(n);
        e.upload(tokens, ids, 0);
        check("embedding", new double[][] {randn(vocab * c)}, n * c,
                (in, out) -> e.embeddingForward(out, tokens, in[0], n, c),
                (in, g) -> e.embeddingBackward(g[0], g[1], tokens, n, c), 0);
    }

    @Test
    void positionEmbedding() {
        int b = 2, t = 3, c = 4, maxT = 5;
        double[] x = randn(b * t * c);
        check("position embedding", new double[][] {randn(maxT * c)}, b * t * c,
                (in, out) -> {
                    e.upload(out, x, 0);
                    e.positionEmbeddingForward(out, in[0], b, t, c);
                },
                (in, g) -> e.positionEmbeddingBackward(g[0], g[1], b, t, c), 0);
    }

    @Test
    void rmsNorm() {
        int n = 4, c = 6;
        check("rmsnorm", new double[][] {randn(n * c), randn(c)}, n * c,
                (in, out) -> e.rmsNormForward(out, e.allocate(n), in[0], in[1], n, c, 1e-5f),
                (in, g) -> {
                    Tensor rstd = e.allocate(n);
                    e.rmsNormForward(e.allocate(n * c), rstd, in[0], in[1], n, c, 1e-5f);
                    e.rmsNormBackward(g[0], g[1], g[2], in[0], in[1], rstd, n, c);
                }, 0, 1);
    }

    @Test
    void layerNorm() {
        int n = 4, c = 6;
        check("layernorm", new double[][] {randn(n * c), randn(c), randn(c)}, n * c,
                (in, out) -> e.layerNormForward(out, e.allocate(n), e.allocate(n), in[0], in[1], in[2], n, c, 1e-5f),
                (in, g) -> {
                    Tensor mean = e.allocate(n);
                    Tensor rstd = e.allocate(n);
                    e.layerNormForward(e.allocate(n * c), mean, rstd, in[0], in[1], in[2], n, c, 1e-5f);
                    e.layerNormBackward(g[0], g[1], g[2], g[3], in[0], in[1], mean, rstd, n, c);
                }, 0, 1, 2);
    }

    @Test
    void linearWithBias() {
        int n = 3, in = 5, out = 4;
        check("linear", new double[][] {randn(n * in), randn(out * in), randn(out)}, n * out,
                (x, o) -> e.linearForward(o, x[0], x[1], x[2], n, in, out),
                (x, g) -> e.linearBackward(g[0], Gradient.ACCUMULATE, g[1], g[2], Gradient.ACCUMULATE, g[3], x[0], x[1],
                        n, in, out), 0, 1, 2);
    }

    @Test
    void linearWithoutBias() {
        int n = 3, in = 5, out = 4;
        check("linear without bias", new double[][] {randn(n * in), randn(out * in)}, n * out,
                (x, o) -> e.linearForward(o, x[0], x[1], null, n, in, out),
                (x, g) -> e.linearBackward(g[0], Gradient.ACCUMULATE, g[1], null, Gradient.ACCUMULATE, g[2], x[0], x[1],
                        n, in, out), 0, 1);
    }

    @Test
    void rope() {
        int b = 2, t = 3, heads = 2, d = 6;
        int len = b * t * heads * d;
        check("rope", new double[][] {randn(len)}, len,
                (in, out) -> e.ropeForward(out, in[0], b, t, heads, d, 10000f, 2),
                (in, g) -> e.ropeBackward(g[0], g[1], b, t, heads, d, 10000f, 2), 0);
    }

    @Test
    void groupedQueryAttention() {
        attention(4, 2);
    }

    @Test
    void multiHeadAttention() {
        attention(2, 2);
    }

    private void attention(int heads, int kvHeads) {
        int b = 2, t = 4, d = 3;
        int qLen = b * t * heads * d, kvLen = b * t * kvHeads * d;
        check("attention " + heads + "/" + kvHeads, new double[][] {randn(qLen), randn(kvLen), randn(kvLen)}, qLen,
                (in, out) -> e.attentionForward(out, e.allocate(b * heads * t * t), in[0], in[1], in[2], b, t, heads,
                        kvHeads, d),
                (in, g) -> {
                    Tensor probs = e.allocate(b * heads * t * t);
                    e.attentionForward(e.allocate(qLen), probs, in[0], in[1], in[2], b, t, heads, kvHeads, d);
                    e.attentionBackward(g[0], g[1], g[2], g[3], in[0], in[1], in[2], probs, b, t, heads, kvHeads, d);
                }, 0, 1, 2);
    }

    @Test
    void swiglu() {
        int n = 9;
        check("swiglu", new double[][] {randn(n), randn(n)}, n,
                (in, out) -> e.swigluForward(out, in[0], in[1], n),
                (in, g) -> e.swigluBackward(g[0], g[1], g[2], in[0], in[1], n), 0, 1);
    }

    @Test
    void gelu() {
        int n = 9;
        check("gelu", new double[][] {randn(n)}, n,
                (in, out) -> e.geluForward(out, in[0], n),
                (in, g) -> e.geluBackward(g[0], Gradient.ACCUMULATE, g[1], in[0], n), 0);
    }

    @Test
    void residualAdd() {
        int n = 6;
        check("residual add", new double[][] {randn(n), randn(n)}, n,
                (in, out) -> e.add(out, in[0], in[1], n),
                (in, g) -> {
                    e.accumulate(g[0], g[2], 1f, n);
                    e.accumulate(g[1], g[2], 1f, n);
                }, 0, 1);
    }

    @Test
    void crossEntropyWithMask() {
        int n = 4, vocab = 5;
        int[] ids = {1, 4, 0, 2};
        double[] weights = {0.5, 0.0, 0.25, 0.25};
        IntTensor targets = e.allocateInts(n);
        e.upload(targets, ids, 0);
        Tensor w = tensor(weights);
        // Output: the scalar weighted loss (length 1), so dL/dlogits is crossEntropyBackward scaled by r[0].
        check("cross-entropy", new double[][] {randn(n * vocab)}, 1,
                (in, out) -> {
                    Tensor losses = e.allocate(n);
                    e.crossEntropyForward(losses, e.allocate(n * vocab), in[0], targets, n, vocab);
                    e.weightedSum(out, losses, w, n);
                },
                (in, g) -> {
                    Tensor probs = e.allocate(n * vocab);
                    e.crossEntropyForward(e.allocate(n), probs, in[0], targets, n, vocab);
                    Tensor scaled = e.allocate(n);
                    e.accumulate(scaled, w, (float) values(g[1])[0], n);
                    e.crossEntropyBackward(g[0], probs, targets, scaled, n, vocab);
                }, 0);
    }
}
