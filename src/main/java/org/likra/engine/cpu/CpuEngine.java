package org.likra.engine.cpu;

import org.likra.config.RopeScaling;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.Gradient;
import org.likra.engine.IntTensor;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;

/**
 * The fast JVM engine: float32 tensors on the heap ({@code float[]} storage, {@code int[]} for integers), every
 * operation vectorised with the Vector API ({@link Simd}) and split over a persistent pool of threads
 * ({@link WorkPool}). This class only dispatches: each family of operations lives in a small class of its own
 * ({@link Embeddings}, {@link Norms}, {@link MatMul}, {@link Rope}, {@link Attention}, {@link Pointwise},
 * {@link Losses}, {@link Optimizer}).
 *
 * <p><b>Determinism.</b> For a given input every operation returns the same bits on every call, with any number of
 * threads, interpreted or JIT-compiled: work is split only over independent outputs (each output element is
 * computed by one thread, in an order fixed by the shapes alone), the pool's chunk boundaries do not depend on the
 * thread count, reductions across blocks ({@link #sumOfSquares}) add fixed blocks in a fixed order, gradients that
 * many rows add into (norm weights, biases, embedding tables) are computed column-parallel, and no kernel uses the
 * Vector API's unordered lane reductions or its transcendental functions ({@link Simd} has fixed-order
 * replacements).
 *
 * <p><b>Allocation.</b> After the first call of each shape nothing is allocated: the parallel loops are pre-built
 * objects whose arguments are set in fields, and scratch buffers are kept and grown only when a shape grows.
 *
 * <p><b>16-bit parameters.</b> A frozen base's parameters may be held in BF16 or F16 ({@code short[]} storage,
 * {@link #allocate(int, Precision)}): the matrix products convert a weight as they pack it into their tiles
 * ({@link MatMul}), the embedding lookups as they copy rows ({@link Embeddings}), and a norm's weight and bias or a
 * linear bias (vectors of the model's width) are converted whole into a scratch vector before the operation. Every
 * conversion is exact and the sums are those of the float32 tensor of the same values, so the results are the same
 * bits.
 *
 * <p>Not thread-safe: one operation at a time, from one thread (as the model calls it).
 */
public final class CpuEngine implements Engine {
    private static final int L = Simd.L;
    /** Target work per parallel chunk, in elements, for the memory-bound operations (a multiple of L). */
    static final int GRAIN = 1 << 14;

    private final WorkPool pool;
    /** Bytes of the tensors allocated so far ({@link #allocatedBytes}). */
    private long allocatedBytes;
    private final Embeddings embeddings;
    private final Norms norms;
    private final MatMul matMul;
    private final Rope rope;
    private final Attention attention;
    private final Pointwise pointwise;
    private final Losses losses;
    private final Optimizer optimizer;
    /**
     * Scratch float copies of 16-bit parameter vectors: slot 0 a norm's weight, 1 a LayerNorm's bias (both of the
     * model's width), 2 a linear layer's bias.
     */
    private final float[][] vectorCopies = {new float[0], new float[0], new float[0]};
    /** Tensors over slots 0 and 1 of {@link #vectorCopies} at the length last used, remade only when it changes. */
    private final Tensor[] vectorViews = new Tensor[2];

    /** An engine that uses {@code threads} cores (the caller plus threads - 1 pool threads). */
    public CpuEngine(int threads) {
        this.pool = new WorkPool(threads);
        this.embeddings = new Embeddings(pool);
        this.norms = new Norms(pool);
        this.matMul = new MatMul(pool);
        this.rope = new Rope(pool);
        this.attention = new Attention(pool);
        this.pointwise = new Pointwise(pool, GRAIN);
        this.losses = new Losses(pool);
        this.optimizer = new Optimizer(pool, GRAIN);
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Precision precision() {
        return Precision.F32;
    }

    /** E.g. "cpu, f32, 2 threads, 256-bit vectors, 4 x 16 micro-kernel, depth blocks of up to 384". */
    @Override
    public String description() {
        String kernel = MatMul.EIGHT_ROWS
                ? 2 * MatMul.MR + " x " + MatMul.NR + " micro-kernel (" + MatMul.MR + " x " + MatMul.NR + " at edges)"
                : MatMul.MR + " x " + MatMul.NR + " micro-kernel";
        return String.format("%s, f32, %d thread%s, %d-bit vectors, %s, depth blocks of up to %d", name(), threads(),
                threads() == 1 ? "" : "s", Simd.F.vectorBitSize(), kernel, MatMul.KC);
    }

    /** Number of threads the operations run on. */
    public int threads() {
        return pool.threads();
    }

    @Override
    public void close() {
        pool.close();
    }

    static float[] f(Tensor t) {
        if (t.storage() instanceof float[] a) {
            return a;
        }
        throw new IllegalArgumentException("a " + t.format() + " tensor where the cpu engine reads or writes "
                + "float32 (16-bit tensors hold parameters that operations only read)");
    }

    /**
     * A norm's weight or bias (null stays null) as float32: the tensor itself, or a 16-bit one's values converted into
     * scratch slot {@code slot} (0 or 1) of {@link #vectorCopies}.
     */
    private Tensor floats(Tensor t, int slot) {
        if (t == null || t.format() == Precision.F32) {
            return t;
        }
        float[] values = decoded(t, slot);
        if (vectorViews[slot] == null || vectorViews[slot].storage() != values
                || vectorViews[slot].length() != t.length()) {
            vectorViews[slot] = new Tensor(values, 0, t.length());
        }
        return vectorViews[slot];
    }

    /** A 16-bit vector's values converted into scratch slot {@code slot} of {@link #vectorCopies} (from index 0). */
    private float[] decoded(Tensor t, int slot) {
        if (vectorCopies[slot].length < t.length()) {
            vectorCopies[slot] = new float[t.length()];
        }
        Halves.decode(Halves.bits(t), t.offset(), t.format(), vectorCopies[slot], 0, t.length());
        return vectorCopies[slot];
    }

    /** The storage of an optional tensor, or null. */
    private static float[] orNull(Tensor t) {
        return t == null ? null : f(t);
    }

    /** The offset of an optional tensor, or 0. */
    private static int offsetOf(Tensor t) {
        return t == null ? 0 : t.offset();
    }

    static int[] ints(IntTensor t) {
        return (int[]) t.storage();
    }

    /** Rows per parallel chunk unit for row-wise operations on rows of {@code cols} elements. */
    static int rowGrain(int cols) {
        return Math.max(1, GRAIN / Math.max(1, cols));
    }

    /** Columns per chunk unit for column-parallel passes over {@code rows} rows (whole vectors, at least 64). */
    static int columnGrain(int rows) {
        return Math.max(Math.max(64, L), GRAIN / Math.max(1, rows)) / L * L;
    }

    // ------------------------------------------------------------------------------------------------ memory

    @Override
    public Tensor allocate(int length) {
        Tensor t = new Tensor(new float[length], 0, length);
        allocatedBytes += 4L * length;
        return t;
    }

    /** F32 as {@link #allocate(int)}; BF16 or F16 in a short[] of 2 bytes an element. */
    @Override
    public Tensor allocate(int length, Precision format) {
        if (format == Precision.F32) {
            return allocate(length);
        }
        if (!format.is16Bit()) {
            throw new IllegalArgumentException("the cpu engine stores float32, bf16 or f16, not " + format);
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

    /** Copies; into a 16-bit tensor, each value rounded to its format (nearest, ties to even). */
    @Override
    public void upload(Tensor dst, float[] src, int srcOffset) {
        if (dst.format().is16Bit()) {
            short[] d = Halves.bits(dst);
            for (int i = 0; i < dst.length(); i++) {
                d[dst.offset() + i] = dst.format().encode(src[srcOffset + i]);
            }
            return;
        }
        System.arraycopy(src, srcOffset, f(dst), dst.offset(), dst.length());
    }

    @Override
    public void upload(Tensor dst, double[] src, int srcOffset) {
        if (dst.format().is16Bit()) {
            short[] d = Halves.bits(dst);
            for (int i = 0; i < dst.length(); i++) {
                d[dst.offset() + i] = dst.format().encode((float) src[srcOffset + i]);
            }
            return;
        }
        float[] d = f(dst);
        for (int i = 0; i < dst.length(); i++) {
            d[dst.offset() + i] = (float) src[srcOffset + i];
        }
    }

    @Override
    public void upload(IntTensor dst, int[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, ints(dst), dst.offset(), dst.length());
    }

    /** Copies; from a 16-bit tensor, each value converted exactly. */
    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        if (src.format().is16Bit()) {
            Halves.decode(Halves.bits(src), src.offset(), src.format(), dst, dstOffset, src.length());
            return;
        }
        System.arraycopy(f(src), src.offset(), dst, dstOffset, src.length());
    }

    @Override
    public void download(Tensor src, double[] dst, int dstOffset) {
        if (src.format().is16Bit()) {
            short[] s = Halves.bits(src);
            for (int i = 0; i < src.length(); i++) {
                dst[dstOffset + i] = src.format().decode(s[src.offset() + i]);
            }
            return;
        }
        float[] s = f(src);
        for (int i = 0; i < src.length(); i++) {
            dst[dstOffset + i] = s[src.offset() + i];
        }
    }

    @Override
    public void zero(Tensor t) {
        if (t.format().is16Bit()) { // +0 in both formats
            java.util.Arrays.fill(Halves.bits(t), t.offset(), t.offset() + t.length(), (short) 0);
            return;
        }
        pointwise.zero(t);
    }

    // ------------------------------------------------------------------------------------------------ embeddings

    /** out[i, :] = table[tokens[i], :]; out (n, c), table (V, c). */
    @Override
    public void embeddingForward(Tensor out, IntTensor tokens, Tensor table, int n, int c) {
        embeddings.tokenForward(out, tokens, table, n, c);
    }

    /** dTable[tokens[i], :] += dOut[i, :]; column-parallel, so repeated tokens never race. */
    @Override
    public void embeddingBackward(Tensor dTable, Tensor dOut, IntTensor tokens, int n, int c) {
        embeddings.tokenBackward(dTable, dOut, tokens, n, c);
    }

    /** out[b, t, :] += positions[t, :]; out (batch, time, c), positions (T max, c). */
    @Override
    public void positionEmbeddingForward(Tensor out, Tensor positions, int batch, int time, int c) {
        embeddings.positionForward(out, positions, batch, time, c);
    }

    /** dPositions[t, :] += sum_b dOut[b, t, :]; parallel over t. */
    @Override
    public void positionEmbeddingBackward(Tensor dPositions, Tensor dOut, int batch, int time, int c) {
        embeddings.positionBackward(dPositions, dOut, batch, time, c);
    }

    // ------------------------------------------------------------------------------------------------ norms

    /** rstd[i] = 1 / sqrt(mean_j x[i, j]^2 + eps); out[i, j] = x[i, j] rstd[i] weight[j]. See {@link Norms}. */
    @Override
    public void rmsNormForward(Tensor out, Tensor rstd, Tensor x, Tensor weight, int n, int c, float eps) {
        norms.rmsForward(out, rstd, x, floats(weight, 0), n, c, eps);
    }

    @Override
    public void rmsNormBackward(Tensor dx, Tensor dWeight, Tensor dOut, Tensor x, Tensor weight, Tensor rstd, int n,
                                int c) {
        norms.rmsBackward(dx, dWeight, dOut, x, floats(weight, 0), rstd, n, c);
    }

    /** out[i, j] = (x[i, j] - mean[i]) rstd[i] weight[j] + bias[j]. See {@link Norms}. */
    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, int n,
                                 int c, float eps) {
        norms.layerForward(out, mean, rstd, x, floats(weight, 0), floats(bias, 1), n, c, eps);
    }

    @Override
    public void layerNormBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight,
                                  Tensor mean, Tensor rstd, int n, int c) {
        norms.layerBackward(dx, dWeight, dBias, dOut, x, floats(weight, 0), mean, rstd, n, c);
    }

    // ------------------------------------------------------------------------------------------------ linear

    /** out (n, outDim) = x (n, inDim) W^T + bias; W (outDim, inDim). See {@link MatMul#forward}. */
    @Override
    public void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias, int n, int inDim, int outDim) {
        boolean halfBias = bias != null && bias.format().is16Bit();
        matMul.forward(f(out), out.offset(), f(x), x.offset(), weight.storage(), weight.format(), weight.offset(),
                halfBias ? decoded(bias, 2) : orNull(bias), halfBias ? 0 : offsetOf(bias), n, inDim, outDim);
    }

    /**
     * dx (+)= dOut W; dWeight (+)= dOut^T x; dBias (+)= column sums of dOut; null gradients are skipped. The products
     * store what they overwrite instead of adding to it (so the old values are never read); an overwritten bias
     * gradient is zeroed, then the column sums are added as usual. See {@link MatMul#backward}.
     */
    @Override
    public void linearBackward(Tensor dx, Gradient dxGradient, Tensor dWeight, Tensor dBias, Gradient weightGradients,
                               Tensor dOut, Tensor x, Tensor weight, int n, int inDim, int outDim) {
        matMul.backward(orNull(dx), offsetOf(dx), dxGradient, orNull(dWeight), offsetOf(dWeight), weightGradients,
                orNull(dBias), offsetOf(dBias), f(dOut), dOut.offset(), orNull(x), offsetOf(x),
                weight == null ? null : weight.storage(), weight == null ? Precision.F32 : weight.format(),
                offsetOf(weight), n, inDim, outDim);
    }

    // ------------------------------------------------------------------------------------------------ RoPE

    /** out[i] = x[i] cos - x[i + d/2] sin; out[i + d/2] = x[i + d/2] cos + x[i] sin. See {@link Rope}. */
    @Override
    public void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                            int positionOffset) {
        rope.rotate(out, x, batch, time, heads, headDim, theta, null, positionOffset, false);
    }

    /** As above with each pair's frequency rescaled by {@code scaling} (null: plain). */
    @Override
    public void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                            RopeScaling scaling, int positionOffset) {
        rope.rotate(out, x, batch, time, heads, headDim, theta, scaling, positionOffset, false);
    }

    /** The transposed rotation: dx[i] += g1 cos + g2 sin; dx[i + d/2] += g2 cos - g1 sin. */
    @Override
    public void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                             int positionOffset) {
        rope.rotate(dx, dOut, batch, time, heads, headDim, theta, null, positionOffset, true);
    }

    /** As above with each pair's frequency rescaled by {@code scaling} (null: plain). */
    @Override
    public void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                             RopeScaling scaling, int positionOffset) {
        rope.rotate(dx, dOut, batch, time, heads, headDim, theta, scaling, positionOffset, true);
    }

    // ------------------------------------------------------------------------------------------------ attention

    /** Causal grouped-query attention; see {@link Attention} for the math and layouts. */
    @Override
    public void attentionForward(Tensor out, Tensor probs, Tensor q, Tensor k, Tensor v, int batch, int time,
                                 int heads, int kvHeads, int headDim) {
        attention.forward(f(out), out.offset(), f(probs), probs.offset(), f(q), q.offset(), f(k), k.offset(),
                f(v), v.offset(), batch, time, heads, kvHeads, headDim);
    }

    @Override
    public void attentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dOut, Tensor q, Tensor k, Tensor v,
                                  Tensor probs, int batch, int time, int heads, int kvHeads, int headDim) {
        attention.backward(orNull(dq), offsetOf(dq), orNull(dk), offsetOf(dk), orNull(dv), offsetOf(dv),
                f(dOut), dOut.offset(), f(q), q.offset(), f(k), k.offset(), f(v), v.offset(),
                f(probs), probs.offset(), batch, time, heads, kvHeads, headDim);
    }

    // ------------------------------------------------------------------------------------------------ activations

    /** out = silu(gate) up, silu(g) = g sigmoid(g). */
    @Override
    public void swigluForward(Tensor out, Tensor gate, Tensor up, int n) {
        pointwise.swigluForward(out, gate, up, n);
    }

    /** dGate += dOut up sig (1 + g (1 - sig)); dUp += dOut g sig. */
    @Override
    public void swigluBackward(Tensor dGate, Tensor dUp, Tensor dOut, Tensor gate, Tensor up, int n) {
        pointwise.swigluBackward(dGate, dUp, dOut, gate, up, n);
    }

    /** out = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    @Override
    public void geluForward(Tensor out, Tensor x, int n) {
        pointwise.geluForward(out, x, n);
    }

    /** dx (+)= dOut gelu'(x). */
    @Override
    public void geluBackward(Tensor dx, Gradient dxGradient, Tensor dOut, Tensor x, int n) {
        pointwise.geluBackward(dx, dxGradient, dOut, x, n);
    }

    /** out = a + b. */
    @Override
    public void add(Tensor out, Tensor a, Tensor b, int n) {
        pointwise.add(out, a, b, n);
    }

    /** dst += scale src. */
    @Override
    public void accumulate(Tensor dst, Tensor src, float scale, int n) {
        pointwise.accumulate(dst, src, scale, n);
    }

    // ------------------------------------------------------------------------------------------------ loss

    /** probs[i, :] = softmax(logits[i, :]); losses[i] = logsumexp(logits[i, :]) - logits[i, targets[i]]. */
    @Override
    public void crossEntropyForward(Tensor losses, Tensor probs, Tensor logits, IntTensor targets, int n, int vocab) {
        this.losses.crossEntropyForward(losses, probs, logits, targets, n, vocab);
    }

    /** dLogits[i, :] = weights[i] (probs[i, :] - onehot(targets[i])); overwrites dLogits. */
    @Override
    public void crossEntropyBackward(Tensor dLogits, Tensor probs, IntTensor targets, Tensor weights, int n,
                                     int vocab) {
        losses.crossEntropyBackward(dLogits, probs, targets, weights, n, vocab);
    }

    /** out[0] = sum_i values[i] weights[i], accumulated in double over fixed-order float blocks. */
    @Override
    public void weightedSum(Tensor out, Tensor values, Tensor weights, int n) {
        f(out)[out.offset()] = (float) Simd.dotDouble(f(values), values.offset(), f(weights), weights.offset(), n);
    }

    // ------------------------------------------------------------------------------------------------ optimizer

    /** out[0] = sum_i x[i]^2 (fixed blocks, block sums added in order). */
    @Override
    public void sumOfSquares(Tensor out, Tensor x, int n) {
        optimizer.sumOfSquares(out, x, n);
    }

    /** One AdamW update; see {@link Optimizer#adamw}. */
    @Override
    public void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor gradNormSquared, AdamWSettings s,
                      float lr, int step, int n) {
        optimizer.adamw(params, grads, m, v, gradNormSquared, lr, s.beta1(), s.beta2(), s.eps(), s.weightDecay(),
                s.maxGradNorm(), step, n);
    }
}
