package org.likra.model;

import org.likra.engine.Tensor;

import java.util.Random;

/**
 * Fresh parameters, reproducible from a seed: N(0, 0.02) for embeddings and projections, N(0, 0.02 / sqrt(2L))
 * for the projections that write into the residual stream (o_proj, down_proj), ones for norm weights, zeros for
 * biases (GPT-2's scheme).
 */
public final class Initializer {
    public static final double STD = 0.02;
    /** Floats generated and uploaded at a time by {@link #initialize}. */
    private static final int CHUNK = 1 << 22;

    private Initializer() {
    }

    /** The initial values of every parameter, in buffer order. */
    public static float[] initialValues(ParameterLayout layout, int layers, long seed) {
        float[] values = new float[layout.total()];
        Random random = new Random(seed);
        double residualStd = STD / Math.sqrt(2.0 * layers);
        for (ParameterSpec spec : layout.specs()) {
            fill(values, spec.offset(), spec.size(), spec.init(), random, residualStd);
        }
        return values;
    }

    private static void fill(float[] values, int from, int count, ParameterSpec.Init init, Random random,
                             double residualStd) {
        int end = from + count;
        for (int i = from; i < end; i++) {
            values[i] = switch (init) {
                case NORMAL -> (float) (random.nextGaussian() * STD);
                case NORMAL_RESIDUAL -> (float) (random.nextGaussian() * residualStd);
                case ONES -> 1.0f;
                case ZEROS -> 0.0f;
            };
        }
    }

    /**
     * Initialises a model's parameters on its engine to {@link #initialValues}, generating and uploading
     * {@link #CHUNK} floats at a time (a model of any size needs no second copy of itself on the heap).
     */
    public static void initialize(Transformer model, long seed) {
        Random random = new Random(seed);
        double residualStd = STD / Math.sqrt(2.0 * model.config().layers());
        Tensor parameters = model.parameters();
        float[] chunk = new float[Math.min(CHUNK, Math.max(1, model.layout().total()))];
        for (ParameterSpec spec : model.layout().specs()) {
            for (int first = 0; first < spec.size(); first += CHUNK) {
                int count = Math.min(CHUNK, spec.size() - first);
                fill(chunk, 0, count, spec.init(), random, residualStd);
                model.engine().upload(parameters.view(spec.offset() + first, count), chunk, 0);
            }
        }
    }
}
