package org.likra.model;

import org.likra.config.ModelConfig;
import org.likra.engine.Engine;
import org.likra.engine.Gradient;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;
import org.likra.util.UserError;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A decoder-only transformer on an {@link Engine}: all parameters in one buffer, all gradients in another, the
 * forward pass and the hand-written backward pass as sequences of engine operations (llm.c's structure).
 *
 * <pre>
 *   x0      = embed(tokens) [+ positions]
 *   for each block:
 *     h     = x + o_proj(attention(rope(q_proj(norm1(x))), rope(k_proj(norm1(x))), v_proj(norm1(x))))
 *     x     = h + down_proj(swiglu(gate_proj(norm2(h)), up_proj(norm2(h))))     (or gelu(up_proj(...)))
 *   logits  = lm_head(norm(x))
 *   loss    = sum_i weights[i] * -log softmax(logits[i])[targets[i]]
 * </pre>
 */
public final class Transformer {
    private final ModelConfig config;
    private final Engine engine;
    private final ParameterLayout layout;
    private final Tensor parameters;
    /**
     * The gradient buffer and its views, made on first use ({@link #gradients()} or a backward pass without an
     * adapter), so that a frozen base model under LoRA adapters never holds a second copy of its size.
     */
    private Tensor gradients;
    private final ModelWeights weights;
    private ModelWeights weightGradients;
    /**
     * The parts of the gradient buffer that a backward pass adds to rather than writes whole, zeroed before it: all
     * vector parameters (norms and biases, stored after the matrices), learned positions, and an untied token
     * embedding. Every linear layer's weight gradient (a tied embedding's too, through the LM head, before the
     * embedding adds its rows) is written whole by its one term, so the matrices are not zeroed: for gpt2-M that
     * leaves 0.5 of the buffer's 120 MB to zero per step.
     */
    private Tensor[] addedGradients;
    private Activations acts;
    /** Views of acts at the current batch's N rows. */
    private Activations.Rows rows;
    private int batch;
    private int time;
    private boolean hasTargets;
    /**
     * Whether the output probabilities of the last forward pass are still there: backward() writes the logits'
     * gradient over them (one (N, V) buffer instead of two), so a second backward() needs another forward().
     */
    private boolean probsFresh;
    private Adapter adapter;
    /** Region names built once, so that a step allocates no strings. */
    private final String[] forwardRegions;
    private final String[] backwardRegions;
    /** Kept so that a step allocates nothing: the uniform loss weights of the last batch size, the loss read back. */
    private float[] uniformWeights;
    private final double[] lossOut = new double[1];

    /** A model whose parameters are all zero, in float32; load or initialise them next. */
    public Transformer(ModelConfig config, Engine engine) {
        this(config, engine, Precision.F32);
    }

    /**
     * A model whose parameters are all zero, held in {@code parameterFormat}: F32, or BF16/F16 (2 bytes a parameter)
     * for a frozen base that only LoRA adapters are trained on or that is only scored with (the values are rounded
     * to the format as they are uploaded; the computation stays float32). Load or initialise them next.
     */
    public Transformer(ModelConfig config, Engine engine, Precision parameterFormat) {
        this.config = config;
        this.engine = engine;
        this.layout = new ParameterLayout(config);
        this.parameters = engine.allocate(layout.total(), parameterFormat);
        this.weights = new ModelWeights(parameters, layout, config);
        this.forwardRegions = new String[config.layers()];
        this.backwardRegions = new String[config.layers()];
        for (int l = 0; l < config.layers(); l++) {
            forwardRegions[l] = "layer" + l + ".forward";
            backwardRegions[l] = "layer" + l + ".backward";
        }
    }

    public ModelConfig config() {
        return config;
    }

    public Engine engine() {
        return engine;
    }

    public ParameterLayout layout() {
        return layout;
    }

    /** The single parameter buffer (its format: F32, or BF16/F16 for a frozen base). */
    public Tensor parameters() {
        return parameters;
    }

    /** How the parameters are stored: F32, or BF16/F16 for a frozen base. */
    public Precision parameterFormat() {
        return parameters.format();
    }

    /**
     * The single gradient buffer, filled by {@link #backward()} without an adapter (allocated on first use); refused
     * (UserError) for a base held in 16 bits, which is frozen.
     */
    public Tensor gradients() {
        if (gradients == null) {
            if (parameters.format().is16Bit()) {
                String format = parameters.format().name().toLowerCase(java.util.Locale.ROOT);
                throw new UserError("the model's parameters are held in " + format + " (--base-precision " + format
                        + "), for a frozen base under LoRA heads; training or differentiating the base itself "
                        + "needs --base-precision f32");
            }
            gradients = engine.allocate(layout.total());
            weightGradients = new ModelWeights(gradients, layout, config);
            List<Tensor> added = new ArrayList<>();
            if (layout.total() > layout.decayedCount()) {
                added.add(gradients.view(layout.decayedCount(), layout.total() - layout.decayedCount()));
            }
            if (weightGradients.positionEmbedding != null) {
                added.add(weightGradients.positionEmbedding);
            }
            if (!config.tiedEmbeddings()) {
                added.add(weightGradients.tokenEmbedding);
            }
            addedGradients = added.toArray(new Tensor[0]);
        }
        return gradients;
    }

    /** Whether the gradient buffer has been allocated (it is not while only adapters have been trained). */
    public boolean hasGradientBuffer() {
        return gradients != null;
    }

    /** Views of the parameters by name. */
    public ModelWeights weights() {
        return weights;
    }

    /**
     * Attaches an adapter (LoRA's): its term joins every linear layer it adapts, and the base model is frozen
     * (backward fills only the adapter's gradients). {@code null} detaches, restoring the base model and its training.
     */
    public void attach(Adapter added) {
        if (added != null && added.engine() != engine) {
            throw new IllegalArgumentException("the adapter lives on another engine");
        }
        this.adapter = added;
    }

    /** The attached adapter, or null. */
    public Adapter adapter() {
        return adapter;
    }

    public int batch() {
        return batch;
    }

    public int time() {
        return time;
    }

    /**
     * Uploads one batch of inputs.
     *
     * @param tokens      batch * time token ids, row-major
     * @param targets     the token each position should predict (or null for inference)
     * @param lossWeights per-position weights of the loss (mask / count; null: all equal, 1 / N)
     */
    public void setInputs(int[] tokens, int[] targets, float[] lossWeights, int batchSize, int timeSteps) {
        if (timeSteps > config.context()) {
            throw new UserError("a sequence of " + timeSteps + " tokens is longer than the model's context of "
                    + config.context() + ": shorten it or use a model with a longer context");
        }
        if (timeSteps <= 0 || batchSize <= 0) {
            throw new UserError("empty batch: " + batchSize + " sequences of " + timeSteps + " tokens");
        }
        int n = batchSize * timeSteps;
        checkIds(tokens, n, "token");
        if (acts == null || acts.batch * acts.time < n || acts.time < timeSteps) {
            acts = new Activations(engine, config, batchSize, Math.max(timeSteps, acts == null ? 0 : acts.time));
        }
        this.batch = batchSize;
        this.time = timeSteps;
        this.rows = acts.rows(n);
        engine.upload(rows.tokens, tokens, 0);
        hasTargets = targets != null;
        probsFresh = false;
        if (hasTargets) {
            checkIds(targets, n, "target");
            engine.upload(rows.targets, targets, 0);
            engine.upload(rows.lossWeights, lossWeights != null ? lossWeights : uniformWeights(n), 0);
        }
    }

    /** n weights of 1 / n, kept for the next batch of the same size. */
    private float[] uniformWeights(int n) {
        if (uniformWeights == null || uniformWeights.length != n) {
            uniformWeights = new float[n];
            Arrays.fill(uniformWeights, 1.0f / n);
        }
        return uniformWeights;
    }

    /**
     * Replaces the per-position loss weights of the current batch without rerunning the forward pass (for losses
     * such as DPO whose weights depend on the forward pass's results). Takes effect in {@link #backward()}.
     */
    public void setLossWeights(float[] lossWeights) {
        engine.upload(rows.lossWeights, lossWeights, 0);
    }

    private void checkIds(int[] ids, int n, String what) {
        if (ids.length < n) {
            throw new IllegalArgumentException(what + " array has " + ids.length + " ids, need " + n);
        }
        for (int i = 0; i < n; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocab()) {
                throw new UserError(what + " id " + ids[i] + " at position " + i + " is outside the vocabulary [0, "
                        + config.vocab() + ") of model " + config.name());
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ forward

    /** Runs the forward pass on the uploaded inputs; with targets, also the per-position and mean loss. */
    public void forward() {
        Engine e = engine;
        int n = batch * time;
        int c = config.dim();
        e.beginRegion("embed.forward");
        e.embeddingForward(acts.embedded, acts.tokens, weights.tokenEmbedding, n, c);
        if (weights.positionEmbedding != null) {
            e.positionEmbeddingForward(acts.embedded, weights.positionEmbedding, batch, time, c);
        }
        e.endRegion();
        Tensor x = acts.embedded;
        for (int l = 0; l < config.layers(); l++) {
            e.beginRegion(forwardRegions[l]);
            blockForward(weights.blocks[l], acts.blocks[l], x, n);
            e.endRegion();
            x = acts.blocks[l].output;
        }
        e.beginRegion("head.forward");
        normForward(acts.finalNormOut, acts.finalNormMean, acts.finalNormRstd, x, weights.finalNorm, n);
        ModelWeights.Linear head = weights.lmHead;
        e.linearForward(acts.logits, acts.finalNormOut, head.weight(), head.bias(), n, c, config.vocab());
        if (hasTargets) {
            e.crossEntropyForward(acts.losses, acts.probs, acts.logits, acts.targets, n, config.vocab());
            e.weightedSum(acts.loss, acts.losses, acts.lossWeights, n);
            probsFresh = true;
        }
        e.endRegion();
    }

    private void blockForward(ModelWeights.Block w, Activations.Block a, Tensor x, int n) {
        Engine e = engine;
        int c = config.dim();
        int hd = config.headDim();
        int f = config.hidden();
        normForward(a.norm1Out, a.norm1Mean, a.norm1Rstd, x, w.attentionNorm(), n);
        e.linearForwardQkv(a.q, a.k, a.v, a.norm1Out, w.q().weight(), w.k().weight(), w.v().weight(), w.q().bias(),
                w.k().bias(), w.v().bias(), n, c, w.q().outDim(), w.k().outDim());
        adapt(w.q(), a.q, a.norm1Out, n);
        adapt(w.k(), a.k, a.norm1Out, n);
        adapt(w.v(), a.v, a.norm1Out, n);
        if (config.positions() == ModelConfig.Positions.rope) {
            float theta = (float) config.ropeTheta();
            e.ropeForward(a.qRot, a.q, batch, time, config.heads(), hd, theta, config.ropeScaling(), 0);
            e.ropeForward(a.kRot, a.k, batch, time, config.kvHeads(), hd, theta, config.ropeScaling(), 0);
        }
        e.attentionForward(a.attention, a.attentionState, a.qRot, a.kRot, a.v, batch, time, config.heads(),
                config.kvHeads(), hd);
        linear(acts.branch, a.attention, w.o(), n);
        e.add(a.residual2, x, acts.branch, n * c);
        normForward(a.norm2Out, a.norm2Mean, a.norm2Rstd, a.residual2, w.mlpNorm(), n);
        if (w.gate() != null) {
            linear(a.up, a.norm2Out, w.up(), n);
            linear(a.gate, a.norm2Out, w.gate(), n);
            e.swigluForward(a.activated, a.gate, a.up, n * f);
        } else if (adapter == null || !adapter.adapts(w.up().name())) {
            // GELU may run in the product's epilogue; an adapter's term must join up before GELU, hence the else
            e.linearGeluForward(a.activated, a.up, a.norm2Out, w.up().weight(), w.up().bias(), n, c, f);
        } else {
            linear(a.up, a.norm2Out, w.up(), n);
            e.geluForward(a.activated, a.up, n * f);
        }
        linear(acts.branch, a.activated, w.down(), n);
        e.add(a.output, a.residual2, acts.branch, n * c);
    }

    private void linear(Tensor out, Tensor x, ModelWeights.Linear w, int n) {
        engine.linearForward(out, x, w.weight(), w.bias(), n, w.inDim(), w.outDim());
        adapt(w, out, x, n);
    }

    /** Adds the attached adapter's term (if it adapts w) to w's output. */
    private void adapt(ModelWeights.Linear w, Tensor out, Tensor x, int n) {
        if (adapter != null) {
            adapter.forward(w.name(), out, x, n);
        }
    }

    private void normForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, ModelWeights.Norm w, int n) {
        float eps = (float) config.normEps();
        if (config.norm() == ModelConfig.Norm.rmsnorm) {
            engine.rmsNormForward(out, rstd, x, w.weight(), n, config.dim(), eps);
        } else {
            engine.layerNormForward(out, mean, rstd, x, w.weight(), w.bias(), n, config.dim(), eps);
        }
    }

    // ------------------------------------------------------------------------------------------------ backward

    /**
     * Fills the whole gradient buffer with d(loss)/d(parameters) for the last forward pass (whatever it held before);
     * with an adapter attached, the adapter's gradient buffer instead (the base model is frozen).
     */
    public void backward() {
        if (!hasTargets) {
            throw new IllegalStateException("backward() needs a forward pass with targets");
        }
        if (!probsFresh) {
            throw new IllegalStateException("backward() needs a forward() since the last backward(): the gradient of "
                    + "the logits was written over that pass's probabilities");
        }
        probsFresh = false;
        Engine e = engine;
        int n = batch * time;
        int c = config.dim();
        boolean trainBase = adapter == null;
        ModelWeights g = null;
        if (trainBase) {
            gradients();
            g = weightGradients;
            for (Tensor part : addedGradients) {
                e.zero(part);
            }
        } else {
            e.zero(adapter.gradients());
        }
        e.beginRegion("head.backward");
        // In place: acts.dLogits is acts.probs (see Activations).
        e.crossEntropyBackward(acts.dLogits, acts.probs, acts.targets, acts.lossWeights, n, config.vocab());
        Tensor dNormOut = rows.dNormOut;
        ModelWeights.Linear head = weights.lmHead;
        linearBackward(dNormOut, Gradient.OVERWRITE, g == null ? null : g.lmHead, acts.dLogits, acts.finalNormOut, head,
                n);
        Tensor dResidual = zeroed(rows.dResidual);
        Tensor lastOutput = acts.blocks[config.layers() - 1].output;
        normBackward(dResidual, g == null ? null : g.finalNorm, dNormOut, lastOutput, weights.finalNorm,
                acts.finalNormMean, acts.finalNormRstd, n);
        e.endRegion();
        for (int l = config.layers() - 1; l >= 0; l--) {
            Tensor x = l == 0 ? acts.embedded : acts.blocks[l - 1].output;
            e.beginRegion(backwardRegions[l]);
            blockBackward(weights.blocks[l], g == null ? NO_GRADIENTS : g.blocks[l], acts.blocks[l], x, dResidual, n);
            e.endRegion();
        }
        if (trainBase) {
            e.beginRegion("embed.backward");
            e.embeddingBackward(g.tokenEmbedding, dResidual, acts.tokens, n, c);
            if (weights.positionEmbedding != null) {
                e.positionEmbeddingBackward(g.positionEmbedding, dResidual, batch, time, c);
            }
            e.endRegion();
        }
    }

    /** The gradients of a frozen block: none (every weight and norm gradient is skipped). */
    private static final ModelWeights.Block NO_GRADIENTS = new ModelWeights.Block(null, null, null, null, null, null,
            null, null, null);

    /**
     * On entry dResidual holds d(loss)/d(block output); on exit d(loss)/d(block input x). The residual stream's
     * gradient passes straight through both additions, and each branch adds its own contribution in place.
     */
    private void blockBackward(ModelWeights.Block w, ModelWeights.Block g, Activations.Block a, Tensor x,
                               Tensor dResidual, int n) {
        Engine e = engine;
        int hd = config.headDim();
        int f = config.hidden();

        // MLP branch: output = residual2 + down(act(...)). The first gradient a scratch buffer receives replaces its
        // contents (no zeroing pass); the later ones add to it.
        Tensor dActivated = rows.dActivated;
        linearBackward(dActivated, Gradient.OVERWRITE, g.down(), dResidual, a.activated, w.down(), n);
        Tensor dUp = rows.dUp;
        Tensor dNorm = rows.dNormOut;
        if (w.gate() != null) {
            zeroed(dUp);
            Tensor dGate = zeroed(rows.dGate);
            e.swigluBackward(dGate, dUp, dActivated, a.gate, a.up, n * f);
            linearBackward(dNorm, Gradient.OVERWRITE, g.gate(), dGate, a.norm2Out, w.gate(), n);
            linearBackward(dNorm, Gradient.ACCUMULATE, g.up(), dUp, a.norm2Out, w.up(), n);
        } else {
            e.geluBackward(dUp, Gradient.OVERWRITE, dActivated, a.up, n * f);
            linearBackward(dNorm, Gradient.OVERWRITE, g.up(), dUp, a.norm2Out, w.up(), n);
        }
        normBackward(dResidual, g.mlpNorm(), dNorm, a.residual2, w.mlpNorm(), a.norm2Mean, a.norm2Rstd, n);

        // Attention branch: residual2 = x + o(attention(...))
        Tensor dAttention = rows.dAttention;
        linearBackward(dAttention, Gradient.OVERWRITE, g.o(), dResidual, a.attention, w.o(), n);
        Tensor dQ = rows.dQ;
        Tensor dK = rows.dK;
        Tensor dV = rows.dV;
        if (rows.dQkv != null) {
            zeroed(rows.dQkv);
        } else {
            zeroed(dQ);
            zeroed(dK);
            zeroed(dV);
        }
        boolean rope = config.positions() == ModelConfig.Positions.rope;
        Tensor dQRot = rope ? zeroed(rows.dQRot) : dQ;
        Tensor dKRot = rope ? zeroed(rows.dKRot) : dK;
        e.attentionBackward(dQRot, dKRot, dV, dAttention, a.qRot, a.kRot, a.v, a.attentionState, batch, time,
                config.heads(), config.kvHeads(), hd);
        if (rope) {
            float theta = (float) config.ropeTheta();
            e.ropeBackward(dQ, dQRot, batch, time, config.heads(), hd, theta, config.ropeScaling(), 0);
            e.ropeBackward(dK, dKRot, batch, time, config.kvHeads(), hd, theta, config.ropeScaling(), 0);
        }
        dNorm = rows.dNormOut;
        if (adapter == null) {
            e.linearBackwardQkv(dNorm, Gradient.OVERWRITE, g.q().weight(), g.k().weight(), g.v().weight(),
                    g.q().bias(), g.k().bias(), g.v().bias(), Gradient.OVERWRITE, dQ, dK, dV, a.norm1Out,
                    w.q().weight(), w.k().weight(), w.v().weight(), n, config.dim(), w.q().outDim(), w.k().outDim());
        } else {
            // each adapter term joins dx right after its own layer's base term: the order of these float additions
            // decides a LoRA run's figures to the last bit on the JVM engines, so it stays fixed
            linearBackward(dNorm, Gradient.OVERWRITE, g.q(), dQ, a.norm1Out, w.q(), n);
            linearBackward(dNorm, Gradient.ACCUMULATE, g.k(), dK, a.norm1Out, w.k(), n);
            linearBackward(dNorm, Gradient.ACCUMULATE, g.v(), dV, a.norm1Out, w.v(), n);
        }
        normBackward(dResidual, g.attentionNorm(), dNorm, x, w.attentionNorm(), a.norm1Mean, a.norm1Rstd, n);
    }

    /** The scratch tensor (a view at N rows), zeroed. */
    private Tensor zeroed(Tensor scratch) {
        engine.zero(scratch);
        return scratch;
    }

    /**
     * Base weights get gradients only while no adapter is attached; an attached adapter gets its own. dx is
     * overwritten or added to as dxGradient says; the weight and bias gradients are overwritten (each linear layer's
     * are written once per backward pass, the tied LM head's before the embedding adds its part); the adapter's
     * contribution, if any, is added after the base's.
     */
    private void linearBackward(Tensor dx, Gradient dxGradient, ModelWeights.Linear g, Tensor dOut, Tensor x,
                                ModelWeights.Linear w, int n) {
        boolean frozen = adapter != null;
        Tensor dWeight = frozen || g == null ? null : g.weight(), dBias = frozen || g == null ? null : g.bias();
        engine.linearBackward(dx, dxGradient, dWeight, dBias, Gradient.OVERWRITE, dOut, x, w.weight(), n, w.inDim(),
                w.outDim());
        if (frozen) {
            adapter.backward(w.name(), dx, dOut, x, n);
        }
    }

    private void normBackward(Tensor dx, ModelWeights.Norm g, Tensor dOut, Tensor x, ModelWeights.Norm w,
                              Tensor mean, Tensor rstd, int n) {
        boolean frozen = adapter != null || g == null;
        if (config.norm() == ModelConfig.Norm.rmsnorm) {
            engine.rmsNormBackward(dx, frozen ? null : g.weight(), dOut, x, w.weight(), rstd, n, config.dim());
        } else {
            engine.layerNormBackward(dx, frozen ? null : g.weight(), frozen ? null : g.bias(), dOut, x, w.weight(),
                    mean, rstd, n, config.dim());
        }
    }

    // ------------------------------------------------------------------------------------------------ results

    /** The weighted mean loss of the last forward pass (one float copied from the engine). */
    public double loss() {
        engine.download(acts.loss, lossOut, 0);
        return lossOut[0];
    }

    /** Per-position -log p(target) of the last forward pass, N = batch * time values, exactly as stored. */
    public double[] positionLosses() {
        double[] out = new double[batch * time];
        engine.download(rows.losses, out, 0);
        return out;
    }

    /** The logits (V values) at row {@code row} (= b * time + t) of the last forward pass. */
    public float[] logitsAt(int row) {
        float[] out = new float[config.vocab()];
        engine.download(acts.logits.view(row * config.vocab(), config.vocab()), out, 0);
        return out;
    }
}
