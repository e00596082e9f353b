package org.likra.engine.reference;

import org.likra.config.RopeScaling;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.Gradient;
import org.likra.engine.IntTensor;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;

/**
 * The oracle: every operation in plain, single-threaded scalar Java, written to be read next to
 * {@code docs/math.md}. Tensors are {@code double[]}; in {@link Precision#F32} every stored value is rounded to the
 * nearest float (so parameters, optimizer state and checkpoints are exactly float32) while each individual
 * reduction is carried out in double. In {@link Precision#F64} nothing is rounded, for finite-difference checks.
 * The norms ({@link ReferenceNorms}) and attention ({@link ReferenceAttention}) live in classes of their own.
 *
 * <p>A frozen base's parameters may be held in BF16 or F16 ({@code short[]} storage,
 * {@link #allocate(int, Precision)}): each operation that reads one first converts the values it needs to double
 * ({@link #readable}), one by one, and then computes as on any tensor.
 */
public final class ReferenceEngine implements Engine {
    private final Precision precision;
    private final boolean roundToFloat;
    /** Bytes of the tensors allocated so far ({@link #allocatedBytes}). */
    private long allocatedBytes;
    private final ReferenceNorms norms = new ReferenceNorms(this);
    private final ReferenceAttention attention = new ReferenceAttention(this);

    public ReferenceEngine(Precision precision) {
        if (precision != Precision.F32 && precision != Precision.F64) {
            throw new IllegalArgumentException("the reference engine computes in f32 or f64, not " + precision
                    + " (16-bit formats are for parameters: allocate(length, format))");
        }
        this.precision = precision;
        this.roundToFloat = precision == Precision.F32;
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Precision precision() {
        return precision;
    }

    /** Rounds a value to the engine's storage format. */
    double st(double x) {
        return roundToFloat ? (double) (float) x : x;
    }

    static double[] a(Tensor t) {
        if (t.storage() instanceof double[] d) {
            return d;
        }
        throw new IllegalArgumentException("a " + t.format() + " tensor where the reference engine reads or writes "
                + "its own format (16-bit tensors hold parameters that operations only read)");
    }

    /**
     * A parameter (null stays null) as a tensor of doubles: itself, or a 16-bit tensor's values converted one by one
     * into a new array.
     */
    static Tensor readable(Tensor t) {
        if (t == null || !t.format().is16Bit()) {
            return t;
        }
        short[] bits = (short[]) t.storage();
        double[] values = new double[t.length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = t.format().decode(bits[t.offset() + i]);
        }
        return new Tensor(values, 0, values.length, Precision.F32);
    }

    private static int[] a(IntTensor t) {
        return (int[]) t.storage();
    }

    // ------------------------------------------------------------------------------------------------ memory

    @Override
    public Tensor allocate(int length) {
        Tensor t = new Tensor(new double[length], 0, length, precision);
        allocatedBytes += 8L * length;
        return t;
    }

    /** The engine's own format as {@link #allocate(int)}; BF16 or F16 in a short[] of 2 bytes an element. */
    @Override
    public Tensor allocate(int length, Precision format) {
        if (!format.is16Bit()) {
            return allocate(length);
        }
        Tensor t = new Tensor(new short[length], 0, length, format);
        allocatedBytes += 2L * length;
        return t;
    }

    @Override
    public IntTensor allocateInts(int length) {
        IntTensor t = new IntTensor(new int[length], 0, length);
        allocatedBytes += 4L * length;
        return t;
    }

    @Override
    public long allocatedBytes() {
        return allocatedBytes;
    }

    @Override
    public void upload(Tensor dst, float[] src, int srcOffset) {
        if (dst.format().is16Bit()) {
            short[] d = (short[]) dst.storage();
            for (int i = 0; i < dst.length(); i++) {
                d[dst.offset() + i] = dst.format().encode(src[srcOffset + i]);
            }
            return;
        }
        double[] d = a(dst);
        for (int i = 0; i < dst.length(); i++) {
            d[dst.offset() + i] = src[srcOffset + i];
        }
    }

    @Override
    public void upload(Tensor dst, double[] src, int srcOffset) {
        if (dst.format().is16Bit()) {
            short[] d = (short[]) dst.storage();
            for (int i = 0; i < dst.length(); i++) {
                d[dst.offset() + i] = dst.format().encode((float) src[srcOffset + i]);
            }
            return;
        }
        double[] d = a(dst);
        for (int i = 0; i < dst.length(); i++) {
            d[dst.offset() + i] = st(src[srcOffset + i]);
        }
    }

    @Override
    public void upload(IntTensor dst, int[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, a(dst), dst.offset(), dst.length());
    }

    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        src = readable(src);
        double[] s = a(src);
        for (int i = 0; i < src.length(); i++) {
            dst[dstOffset + i] = (float) s[src.offset() + i];
        }
    }

    @Override
    public void download(Tensor src, double[] dst, int dstOffset) {
        src = readable(src);
        System.arraycopy(a(src), src.offset(), dst, dstOffset, src.length());
    }

    @Override
    public void zero(Tensor t) {
        if (t.format().is16Bit()) {
            java.util.Arrays.fill((short[]) t.storage(), t.offset(), t.offset() + t.length(), (short) 0);
            return;
        }
        java.util.Arrays.fill(a(t), t.offset(), t.offset() + t.length(), 0.0);
    }

    // ------------------------------------------------------------------------------------------------ embeddings

    @Override
    public void embeddingForward(Tensor out, IntTensor tokens, Tensor table, int n, int c) {
        double[] o = a(out);
        int[] tok = a(tokens);
        for (int i = 0; i < n; i++) {
            int row = tok[tokens.offset() + i];
            Tensor values = readable(table.view(row * c, c)); // one row, converted if the table is 16-bit
            System.arraycopy(a(values), values.offset(), o, out.offset() + i * c, c);
        }
    }

    @Override
    public void embeddingBackward(Tensor dTable, Tensor dOut, IntTensor tokens, int n, int c) {
        double[] dw = a(dTable), dout = a(dOut);
        int[] tok = a(tokens);
        for (int i = 0; i < n; i++) {
            int row = tok[tokens.offset() + i];
            for (int j = 0; j < c; j++) {
                int at = dTable.offset() + row * c + j;
                dw[at] = st(dw[at] + dout[dOut.offset() + i * c + j]);
            }
        }
    }

    @Override
    public void positionEmbeddingForward(Tensor out, Tensor positions, int batch, int time, int c) {
        positions = readable(positions);
        double[] o = a(out), p = a(positions);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < time; t++) {
                for (int j = 0; j < c; j++) {
                    int at = out.offset() + (b * time + t) * c + j;
                    o[at] = st(o[at] + p[positions.offset() + t * c + j]);
                }
            }
        }
    }

    @Override
    public void positionEmbeddingBackward(Tensor dPositions, Tensor dOut, int batch, int time, int c) {
        double[] dp = a(dPositions), dout = a(dOut);
        for (int t = 0; t < time; t++) {
            for (int j = 0; j < c; j++) {
                double sum = 0;
                for (int b = 0; b < batch; b++) {
                    sum += dout[dOut.offset() + (b * time + t) * c + j];
                }
                int at = dPositions.offset() + t * c + j;
                dp[at] = st(dp[at] + sum);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ norms

    @Override
    public void rmsNormForward(Tensor out, Tensor rstd, Tensor x, Tensor weight, int n, int c, float eps) {
        norms.rmsNormForward(out, rstd, x, readable(weight), n, c, eps);
    }

    @Override
    public void rmsNormBackward(Tensor dx, Tensor dWeight, Tensor dOut, Tensor x, Tensor weight, Tensor rstd, int n,
                                int c) {
        norms.rmsNormBackward(dx, dWeight, dOut, x, readable(weight), rstd, n, c);
    }

    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, int n,
                                 int c, float eps) {
        norms.layerNormForward(out, mean, rstd, x, readable(weight), readable(bias), n, c, eps);
    }

    @Override
    public void layerNormBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight,
                                  Tensor mean, Tensor rstd, int n, int c) {
        norms.layerNormBackward(dx, dWeight, dBias, dOut, x, readable(weight), mean, rstd, n, c);
    }

    // ------------------------------------------------------------------------------------------------ linear

    @Override
    public void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias, int n, int inDim, int outDim) {
        weight = readable(weight);
        bias = readable(bias);
        double[] o = a(out), xs = a(x), w = a(weight);
        double[] bs = bias == null ? null : a(bias);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < outDim; k++) {
                double sum = bs == null ? 0 : bs[bias.offset() + k];
                int xrow = x.offset() + i * inDim;
                int wrow = weight.offset() + k * inDim;
                for (int j = 0; j < inDim; j++) {
                    sum += xs[xrow + j] * w[wrow + j];
                }
                o[out.offset() + i * outDim + k] = st(sum);
            }
        }
    }

    /** An overwritten gradient is zeroed first, then every gradient is added to as below. */
    @Override
    public void linearBackward(Tensor dx, Gradient dxGradient, Tensor dWeight, Tensor dBias, Gradient weightGradients,
                               Tensor dOut, Tensor x, Tensor weight, int n, int inDim, int outDim) {
        weight = readable(weight);
        if (dxGradient == Gradient.OVERWRITE && dx != null) {
            zero(dx);
        }
        if (weightGradients == Gradient.OVERWRITE) {
            if (dWeight != null) {
                zero(dWeight);
            }
            if (dBias != null) {
                zero(dBias);
            }
        }
        double[] xs = a(x), w = a(weight), dout = a(dOut);
        if (dx != null) {
            double[] d = a(dx);
            // dx[i, j] += sum_k dOut[i, k] W[k, j]
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < inDim; j++) {
                    double sum = 0;
                    for (int k = 0; k < outDim; k++) {
                        sum += dout[dOut.offset() + i * outDim + k] * w[weight.offset() + k * inDim + j];
                    }
                    int at = dx.offset() + i * inDim + j;
                    d[at] = st(d[at] + sum);
                }
            }
        }
        if (dWeight != null) {
            double[] dw = a(dWeight);
            // dW[k, j] += sum_i dOut[i, k] x[i, j]
            for (int k = 0; k < outDim; k++) {
                for (int j = 0; j < inDim; j++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        sum += dout[dOut.offset() + i * outDim + k] * xs[x.offset() + i * inDim + j];
                    }
                    int at = dWeight.offset() + k * inDim + j;
                    dw[at] = st(dw[at] + sum);
                }
            }
        }
        if (dBias != null) {
            double[] db = a(dBias);
            for (int k = 0; k < outDim; k++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += dout[dOut.offset() + i * outDim + k];
                }
                int at = dBias.offset() + k;
                db[at] = st(db[at] + sum);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ RoPE

    /** theta^(-2i/d), the rotation speed of pair i, rescaled by {@code scaling} when there is one. */
    private static double ropeFrequency(int i, int headDim, float theta, RopeScaling scaling) {
        double plain = Math.pow(theta, -2.0 * i / headDim);
        return scaling == null ? plain : scaling.apply(plain);
    }

    @Override
    public void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                            int positionOffset) {
        ropeForward(out, x, batch, time, heads, headDim, theta, null, positionOffset);
    }

    @Override
    public void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                             int positionOffset) {
        ropeBackward(dx, dOut, batch, time, heads, headDim, theta, null, positionOffset);
    }

    @Override
    public void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                            RopeScaling scaling, int positionOffset) {
        double[] o = a(out), xs = a(x);
        int half = headDim / 2;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < time; t++) {
                for (int h = 0; h < heads; h++) {
                    int base = ((b * time + t) * heads + h) * headDim;
                    for (int i = 0; i < half; i++) {
                        double angle = (positionOffset + t) * ropeFrequency(i, headDim, theta, scaling);
                        double cos = Math.cos(angle), sin = Math.sin(angle);
                        double x1 = xs[x.offset() + base + i], x2 = xs[x.offset() + base + i + half];
                        o[out.offset() + base + i] = st(x1 * cos - x2 * sin);
                        o[out.offset() + base + i + half] = st(x2 * cos + x1 * sin);
                    }
                }
            }
        }
    }

    @Override
    public void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                             RopeScaling scaling, int positionOffset) {
        double[] d = a(dx), dout = a(dOut);
        int half = headDim / 2;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < time; t++) {
                for (int h = 0; h < heads; h++) {
                    int base = ((b * time + t) * heads + h) * headDim;
                    for (int i = 0; i < half; i++) {
                        double angle = (positionOffset + t) * ropeFrequency(i, headDim, theta, scaling);
                        double cos = Math.cos(angle), sin = Math.sin(angle);
                        double g1 = dout[dOut.offset() + base + i], g2 = dout[dOut.offset() + base + i + half];
                        int at1 = dx.offset() + base + i, at2 = dx.offset() + base + i + half;
                        d[at1] = st(d[at1] + g1 * cos + g2 * sin);
                        d[at2] = st(d[at2] - g1 * sin + g2 * cos);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ attention

    @Override
    public void attentionForward(Tensor out, Tensor probs, Tensor q, Tensor k, Tensor v, int batch, int time,
                                 int heads, int kvHeads, int headDim) {
        attention.attentionForward(out, probs, q, k, v, batch, time, heads, kvHeads, headDim);
    }

    @Override
    public void attentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dOut, Tensor q, Tensor k, Tensor v,
                                  Tensor probs, int batch, int time, int heads, int kvHeads, int headDim) {
        attention.attentionBackward(dq, dk, dv, dOut, q, k, v, probs, batch, time, heads, kvHeads, headDim);
    }

    // ------------------------------------------------------------------------------------------------ activations

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    @Override
    public void swigluForward(Tensor out, Tensor gate, Tensor up, int n) {
        double[] o = a(out), g = a(gate), u = a(up);
        for (int i = 0; i < n; i++) {
            double x = g[gate.offset() + i];
            o[out.offset() + i] = st(x * sigmoid(x) * u[up.offset() + i]);
        }
    }

    @Override
    public void swigluBackward(Tensor dGate, Tensor dUp, Tensor dOut, Tensor gate, Tensor up, int n) {
        double[] g = a(gate), u = a(up), dout = a(dOut);
        for (int i = 0; i < n; i++) {
            double x = g[gate.offset() + i];
            double sig = sigmoid(x);
            double d = dout[dOut.offset() + i];
            if (dGate != null) {
                int at = dGate.offset() + i;
                // d silu(x)/dx = sig (1 + x (1 - sig))
                a(dGate)[at] = st(a(dGate)[at] + d * u[up.offset() + i] * sig * (1 + x * (1 - sig)));
            }
            if (dUp != null) {
                int at = dUp.offset() + i;
                a(dUp)[at] = st(a(dUp)[at] + d * x * sig);
            }
        }
    }

    private static final double GELU_SCALE = Math.sqrt(2.0 / Math.PI);

    @Override
    public void geluForward(Tensor out, Tensor x, int n) {
        double[] o = a(out), xs = a(x);
        for (int i = 0; i < n; i++) {
            double v = xs[x.offset() + i];
            double u = GELU_SCALE * (v + 0.044715 * v * v * v);
            o[out.offset() + i] = st(0.5 * v * (1 + Math.tanh(u)));
        }
    }

    /** An overwritten dx is zeroed first, then added to. */
    @Override
    public void geluBackward(Tensor dx, Gradient dxGradient, Tensor dOut, Tensor x, int n) {
        if (dxGradient == Gradient.OVERWRITE) {
            zero(dx);
        }
        double[] d = a(dx), xs = a(x), dout = a(dOut);
        for (int i = 0; i < n; i++) {
            double v = xs[x.offset() + i];
            double u = GELU_SCALE * (v + 0.044715 * v * v * v);
            double th = Math.tanh(u);
            double du = GELU_SCALE * (1 + 3 * 0.044715 * v * v);
            double grad = 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * du;
            int at = dx.offset() + i;
            d[at] = st(d[at] + grad * dout[dOut.offset() + i]);
        }
    }

    @Override
    public void add(Tensor out, Tensor x, Tensor y, int n) {
        double[] o = a(out), xs = a(x), ys = a(y);
        for (int i = 0; i < n; i++) {
            o[out.offset() + i] = st(xs[x.offset() + i] + ys[y.offset() + i]);
        }
    }

    @Override
    public void accumulate(Tensor dst, Tensor src, float scale, int n) {
        double[] d = a(dst), s = a(src);
        for (int i = 0; i < n; i++) {
            int at = dst.offset() + i;
            d[at] = st(d[at] + scale * s[src.offset() + i]);
        }
    }

    // ------------------------------------------------------------------------------------------------ loss

    @Override
    public void crossEntropyForward(Tensor losses, Tensor probs, Tensor logits, IntTensor targets, int n, int vocab) {
        double[] l = a(losses), p = a(probs), z = a(logits);
        int[] tg = a(targets);
        for (int i = 0; i < n; i++) {
            int row = logits.offset() + i * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                max = Math.max(max, z[row + j]);
            }
            double sum = 0;
            for (int j = 0; j < vocab; j++) {
                sum += Math.exp(z[row + j] - max);
            }
            for (int j = 0; j < vocab; j++) {
                p[probs.offset() + i * vocab + j] = st(Math.exp(z[row + j] - max) / sum);
            }
            // -log softmax = log sum exp - z[target], computed without rounding the probability first
            int target = tg[targets.offset() + i];
            l[losses.offset() + i] = st(Math.log(sum) + max - z[row + target]);
        }
    }

    @Override
    public void crossEntropyBackward(Tensor dLogits, Tensor probs, IntTensor targets, Tensor weights, int n,
                                     int vocab) {
        double[] d = a(dLogits), p = a(probs), w = a(weights);
        int[] tg = a(targets);
        for (int i = 0; i < n; i++) {
            double wi = w[weights.offset() + i];
            int target = tg[targets.offset() + i];
            for (int j = 0; j < vocab; j++) {
                double indicator = j == target ? 1.0 : 0.0;
                d[dLogits.offset() + i * vocab + j] = st(wi * (p[probs.offset() + i * vocab + j] - indicator));
            }
        }
    }

    @Override
    public void weightedSum(Tensor out, Tensor values, Tensor weights, int n) {
        double[] v = a(values), w = a(weights);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += v[values.offset() + i] * w[weights.offset() + i];
        }
        a(out)[out.offset()] = st(sum);
    }

    // ------------------------------------------------------------------------------------------------ optimizer

    @Override
    public void sumOfSquares(Tensor out, Tensor x, int n) {
        double[] xs = a(x);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += xs[x.offset() + i] * xs[x.offset() + i];
        }
        a(out)[out.offset()] = st(sum);
    }

    @Override
    public void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor gradNormSquared, AdamWSettings s,
                      float lr, int step, int n) {
        double[] p = a(params), g = a(grads), ms = a(m), vs = a(v);
        double clip = 1.0;
        if (s.maxGradNorm() > 0 && gradNormSquared != null) {
            double norm = Math.sqrt(a(gradNormSquared)[gradNormSquared.offset()]);
            if (norm > s.maxGradNorm()) {
                clip = s.maxGradNorm() / norm;
            }
        }
        double correction1 = 1.0 - Math.pow(s.beta1(), step);
        double correction2 = 1.0 - Math.pow(s.beta2(), step);
        for (int i = 0; i < n; i++) {
            double grad = g[grads.offset() + i] * clip;
            double mi = st(s.beta1() * ms[m.offset() + i] + (1 - s.beta1()) * grad);
            double vi = st(s.beta2() * vs[v.offset() + i] + (1 - s.beta2()) * grad * grad);
            ms[m.offset() + i] = mi;
            vs[v.offset() + i] = vi;
            double mHat = mi / correction1;
            double vHat = vi / correction2;
            double pi = p[params.offset() + i];
            p[params.offset() + i] = st(pi - lr * (mHat / (Math.sqrt(vHat) + s.eps()) + s.weightDecay() * pi));
        }
    }
}
