package org.likra.model;

import org.likra.config.ModelConfig;

/**
 * Floating-point operations of the matrix products of one training step, the usual measure of achieved
 * throughput: a multiply-add counts 2, the backward pass costs twice the forward (dx and dW). Norms,
 * activations and the optimizer are left out (they are memory-bound and small).
 */
public final class FlopCount {
    private FlopCount() {
    }

    /** Forward FLOPs for {@code batch} sequences of {@code time} tokens. */
    public static double forward(ModelConfig c, int batch, int time) {
        double tokens = (double) batch * time;
        int qDim = c.heads() * c.headDim();
        double projections = 2.0 * c.dim() * (qDim + 2.0 * c.kvDim()) + 2.0 * qDim * c.dim();
        double mlp = 2.0 * c.dim() * c.hidden() * (c.mlp() == ModelConfig.Mlp.swiglu ? 3 : 2);
        // scores q.k and the weighted sum of v over the (t + 1) visible positions, averaged over t
        double attention = 2.0 * 2.0 * qDim * (time + 1) / 2.0;
        double head = 2.0 * c.dim() * c.vocab();
        return tokens * (c.layers() * (projections + mlp + attention) + head);
    }

    /** Forward plus backward FLOPs of one training step. */
    public static double trainingStep(ModelConfig c, int batch, int time) {
        return 3 * forward(c, batch, time);
    }

    /**
     * A LoRA step on a frozen base: the training step without the base's weight-gradient products (every linear
     * layer's dW, the LM head's too); the adapters' own products (rank r) are left out as small.
     */
    public static double loraStep(ModelConfig c, int batch, int time) {
        double tokens = (double) batch * time;
        int qDim = c.heads() * c.headDim();
        double projections = 2.0 * c.dim() * (qDim + 2.0 * c.kvDim()) + 2.0 * qDim * c.dim();
        double mlp = 2.0 * c.dim() * c.hidden() * (c.mlp() == ModelConfig.Mlp.swiglu ? 3 : 2);
        double head = 2.0 * c.dim() * c.vocab();
        return trainingStep(c, batch, time) - tokens * (c.layers() * (projections + mlp) + head);
    }
}
