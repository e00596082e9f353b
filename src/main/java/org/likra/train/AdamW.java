package org.likra.train;

import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.Tensor;
import org.likra.lora.LoraAdapter;
import org.likra.model.Transformer;

/**
 * AdamW over one contiguous parameter buffer whose first {@code decayedCount} elements get weight decay (the
 * matrices, as {@link org.likra.model.ParameterLayout} orders them) and the rest do not. The moments live on the
 * engine beside the parameters; the global gradient norm for clipping is computed and read there too.
 */
public final class AdamW {
    private final Engine engine;
    private final Tensor parameters;
    private final Tensor gradients;
    private final Tensor m;
    private final Tensor v;
    private final Tensor gradNormSquared;
    /** The hyper-parameters of the decayed range and of the rest (the same without weight decay). */
    private final AdamWSettings decayedSettings;
    private final AdamWSettings restSettings;
    // Views of the decayed range [0, decayedCount) and of the rest, built once.
    private final Tensor[] decayed;
    private final Tensor[] rest;
    private final double[] normOut = new double[1];

    public AdamW(Engine engine, Tensor parameters, Tensor gradients, int decayedCount, AdamWSettings settings) {
        this.engine = engine;
        this.parameters = parameters;
        this.gradients = gradients;
        this.m = engine.allocate(parameters.length());
        this.v = engine.allocate(parameters.length());
        this.gradNormSquared = engine.allocate(1);
        this.decayedSettings = settings;
        this.restSettings = settings.withWeightDecay(0f);
        int total = parameters.length();
        int others = total - decayedCount;
        this.decayed = new Tensor[] {parameters.view(0, decayedCount), gradients.view(0, decayedCount),
                m.view(0, decayedCount), v.view(0, decayedCount)};
        this.rest = new Tensor[] {parameters.view(decayedCount, others), gradients.view(decayedCount, others),
                m.view(decayedCount, others), v.view(decayedCount, others)};
    }

    /** AdamW over every parameter of {@code model}, the matrices decayed. */
    public static AdamW of(Transformer model, AdamWSettings settings) {
        return new AdamW(model.engine(), model.parameters(), model.gradients(), model.layout().decayedCount(),
                settings);
    }

    /** AdamW over the parameters of a LoRA adapter, none decayed. */
    public static AdamW of(LoraAdapter adapter, AdamWSettings settings) {
        return new AdamW(adapter.engine(), adapter.parameters(), adapter.gradients(), 0, settings);
    }

    /**
     * Applies update number {@code step} (1-based) with learning rate {@code lr}: {@link #gradientNorm()}, then
     * {@link #update}. Allocates nothing on an engine that does not (the settings records and the views were built by
     * the constructor).
     */
    public void step(int step, float lr) {
        computeGradientNormSquared();
        update(step, lr);
    }

    /**
     * Computes the global gradient norm ||g||_2 over all parameters (on the engine, for clipping by {@link #update})
     * and returns it (one float copied from the engine), so that a caller can refuse a NaN or infinite gradient before
     * it reaches the parameters.
     */
    public double gradientNorm() {
        computeGradientNormSquared();
        return lastGradNorm();
    }

    /**
     * Applies update number {@code step} (1-based) with learning rate {@code lr} to the current gradients, clipped by
     * the norm that the last {@link #gradientNorm()} computed.
     */
    public void update(int step, float lr) {
        engine.adamw(decayed, decayedSettings, rest, restSettings, gradNormSquared, lr, step);
    }

    private void computeGradientNormSquared() {
        engine.sumOfSquares(gradNormSquared, gradients, parameters.length());
    }

    /** The global gradient norm of the last step, before clipping (one float copied from the engine). */
    public double lastGradNorm() {
        engine.download(gradNormSquared, normOut, 0);
        return Math.sqrt(normOut[0]);
    }

    /** The first moment (for checkpoints). */
    public Tensor firstMoment() {
        return m;
    }

    /** The second moment (for checkpoints). */
    public Tensor secondMoment() {
        return v;
    }
}
