package org.likra.model;

import java.util.Arrays;

/**
 * One named parameter tensor inside the model's single parameter buffer.
 *
 * @param name   the Hugging Face tensor name ({@code model.layers.0.self_attn.q_proj.weight})
 * @param shape  dimensions, row-major (a linear weight is [out, in])
 * @param offset first element in the parameter buffer
 * @param init   how a fresh model initialises it
 */
public record ParameterSpec(String name, int[] shape, int offset, Init init) {

    /** Initialisation rules (GPT-2's): N(0, 0.02), residual projections scaled by 1/sqrt(2L), norms 1, biases 0. */
    public enum Init { NORMAL, NORMAL_RESIDUAL, ONES, ZEROS }

    public int size() {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
