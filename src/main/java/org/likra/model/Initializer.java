package org.likra.model;

import java.util.Random;

/**
 * Fresh parameters, reproducible from a seed: N(0, 0.02) for embeddings and projections, N(0, 0.02 / sqrt(2L))
 * for the projections that write into the residual stream (o_proj, down_proj), ones for norm weights, zeros for
 * biases (GPT-2's scheme).
 */
public final class Initializer {
    public static final double STD = 0.02;

    private Initializer() {
    }

    /** The initial values of every parameter, in buffer order. */
    public static float[] initialValues(ParameterLayout layout, int layers, long seed) {
        float[] values = new float[layout.total()];
        Random random = new Random(seed);
        double residualStd = STD / Math.sqrt(2.0 * layers);
        for (ParameterSpec spec : layout.specs()) {
            int end = spec.offset() + spec.size();
            for (int i = spec.offset(); i < end; i++) {
                values[i] = switch (spec.init()) {
                    case NORMAL -> (float) (random.nextGaussian() * STD);
                    case NORMAL_RESIDUAL -> (float) (random.nextGaussian() * residualStd);
                    case ONES -> 1.0f;
                    case ZEROS -> 0.0f;
                };
            }
        }
        return values;
    }

    /** Initialises a model's parameters on its engine. */
    public static void initialize(Transformer model, long seed) {
        float[] values = initialValues(model.layout(), model.config().layers(), seed);
        model.engine().upload(model.parameters(), values, 0);
    }
}
