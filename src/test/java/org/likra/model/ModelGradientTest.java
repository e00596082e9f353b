package org.likra.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.likra.config.ModelConfig;
import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;

import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.likra.engine.FiniteDifferences.assertGradient;
import static org.likra.engine.FiniteDifferences.gradient;

/**
 * The whole model's gradient against central finite differences in float64, tensor by tensor, for Llama-style
 * and GPT-2-style models, with and without a loss mask and tied embeddings (llm.c's check of every gradient
 * tensor), starting from a gradient buffer full of stale values.
 */
class ModelGradientTest {

    static ModelConfig llama(boolean tied) {
        return new ModelConfig("llama-check", 8, 2, 4, 2, 12, 11, 8, ModelConfig.Norm.rmsnorm,
                ModelConfig.Mlp.swiglu, ModelConfig.Positions.rope, false, tied, 10000.0, 1e-5).validate("test");
    }

    static ModelConfig gpt2(boolean tied) {
        return new ModelConfig("gpt2-check", 8, 2, 2, 2, 16, 11, 8, ModelConfig.Norm.layernorm,
                ModelConfig.Mlp.gelu, ModelConfig.Positions.learned, true, tied, 10000.0, 1e-5).validate("test");
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(llama(false), false),
                Arguments.of(llama(false), true),
                Arguments.of(llama(true), true),
                Arguments.of(gpt2(true), false),
                Arguments.of(gpt2(true), true),
                Arguments.of(gpt2(false), true));
    }

    /**
     * Random (not GPT-2-initialised) parameters, so that norms and biases are away from their trivial values; uploaded
     * to the model and returned.
     */
    private static double[] randomParameters(Transformer model, Engine engine, Random random) {
        double[] params = new double[model.layout().total()];
        for (int i = 0; i < params.length; i++) {
            params[i] = random.nextGaussian() * 0.5;
        }
        engine.upload(model.parameters(), params, 0);
        return params;
    }

    @ParameterizedTest(name = "{0}, masked={1}")
    @MethodSource("cases")
    void everyGradientTensorMatchesFiniteDifferences(ModelConfig config, boolean masked) {
        Engine engine = new ReferenceEngine(Precision.F64);
        Transformer model = new Transformer(config, engine);
        int total = model.layout().total();
        Random random = new Random(7);
        double[] params = randomParameters(model, engine, random);
        int batch = 2, time = 5, n = batch * time;
        int[] tokens = new int[n];
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = random.nextInt(config.vocab());
            targets[i] = random.nextInt(config.vocab());
        }
        float[] weights = new float[n];
        int counted = 0;
        for (int i = 0; i < n; i++) {
            boolean keep = !masked || i % 3 != 1;
            weights[i] = keep ? 1 : 0;
            counted += keep ? 1 : 0;
        }
        for (int i = 0; i < n; i++) {
            weights[i] /= counted;
        }
        model.setInputs(tokens, targets, weights, batch, time);
        model.forward();
        // Stale values in the buffer (as a previous step leaves them): backward must write or zero every element.
        double[] stale = new double[total];
        java.util.Arrays.fill(stale, 1234.5);
        engine.upload(model.gradients(), stale, 0);
        model.backward();
        double[] analytic = new double[total];
        engine.download(model.gradients(), analytic, 0);

        for (ParameterSpec spec : model.layout().specs()) {
            double[] slice = java.util.Arrays.copyOfRange(params, spec.offset(), spec.offset() + spec.size());
            double[] numerical = gradient(slice, x -> {
                double[] perturbed = params.clone();
                System.arraycopy(x, 0, perturbed, spec.offset(), x.length);
                engine.upload(model.parameters(), perturbed, 0);
                model.forward();
                return model.loss();
            });
            double[] analyticSlice = java.util.Arrays.copyOfRange(analytic, spec.offset(),
                    spec.offset() + spec.size());
            if (spec.name().endsWith("k_proj.bias")) {
                // Softmax ignores a shift shared by all scores of a row, and a key bias shifts them all by q.b:
                // its gradient is exactly zero, numerically and analytically.
                for (int i = 0; i < slice.length; i++) {
                    assertEquals(0.0, analyticSlice[i], 1e-12, spec.name());
                    assertEquals(0.0, numerical[i], 1e-8, spec.name());
                }
                continue;
            }
            assertGradient(config.name() + " " + spec.name(), analyticSlice, numerical);
        }
    }

    /**
     * backward() writes the logits' gradient over the forward pass's probabilities (one (N, V) buffer instead of
     * two), so a second backward() without a forward() in between is refused with a clear message, and a new
     * forward() makes the same gradient again.
     */
    @Test
    void secondBackwardNeedsAnotherForward() {
        Engine engine = new ReferenceEngine(Precision.F64);
        Transformer model = new Transformer(gpt2(true), engine);
        int total = model.layout().total();
        randomParameters(model, engine, new Random(3));
        int[] tokens = {1, 2, 3, 4, 5, 6};
        int[] targets = {2, 3, 4, 5, 6, 7};
        model.setInputs(tokens, targets, null, 2, 3);
        model.forward();
        model.backward();
        double[] first = new double[total];
        engine.download(model.gradients(), first, 0);
        IllegalStateException refused = assertThrows(IllegalStateException.class, model::backward);
        assertTrue(refused.getMessage().contains("forward()"), refused.getMessage());
        model.forward();
        model.backward();
        double[] second = new double[total];
        engine.download(model.gradients(), second, 0);
        assertArrayEquals(first, second);
        model.setInputs(tokens, targets, null, 2, 3); // new inputs: their forward pass has not run yet
        assertThrows(IllegalStateException.class, model::backward);
    }
}
