package org.likra.lora;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.config.ModelConfig;
import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.model.Initializer;
import org.likra.model.Transformer;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.likra.engine.FiniteDifferences.assertGradient;
import static org.likra.engine.FiniteDifferences.gradient;

class LoraTest {
    @TempDir
    Path dir;

    static ModelConfig llama() {
        return new ModelConfig("lora-check", 8, 2, 4, 2, 12, 11, 8, ModelConfig.Norm.rmsnorm,
                ModelConfig.Mlp.swiglu, ModelConfig.Positions.rope, false, false, 10000.0, 1e-5).validate("test");
    }

    static ModelConfig gpt2() {
        return new ModelConfig("lora-check-gpt2", 8, 2, 2, 2, 16, 11, 8, ModelConfig.Norm.layernorm,
                ModelConfig.Mlp.gelu, ModelConfig.Positions.learned, true, true, 10000.0, 1e-5).validate("test");
    }

    private static final int[] TOKENS = {1, 5, 2, 7, 3, 0, 9, 4, 6, 10};
    private static final int[] TARGETS = {5, 2, 7, 3, 0, 9, 4, 6, 10, 1};

    private static Transformer model(ModelConfig c, Engine e) {
        Transformer m = new Transformer(c, e);
        Initializer.initialize(m, 3);
        return m;
    }

    @Test
    void freshAdapterWithZeroBLeavesTheModelUnchanged() {
        Engine e = new ReferenceEngine(Precision.F32);
        Transformer m = model(llama(), e);
        m.setInputs(TOKENS, TARGETS, null, 2, 5);
        m.forward();
        double[] base = m.positionLosses();
        LoraAdapter adapter = new LoraAdapter(m, new LoraConfig(4, 8, List.of("q_proj", "up_proj", "down_proj")));
        adapter.initialize(1);
        m.attach(adapter);
        m.forward();
        assertArrayEquals(base, m.positionLosses());
        // ... while a non-zero B changes it.
        float[] values = adapter.values();
        for (LoraAdapter.Site s : adapter.sites().values()) {
            values[s.bOffset] = 0.5f;
        }
        adapter.load(values);
        m.forward();
        assertTrue(Math.abs(base[3] - m.positionLosses()[3]) > 1e-6);
    }

    @Test
    void adapterGradientsMatchFiniteDifferencesAndTheBaseStaysFrozen() {
        for (ModelConfig c : new ModelConfig[] {llama(), gpt2()}) {
            for (List<String> targets : List.of(LoraConfig.MLP,
                    List.of("q_proj", "k_proj", "v_proj", "o_proj", "up_proj"))) {
                if (c.mlp() == ModelConfig.Mlp.gelu && targets.equals(LoraConfig.MLP)) {
                    targets = List.of("up_proj", "down_proj");
                }
                checkGradients(c, targets);
            }
        }
    }

    private void checkGradients(ModelConfig c, List<String> targets) {
        Engine e = new ReferenceEngine(Precision.F64);
        Transformer m = model(c, e);
        LoraAdapter adapter = new LoraAdapter(m, new LoraConfig(3, 6, targets));
        Random random = new Random(5);
        double[] values = new double[adapter.parameters().length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian() * 0.3;
        }
        e.upload(adapter.parameters(), values, 0);
        m.attach(adapter);
        float[] weights = {0.2f, 0, 0.2f, 0.2f, 0, 0.1f, 0.1f, 0.1f, 0.1f, 0};
        m.setInputs(TOKENS, TARGETS, weights, 2, 5);
        m.forward();
        m.backward();
        double[] analytic = new double[values.length];
        e.download(adapter.gradients(), analytic, 0);
        double[] numerical = gradient(values, x -> {
            e.upload(adapter.parameters(), x, 0);
            m.forward();
            return m.loss();
        });
        assertGradient(c.name() + " LoRA " + targets, analytic, numerical);
        double[] baseGrads = new double[m.layout().total()];
        e.download(m.gradients(), baseGrads, 0);
        for (double g : baseGrads) {
            assertEquals(0.0, g, "the frozen base model gets no gradient");
        }
    }

    @Test
    void saveAndLoadInPeftLayout() throws Exception {
        Engine e = new ReferenceEngine(Precision.F32);
        Transformer m = model(llama(), e);
        LoraAdapter adapter = new LoraAdapter(m, LoraConfig.defaults());
        adapter.initialize(9);
        float[] values = adapter.values();
        values[values.length - 1] = 0.25f;
        adapter.load(values);
        LoraFiles.save(dir, adapter, "base");
        LoraAdapter loaded = LoraFiles.load(dir, m);
        assertArrayEquals(values, loaded.values());
        assertEquals(8, loaded.config().rank());
        try (var st = org.likra.io.SafeTensors.open(dir.resolve(LoraFiles.WEIGHTS))) {
            assertTrue(st.entries().containsKey("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
            assertArrayEquals(new int[] {8, 8}, st.entries()
                    .get("base_model.model.model.layers.0.mlp.gate_proj.lora_A.weight").shape());
        }
    }
}
