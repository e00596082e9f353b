package org.likra.engine;

import org.likra.config.RopeScaling;

import java.util.Locale;
import java.util.Map;

/**
 * The operations of a transformer training step, over tensors that the engine owns.
 *
 * <p><b>Residency.</b> Every tensor is allocated by the engine and stays where the engine keeps it (the Java heap,
 * or device memory). Operations take tensor handles and return nothing, so a device engine can enqueue them and
 * keep parameters, activations, gradients and optimizer state on the device for a whole step; the only host
 * transfers are the explicit {@code upload}/{@code download} calls (inputs, the loss, logits when sampling).
 * {@link #beginRegion}/{@link #endRegion} bracket a named group of operations (one layer's forward, say) so that a
 * device engine can capture it once as one task graph and replay it.
 *
 * <p><b>Conventions.</b> Shapes are row-major; {@code n} counts rows (batch × time). Forward methods overwrite their
 * output. Backward methods <em>accumulate</em> ({@code +=}) into every gradient they are given, as in llm.c, so a
 * caller zeroes gradients once per step; those that take a {@link Gradient} argument (linear layers, GELU) add to or
 * overwrite the gradient it names, as it says. Where a method says so (linear layers, norms, SwiGLU), a {@code null}
 * gradient is skipped, for frozen weights and inputs that need no gradient. A linear weight is stored
 * {@code [out, in]} (PyTorch's layout) and computes {@code y = x W^T + b}.
 *
 * <p>Each method is one operation; {@code docs/math.md} derives every backward pass.
 */
public interface Engine extends AutoCloseable {

    /** The engine's name as the {@code --engine} flag spells it. */
    String name();

    /**
     * One line naming the engine and the settings its figures and bits depend on (for example the cpu engine's
     * threads, vector width, micro-kernel and depth blocks), for benchmark reports.
     */
    default String description() {
        return name() + ", " + precision().name().toLowerCase(Locale.ROOT);
    }

    /** The format tensors are stored in. */
    Precision precision();

    // ----------------------------------------------------------------------------------------------------------
    // Memory and transfers

    /** A new tensor of {@code length} zeros. */
    Tensor allocate(int length);

    /**
     * A new tensor of {@code length} zeros stored in {@code format}: the engine's own ({@link #allocate(int)}), or
     * BF16/F16 for the parameters of a frozen base, 2 bytes an element. An operation accepts such a tensor wherever
     * it reads a parameter (embedding tables, norm weights and biases, linear weights and biases), converting each
     * element to float exactly as it reads it, and computes as with the float32 tensor of the same values;
     * {@link #upload} rounds to the format (to nearest, ties to even), {@link #download} converts back exactly.
     * Nothing else writes one: a 16-bit tensor is never a gradient, an output or optimizer state. An engine that
     * does not store the format refuses it with a UserError.
     */
    default Tensor allocate(int length, Precision format) {
        if (format == precision() || format == Precision.F32) {
            return allocate(length);
        }
        throw new org.likra.util.UserError("the " + name() + " engine holds parameters in "
                + precision().name().toLowerCase(Locale.ROOT) + " only, not " + format.name().toLowerCase(Locale.ROOT)
                + ": use --base-precision f32, or --engine cpu or --engine reference");
    }

    /** A new integer tensor of {@code length} zeros. */
    IntTensor allocateInts(int length);

    /** dst[i] = src[srcOffset + i] for i &lt; dst.length(). */
    void upload(Tensor dst, float[] src, int srcOffset);

    /** dst[i] = src[srcOffset + i], rounded to the engine's precision. */
    void upload(Tensor dst, double[] src, int srcOffset);

    /** dst[i] = src[srcOffset + i] for i &lt; dst.length(). */
    void upload(IntTensor dst, int[] src, int srcOffset);

    /** dst[dstOffset + i] = src[i] for i &lt; src.length(); waits for pending work on src. */
    void download(Tensor src, float[] dst, int dstOffset);

    /** dst[dstOffset + i] = src[i], exactly as stored. */
    void download(Tensor src, double[] dst, int dstOffset);

    /** t = 0. */
    void zero(Tensor t);

    /** Marks the start of a named group of operations (a device engine may record it as one task graph). */
    default void beginRegion(String name) {
    }

    /** Marks the end of the group opened by the last {@link #beginRegion}. */
    default void endRegion() {
    }

    @Override
    default void close() {
    }

    /**
     * Bytes of every tensor this engine has allocated so far, float and int (tensors live as long as their engine):
     * host arrays for the JVM engines (the reference engine stores float64), the host copies of a device engine
     * (each also held once in device memory). {@code likra bench} reports it.
     */
    long allocatedBytes();

    /**
     * Running totals the engine keeps about its own work, by name (a device engine: bytes copied each way, task
     * graphs launched and compiled), for {@code likra bench} to report per step; empty where there are none.
     */
    default Map<String, Long> counters() {
        return Map.of();
    }

    // ----------------------------------------------------------------------------------------------------------
    // Embeddings

    /** out[i, :] = table[tokens[i], :]. out (n, c), tokens (n), table (V, c). */
    void embeddingForward(Tensor out, IntTensor tokens, Tensor table, int n, int c);

    /** dTable[tokens[i], :] += dOut[i, :]. */
    void embeddingBackward(Tensor dTable, Tensor dOut, IntTensor tokens, int n, int c);

    /** Learned positions: out[b, t, :] += positions[t, :]. out (batch, time, c), positions (T max, c). */
    void positionEmbeddingForward(Tensor out, Tensor positions, int batch, int time, int c);

    /** dPositions[t, :] += sum over b of dOut[b, t, :]. */
    void positionEmbeddingBackward(Tensor dPositions, Tensor dOut, int batch, int time, int c);

    // ----------------------------------------------------------------------------------------------------------
    // Norms

    /**
     * RMSNorm: rstd[i] = 1 / sqrt(mean_j x[i, j]^2 + eps); out[i, j] = x[i, j] * rstd[i] * weight[j].
     * out, x (n, c); rstd (n) is saved for the backward pass; weight (c).
     */
    void rmsNormForward(Tensor out, Tensor rstd, Tensor x, Tensor weight, int n, int c, float eps);

    /** Backward of {@link #rmsNormForward}: accumulates into dx (n, c) and dWeight (c). */
    void rmsNormBackward(Tensor dx, Tensor dWeight, Tensor dOut, Tensor x, Tensor weight, Tensor rstd, int n, int c);

    /**
     * LayerNorm: mean[i], rstd[i] = 1 / sqrt(var[i] + eps) (biased variance);
     * out[i, j] = (x[i, j] - mean[i]) * rstd[i] * weight[j] + bias[j].
     */
    void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, int n, int c,
                          float eps);

    /** Backward of {@link #layerNormForward}: accumulates into dx, dWeight and dBias. */
    void layerNormBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight,
                           Tensor mean, Tensor rstd, int n, int c);

    // ----------------------------------------------------------------------------------------------------------
    // Linear layers

    /** out = x W^T + bias. out (n, outDim), x (n, inDim), weight (outDim, inDim), bias (outDim) or null. */
    void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias, int n, int inDim, int outDim);

    /**
     * Attention's three input projections of the same x: q = x Wq^T + bq (n, qDim), k = x Wk^T + bk and
     * v = x Wv^T + bv (n, kvDim each); the biases all given or all null. By default three {@link #linearForward}
     * calls; a device engine may run them as one product where the three weights (and biases) lie one after the other
     * in one storage object and so do q, k and v (each output holding the same number of rows).
     */
    default void linearForwardQkv(Tensor q, Tensor k, Tensor v, Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor bq,
                                  Tensor bk, Tensor bv, int n, int inDim, int qDim, int kvDim) {
        linearForward(q, x, wq, bq, n, inDim, qDim);
        linearForward(k, x, wk, bk, n, inDim, kvDim);
        linearForward(v, x, wv, bv, n, inDim, kvDim);
    }

    /**
     * A linear layer and GELU: pre = x W^T + bias, activated = gelu(pre) (both (n, outDim): the backward pass
     * reads pre). By default {@link #linearForward} then {@link #geluForward}; a device engine may apply GELU in the
     * product's epilogue where activated lies at a fixed distance after pre in one storage object.
     */
    default void linearGeluForward(Tensor activated, Tensor pre, Tensor x, Tensor weight, Tensor bias, int n,
                                   int inDim, int outDim) {
        linearForward(pre, x, weight, bias, n, inDim, outDim);
        geluForward(activated, pre, n * outDim);
    }

    /**
     * Backward of {@link #linearForward}: dx (+)= dOut W; dWeight (+)= dOut^T x; dBias (+)= column sums of dOut, each
     * added to or overwriting its buffer as {@code dxGradient} (for dx) and {@code weightGradients} (for dWeight and
     * dBias) say. Overwriting serves the first gradient a buffer receives in a backward pass: it then needs no
     * zeroing, and an engine may store the products without loading the old values (the cpu engine does; for the LM
     * head's weight gradient those live in main memory). Any of dx, dWeight, dBias may be null (frozen weights,
     * inputs that need no gradient).
     */
    void linearBackward(Tensor dx, Gradient dxGradient, Tensor dWeight, Tensor dBias, Gradient weightGradients,
                        Tensor dOut, Tensor x, Tensor weight, int n, int inDim, int outDim);

    /**
     * Backward of {@link #linearForwardQkv}, given dq, dk, dv: dx (+)= dq Wq + dk Wk + dv Wv (dx as dxGradient says,
     * or null); each weight and bias gradient as {@link #linearBackward} has it (all weight gradients given or all
     * null; the bias gradients likewise). By default three {@link #linearBackward} calls; a device engine may run dx
     * and the weight gradients as one product each where dq, dk, dv lie one after the other in one storage object
     * (each holding the same number of rows) and so do the weights and their gradients.
     */
    default void linearBackwardQkv(Tensor dx, Gradient dxGradient, Tensor dWq, Tensor dWk, Tensor dWv, Tensor dBq,
                                   Tensor dBk, Tensor dBv, Gradient weightGradients, Tensor dq, Tensor dk, Tensor dv,
                                   Tensor x, Tensor wq, Tensor wk, Tensor wv, int n, int inDim, int qDim, int kvDim) {
        linearBackward(dx, dxGradient, dWq, dBq, weightGradients, dq, x, wq, n, inDim, qDim);
        linearBackward(dx, Gradient.ACCUMULATE, dWk, dBk, weightGradients, dk, x, wk, n, inDim, kvDim);
        linearBackward(dx, Gradient.ACCUMULATE, dWv, dBv, weightGradients, dv, x, wv, n, inDim, kvDim);
    }

    // ----------------------------------------------------------------------------------------------------------
    // Rotary position embedding, Hugging Face rotate-halves layout

    /**
     * For each (b, t, head) and i &lt; d/2, with angle = (positionOffset + t) * theta^(-2i/d):
     * out[i] = x[i] cos - x[i + d/2] sin; out[i + d/2] = x[i + d/2] cos + x[i] sin.
     * x, out (batch, time, heads, d).
     */
    void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                     int positionOffset);

    /** Backward of {@link #ropeForward} (the transposed rotation): accumulates into dx. */
    void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                      int positionOffset);

    /**
     * {@link #ropeForward} with each pair's inverse frequency theta^(-2i/d) rescaled by {@code scaling} (Llama 3's
     * rope_scaling; null: plain). Engines without rescaled frequencies refuse a non-null scaling.
     */
    default void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                             RopeScaling scaling, int positionOffset) {
        requirePlainRope(scaling);
        ropeForward(out, x, batch, time, heads, headDim, theta, positionOffset);
    }

    /** Backward of {@link #ropeForward(Tensor, Tensor, int, int, int, int, float, RopeScaling, int)}. */
    default void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                              RopeScaling scaling, int positionOffset) {
        requirePlainRope(scaling);
        ropeBackward(dx, dOut, batch, time, heads, headDim, theta, positionOffset);
    }

    private void requirePlainRope(RopeScaling scaling) {
        if (scaling != null) {
            throw new org.likra.util.UserError("the " + name() + " engine has no rope_scaling (the model's config "
                    + "rescales RoPE frequencies as Llama 3 does); use --engine cpu or --engine reference");
        }
    }

    // ----------------------------------------------------------------------------------------------------------
    // Attention

    /**
     * Causal self-attention with grouped key/value heads: query head h reads kv head h / (heads / kvHeads).
     * probs[b, h, t, s] = softmax_s&lt;=t (q[b, t, h] . k[b, s, g] / sqrt(d)) (zero for s &gt; t);
     * out[b, t, h] = sum_s probs[b, h, t, s] v[b, s, g].
     * q, out (batch, time, heads, d); k, v (batch, time, kvHeads, d); state: what the backward pass needs, at least
     * {@link #attentionStateLength} floats (the reference and cpu engines keep the probabilities (batch, heads, time,
     * time) there).
     */
    void attentionForward(Tensor out, Tensor state, Tensor q, Tensor k, Tensor v, int batch, int time, int heads,
                          int kvHeads, int headDim);

    /**
     * The floats {@link #attentionForward} keeps for the backward pass: by default the probabilities, batch heads
     * time^2; an engine that recomputes them keeps less (the tornado engine: each row's log-sum-exp, batch heads time).
     */
    default int attentionStateLength(int batch, int heads, int time) {
        return Math.multiplyExact(batch * heads, Math.multiplyExact(time, time));
    }

    /** Backward of {@link #attentionForward} from the state it left: accumulates into dq, dk and dv. */
    void attentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor state,
                           int batch, int time, int heads, int kvHeads, int headDim);

    // ----------------------------------------------------------------------------------------------------------
    // Activations and residuals

    /** SwiGLU: out = silu(gate) * up, silu(g) = g * sigmoid(g). All of length n. */
    void swigluForward(Tensor out, Tensor gate, Tensor up, int n);

    /** Backward of {@link #swigluForward}: accumulates into dGate and dUp. */
    void swigluBackward(Tensor dGate, Tensor dUp, Tensor dOut, Tensor gate, Tensor up, int n);

    /** GELU, tanh form: out = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    void geluForward(Tensor out, Tensor x, int n);

    /** Backward of {@link #geluForward}: dx (+)= gelu'(x) dOut, added to dx or overwriting it as dxGradient says. */
    void geluBackward(Tensor dx, Gradient dxGradient, Tensor dOut, Tensor x, int n);

    /** Residual connection: out = a + b. */
    void add(Tensor out, Tensor a, Tensor b, int n);

    /** dst += scale * src: the backward of a residual connection (scale 1) and of scaled branches. */
    void accumulate(Tensor dst, Tensor src, float scale, int n);

    // ----------------------------------------------------------------------------------------------------------
    // Loss

    /**
     * Softmax cross-entropy: probs[i, :] = softmax(logits[i, :]); losses[i] = -log probs[i, targets[i]].
     * logits, probs (n, vocab); targets, losses (n). Targets are checked against the vocabulary by the caller.
     */
    void crossEntropyForward(Tensor losses, Tensor probs, Tensor logits, IntTensor targets, int n, int vocab);

    /**
     * Gradient of L = sum_i weights[i] losses[i]: dLogits[i, :] = weights[i] (probs[i, :] - onehot(targets[i])).
     * Overwrites dLogits. The weights carry the loss mask and the 1/count of the mean. dLogits may be the probs
     * tensor itself: the gradient then replaces the probabilities in place (each element is read before it is
     * written).
     */
    void crossEntropyBackward(Tensor dLogits, Tensor probs, IntTensor targets, Tensor weights, int n, int vocab);

    /** out[0] = sum_i values[i] * weights[i] (the masked mean loss, when weights hold mask / count). */
    void weightedSum(Tensor out, Tensor values, Tensor weights, int n);

    // ----------------------------------------------------------------------------------------------------------
    // LoRA adapters

    /**
     * Adds a low-rank update to a linear layer's output: hidden = x A^T; out += scale * hidden B^T.
     * out (n, outDim) already holds the frozen layer's x W^T + b; x (n, inDim); a (rank, inDim); b (outDim, rank);
     * hidden (n, rank) is saved for the backward pass; delta (n, outDim) is scratch.
     * The default composes verified operations; engines may fuse it.
     */
    default void loraForward(Tensor out, Tensor hidden, Tensor delta, Tensor x, Tensor a, Tensor b, int n, int inDim,
                             int outDim, int rank, float scale) {
        linearForward(hidden, x, a, null, n, inDim, rank);
        linearForward(delta, hidden, b, null, n, rank, outDim);
        accumulate(out, delta, scale, n * outDim);
    }

    /**
     * Backward of {@link #loraForward}: with g = scale * dOut, dB += g^T hidden, dHidden = g B, dA += dHidden^T x,
     * dx += dHidden A (dx may be null). scaledDOut (n, outDim) and dHidden (n, rank) are scratch.
     */
    default void loraBackward(Tensor dx, Tensor dA, Tensor dB, Tensor dOut, Tensor x, Tensor hidden, Tensor a,
                              Tensor b, Tensor scaledDOut, Tensor dHidden, int n, int inDim, int outDim, int rank,
                              float scale) {
        zero(scaledDOut);
        accumulate(scaledDOut, dOut, scale, n * outDim);
        zero(dHidden);
        linearBackward(dHidden, Gradient.ACCUMULATE, dB, null, Gradient.ACCUMULATE, scaledDOut, hidden, b, n, rank,
                outDim);
        linearBackward(dx, Gradient.ACCUMULATE, dA, null, Gradient.ACCUMULATE, dHidden, x, a, n, inDim, rank);
    }

    // ----------------------------------------------------------------------------------------------------------
    // Optimizer

    /** out[0] = sum_i x[i]^2 (the squared global gradient norm, for clipping). */
    void sumOfSquares(Tensor out, Tensor x, int n);

    /**
     * One AdamW update of n parameters, number {@code step} (1-based, for the bias corrections) with learning rate
     * {@code lr}; see {@link AdamWSettings} for the formula and the other hyper-parameters. {@code gradNormSquared[0]}
     * holds ||g||^2 of the whole model for clipping, read on the engine's side (no host round trip). The settings
     * record is built once per run and lr and step come as numbers, so that a training step allocates nothing.
     */
    void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor gradNormSquared, AdamWSettings settings,
               float lr, int step, int n);

    /**
     * AdamW over two ranges, each given as {params, grads, m, v} views (of equal length) with its settings: a model's
     * decayed matrices and the rest of its parameters, which use the same settings without weight decay. By default
     * one {@link #adamw} per non-empty range; an engine may update both in one pass where the second range follows
     * the first in each buffer.
     */
    default void adamw(Tensor[] first, AdamWSettings firstSettings, Tensor[] second, AdamWSettings secondSettings,
                       Tensor gradNormSquared, float lr, int step) {
        if (first[0].length() > 0) {
            adamw(first[0], first[1], first[2], first[3], gradNormSquared, firstSettings, lr, step, first[0].length());
        }
        if (second[0].length() > 0) {
            adamw(second[0], second[1], second[2], second[3], gradNormSquared, secondSettings, lr, step,
                    second[0].length());
        }
    }
}
