package org.likra.model;

import org.junit.jupiter.api.Test;
import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Precision;
import org.likra.engine.cpu.CpuEngine;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraConfig;
import org.likra.train.AdamW;
import org.likra.train.TrainingStep;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MemoryEstimate counts exactly what a training step allocates on the cpu engine. */
class MemoryEstimateTest {
    private static void step(Transformer m, AdamW adam, int batch, int seq) {
        Random r = new Random(1);
        int[] tokens = r.ints(batch * seq, 0, m.config().vocab()).toArray();
        int[] targets = r.ints(batch * seq, 0, m.config().vocab()).toArray();
        new TrainingStep(m, adam).run(1, 1e-3f, tokens, targets, null, batch, seq);
    }

    @Test
    void pretrainingAndLoraStepsAllocateWhatTheEstimateSays() {
        for (String preset : new String[] {"llama-1m", "gpt2-1m"}) {
            ModelConfig c = Presets.load(preset);
            int batch = 3;
            int seq = 17;
            try (CpuEngine e = new CpuEngine(1)) {
                Transformer m = new Transformer(c, e);
                AdamW adam = AdamW.of(m, AdamWSettings.PRETRAINING);
                step(m, adam, batch, seq);
                // + 1: AdamW's squared gradient norm
                assertEquals(4 * (MemoryEstimate.pretraining(c, batch, seq).total() + 1), e.allocatedBytes(), preset);
            }
            List<String> targets = c.mlp() == ModelConfig.Mlp.swiglu ? LoraConfig.MLP : List.of("q_proj", "up_proj");
            LoraConfig lora = new LoraConfig(4, 8, targets);
            try (CpuEngine e = new CpuEngine(1)) {
                Transformer m = new Transformer(c, e);
                LoraAdapter adapter = new LoraAdapter(m, lora);
                m.attach(adapter);
                AdamW adam = AdamW.of(adapter, AdamWSettings.ADAPTER.withMaxGradNorm(0));
                step(m, adam, batch, seq);
                assertFalse(m.hasGradientBuffer(), "a frozen base gets no gradient buffer");
                assertEquals(4 * (MemoryEstimate.lora(c, lora.rank(), lora::targets, batch, seq).total() + 1), e.allocatedBytes(), preset);
                assertTrue(MemoryEstimate.lora(c, lora.rank(), lora::targets, batch, seq).total()
                        < MemoryEstimate.pretraining(c, batch, seq).total() - 2 * m.layout().total());
            }
        }
    }

    /**
     * An engine that keeps less attention state (the tornado engine: batch x heads x time floats) gets the activations
     * less the probabilities the estimate counts, plus that state: here the cpu engine behind a proxy that states the
     * smaller length.
     */
    @Test
    void anEngineKeepingLessAttentionStateAllocatesTheActivationsLessTheProbabilities() {
        ModelConfig c = Presets.load("llama-1m");
        int batch = 3;
        int seq = 17;
        try (CpuEngine cpu = new CpuEngine(1)) {
            org.likra.engine.Engine lean = (org.likra.engine.Engine) java.lang.reflect.Proxy.newProxyInstance(
                    getClass().getClassLoader(), new Class<?>[] {org.likra.engine.Engine.class},
                    (proxy, method, args) -> method.getName().equals("attentionStateLength")
                            ? (int) args[0] * (int) args[1] * (int) args[2] : method.invoke(cpu, args));
            new Activations(lean, c, batch, seq);
            MemoryEstimate estimate = MemoryEstimate.pretraining(c, batch, seq);
            assertEquals((long) c.layers() * batch * c.heads() * seq * seq, estimate.attention());
            long perLayerState = (long) batch * c.heads() * seq;
            assertEquals(4 * (Activations.elements(c, batch, seq) - estimate.attention() + c.layers() * perLayerState),
                    cpu.allocatedBytes());
            assertEquals((c.layers() + 1) * perLayerState, estimate.attentionRecomputed());
        }
    }

    @Test
    void aBaseHeldInBf16TakesHalfTheParameterBytesAndTheEstimateSaysSo() {
        ModelConfig c = Presets.load("llama-1m");
        int batch = 2;
        int seq = 9;
        LoraConfig lora = new LoraConfig(4, 8, LoraConfig.MLP);
        long[] bytes = new long[2];
        Precision[] formats = {Precision.F32, Precision.BF16};
        for (int k = 0; k < 2; k++) {
            try (CpuEngine e = new CpuEngine(1)) {
                Transformer m = new Transformer(c, e, formats[k]);
                LoraAdapter adapter = new LoraAdapter(m, lora);
                m.attach(adapter);
                AdamW adam = AdamW.of(adapter, AdamWSettings.ADAPTER.withMaxGradNorm(0));
                step(m, adam, batch, seq);
                assertFalse(m.hasGradientBuffer());
                MemoryEstimate estimate = MemoryEstimate.lora(c, lora.rank(), lora::targets, batch, seq, formats[k]);
                assertEquals(estimate.bytes() + 4, e.allocatedBytes(), formats[k].toString());
                bytes[k] = e.allocatedBytes();
            }
        }
        long parameters = new ParameterLayout(c).total();
        assertEquals(2 * parameters, bytes[0] - bytes[1], "the parameters' 4 bytes each become 2");
    }

    @Test
    void aLlama32OneBShapedLoraStepFitsIn24Gb() {
        ModelConfig c = Presets.load("llama-3.2-1b");
        LoraConfig defaults = LoraConfig.defaults();
        MemoryEstimate lora = MemoryEstimate.lora(c, defaults.rank(), defaults::targets, 1, 512);
        // 1.236e9 parameters in float32 are 4.9 GB; no gradient buffer or AdamW state for them
        assertEquals(1_235_814_400L, lora.parameters());
        assertEquals(0, lora.gradients());
        assertTrue(4 * lora.total() < 8e9, lora.format());
        assertTrue(4 * MemoryEstimate.pretraining(c, 1, 512).total() > 19e9, "pretraining needs 4x the parameters");
        MemoryEstimate bf16 = MemoryEstimate.lora(c, defaults.rank(), defaults::targets, 1, 512,
                Precision.BF16);
        assertEquals(2 * 1_235_814_400L, bf16.parameterBytes());
        assertEquals(lora.bytes() - 2 * 1_235_814_400L, bf16.bytes());
        assertTrue(bf16.format().contains("2.47 GB (bf16)"), bf16.format());
    }
}
