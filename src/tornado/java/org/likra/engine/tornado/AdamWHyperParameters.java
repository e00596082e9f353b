package org.likra.engine.tornado;

import org.likra.engine.AdamWSettings;
import org.likra.kernels.Optimizer;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.HashMap;
import java.util.Map;

/**
 * The arrays that carry AdamW's per-update values to the {@link Optimizer#adamw} kernel: one of
 * {@link Optimizer#HYPER_SIZE} floats per parameter range, rewritten on the host before each update, so that the
 * learning rate and the bias corrections are kernel arguments rather than compiled-in constants and one compiled
 * graph serves every step.
 */
final class AdamWHyperParameters {
    private final Map<String, FloatArray> arrays = new HashMap<>();

    /** The array of the parameter range that {@code key} names, made at first use. */
    FloatArray array(String key) {
        return arrays.computeIfAbsent(key, k -> new FloatArray(Optimizer.HYPER_SIZE));
    }

    /**
     * Writes one update's values: lr, the betas, eps, the weight decay, maxGradNorm (0 without a gradient norm: no
     * clipping) and the bias corrections 1 - beta1^step and 1 - beta2^step (computed in double, stored as float).
     */
    static void write(FloatArray hyper, AdamWSettings s, float lr, int step, boolean clip) {
        hyper.set(Optimizer.LR, lr);
        hyper.set(Optimizer.BETA1, s.beta1());
        hyper.set(Optimizer.BETA2, s.beta2());
        hyper.set(Optimizer.EPS, s.eps());
        hyper.set(Optimizer.DECAY, s.weightDecay());
        hyper.set(Optimizer.MAX_NORM, clip ? s.maxGradNorm() : 0f);
        hyper.set(Optimizer.CORRECTION1, (float) (1.0 - Math.pow(s.beta1(), step)));
        hyper.set(Optimizer.CORRECTION2, (float) (1.0 - Math.pow(s.beta2(), step)));
    }
}
