package org.likra.train;

import org.junit.jupiter.api.Test;
import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.model.Initializer;
import org.likra.model.Transformer;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingStepTest {
    private static final int BATCH = 2;
    private static final int TIME = 8;

    private static Transformer model(ReferenceEngine e) {
        Transformer m = new Transformer(Presets.load("llama-tiny"), e);
        Initializer.initialize(m, 7);
        return m;
    }

    private static int[] ids(Random r, int vocab) {
        return r.ints(BATCH * TIME, 0, vocab).toArray();
    }

    private static float[] values(Transformer m, AdamW adam) {
        int n = m.layout().total();
        float[] out = new float[3 * n];
        m.engine().download(m.parameters(), out, 0);
        float[] moment = new float[n];
        m.engine().download(adam.firstMoment(), moment, 0);
        System.arraycopy(moment, 0, out, n, n);
        m.engine().download(adam.secondMoment(), moment, 0);
        System.arraycopy(moment, 0, out, 2 * n, n);
        return out;
    }

    @Test
    void aStepIsForwardBackwardAndAdamWBitForBit() {
        try (ReferenceEngine a = new ReferenceEngine(Precision.F32);
             ReferenceEngine b = new ReferenceEngine(Precision.F32)) {
            Transformer byHand = model(a);
            Transformer byStep = model(b);
            AdamW adamByHand = AdamW.of(byHand, AdamWSettings.PRETRAINING);
            AdamW adamByStep = AdamW.of(byStep, AdamWSettings.PRETRAINING);
            TrainingStep step = new TrainingStep(byStep, adamByStep);
            Random random = new Random(3);
            for (int t = 1; t <= 3; t++) {
                int[] tokens = ids(random, byHand.config().vocab());
                int[] targets = ids(random, byHand.config().vocab());
                byHand.setInputs(tokens, targets, null, BATCH, TIME);
                byHand.forward();
                byHand.backward();
                adamByHand.step(t, 1e-2f);
                assertEquals(byHand.loss(), step.run(t, 1e-2f, tokens, targets, null, BATCH, TIME), 0.0);
                assertEquals(adamByHand.lastGradNorm(), step.gradientNorm(), 0.0);
            }
            assertArrayEquals(values(byHand, adamByHand), values(byStep, adamByStep));
        }
    }

    @Test
    void aNonFiniteGradientNormStopsTheStepBeforeTheUpdate() {
        try (ReferenceEngine e = new ReferenceEngine(Precision.F32)) {
            Transformer m = model(e);
            AdamW adam = AdamW.of(m, AdamWSettings.PRETRAINING);
            TrainingStep step = new TrainingStep(m, adam);
            Random random = new Random(3);
            int vocab = m.config().vocab();
            step.run(1, 1e-2f, ids(random, vocab), ids(random, vocab), null, BATCH, TIME);
            float[] before = values(m, adam);
            int[] tokens = ids(random, vocab);
            int[] targets = ids(random, vocab);
            TrainingStep.Diverged d = assertThrows(TrainingStep.Diverged.class, () -> step.run(2, 1e-2f, () -> {
                m.setInputs(tokens, targets, null, BATCH, TIME);
                m.forward();
                m.backward();
                e.upload(m.gradients().view(5, 1), new float[] {Float.POSITIVE_INFINITY}, 0);
                return m.loss();
            }));
            assertEquals(2, d.step());
            assertTrue(d.what().startsWith("the gradient norm became Infinity (loss "), d.what());
            assertTrue(d.getMessage().startsWith("the training diverged at step 2 (lr 0.0100): the gradient norm "),
                    d.getMessage());
            assertArrayEquals(before, values(m, adam), "the parameters and moments are as before the step");
        }
    }

    @Test
    void aNonFiniteLossStopsTheStepBeforeTheUpdate() {
        try (ReferenceEngine e = new ReferenceEngine(Precision.F32)) {
            Transformer m = model(e);
            AdamW adam = AdamW.of(m, AdamWSettings.PRETRAINING);
            TrainingStep step = new TrainingStep(m, adam);
            Random random = new Random(3);
            int[] tokens = ids(random, m.config().vocab());
            int[] targets = ids(random, m.config().vocab());
            float[] before = values(m, adam);
            TrainingStep.Diverged d = assertThrows(TrainingStep.Diverged.class, () -> step.run(1, 1e-2f, () -> {
                m.setInputs(tokens, targets, null, BATCH, TIME);
                m.forward();
                m.backward();
                return Double.NaN;
            }));
            assertEquals("the training loss became NaN", d.what());
            assertArrayEquals(before, values(m, adam));
        }
    }
}
