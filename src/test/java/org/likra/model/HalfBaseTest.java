package org.likra.model;

import org.junit.jupiter.api.Test;
import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engine.cpu.CpuEngine;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraConfig;
import org.likra.util.UserError;

import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A frozen base held in BF16 or F16 trains LoRA adapters exactly as a float32 base whose parameters were rounded to
 * that format first: the same loss and adapter gradients, bit for bit (the products convert each weight exactly and
 * add the same values in the same order), on the cpu and the reference engine.
 */
class HalfBaseTest {
    static ModelConfig gpt2Style() {
        return new ModelConfig("gpt2-half", 48, 2, 4, 4, 192, 101, 64, ModelConfig.Norm.layernorm,
                ModelConfig.Mlp.gelu, ModelConfig.Positions.learned, true, true, 10000.0, 1e-5).validate("test");
    }

    private record Step(double loss, float[] adapterGradients) {
    }

    /** One forward and backward pass of {@code model} under rank-4 adapters with random A and B. */
    private static Step loraStep(Transformer model, List<String> targets, int batch, int time) {
        LoraAdapter adapter = new LoraAdapter(model, new LoraConfig(4, 8, targets));
        float[] values = new float[adapter.parameters().length()];
        Random r = new Random(5);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (0.2 * r.nextGaussian());
        }
        adapter.load(values);
        model.attach(adapter);
        Random ids = new Random(8);
        int n = batch * time;
        model.setInputs(ids.ints(n, 0, model.config().vocab()).toArray(),
                ids.ints(n, 0, model.config().vocab()).toArray(), null, batch, time);
        model.forward();
        model.backward();
        float[] grads = new float[adapter.gradients().length()];
        model.engine().download(adapter.gradients(), grads, 0);
        return new Step(model.loss(), grads);
    }

    @Test
    void aSixteenBitBaseGivesTheLossAndAdapterGradientsOfItsRoundedFloat32Copy() {
        List<Supplier<Engine>> engines = List.of(() -> new CpuEngine(2), () -> new ReferenceEngine(Precision.F32));
        for (ModelConfig c : new ModelConfig[] {Presets.load("llama-tiny"), gpt2Style()}) {
            List<String> targets = c.mlp() == ModelConfig.Mlp.swiglu ? LoraConfig.MLP
                    : List.of("q_proj", "v_proj", "o_proj", "up_proj", "down_proj");
            for (Supplier<Engine> engineMaker : engines) {
                for (Precision format : new Precision[] {Precision.BF16, Precision.F16}) {
                    try (Engine e = engineMaker.get()) {
                        Transformer full = new Transformer(c, e);
                        Initializer.initialize(full, 3);
                        float[] values = new float[full.layout().total()];
                        e.download(full.parameters(), values, 0);
                        Transformer half = new Transformer(c, e, format);
                        e.upload(half.parameters(), values, 0); // rounded to the format on upload
                        assertEquals(format, half.parameterFormat());
                        float[] roundedValues = values.clone();
                        int changed = 0;
                        for (int i = 0; i < values.length; i++) {
                            roundedValues[i] = format.round(values[i]);
                            changed += roundedValues[i] != values[i] ? 1 : 0;
                        }
                        assertTrue(changed > values.length / 2, "rounding changes most parameters");
                        Step unrounded = loraStep(full, targets, 2, 13);
                        e.upload(full.parameters(), roundedValues, 0);
                        Step expected = loraStep(full, targets, 2, 13);
                        Step got = loraStep(half, targets, 2, 13);
                        String where = c.name() + " in " + format + " on " + e.name();
                        assertEquals(expected.loss(), got.loss(), 0.0, where);
                        assertArrayEquals(expected.adapterGradients(), got.adapterGradients(), where);
                        assertNotEquals(unrounded.loss(), got.loss(), where + ": the rounding is seen");
                        assertTrue(Math.abs(unrounded.loss() - got.loss()) < 1e-2 * Math.abs(unrounded.loss()),
                                where + ": " + unrounded.loss() + " against " + got.loss());
                    }
                }
            }
        }
    }

    @Test
    void aSixteenBitBaseIsFrozen() {
        try (CpuEngine e = new CpuEngine(1)) {
            Transformer half = new Transformer(Presets.load("llama-tiny"), e, Precision.BF16);
            UserError refused = assertThrows(UserError.class, half::gradients);
            assertTrue(refused.getMessage().contains("--base-precision f32"), refused.getMessage());
            assertTrue(!half.hasGradientBuffer());
        }
    }
}
