package org.likra.train;

import org.junit.jupiter.api.Test;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;
import org.likra.engine.reference.ReferenceEngine;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AdamWTest {
    private final Engine e = new ReferenceEngine(Precision.F64);

    private Tensor tensor(double... values) {
        Tensor t = e.allocate(values.length);
        e.upload(t, values, 0);
        return t;
    }

    private double[] values(Tensor t) {
        double[] out = new double[t.length()];
        e.download(t, out, 0);
        return out;
    }

    @Test
    void twoStepsByHandWithDecayOnlyOnTheFirstRange() {
        // Two parameters: [0] is a "matrix" (decayed), [1] a "vector" (not decayed).
        Tensor p = tensor(1.0, -2.0);
        Tensor g = tensor(0.5, 0.25);
        AdamW adam = new AdamW(e, p, g, 1, AdamWSettings.PRETRAINING.withMaxGradNorm(0));
        adam.step(1, 0.01f);
        // Step 1: m = 0.1 g, v = 0.05 g^2, mHat = g, vHat = g^2, update = g/|g| = 1 (+eps), so
        // p0 = 1 - 0.01 (1 + 0.1 * 1) and p1 = -2 - 0.01 * 1.
        double lr = 0.01f;
        double wd = 0.1f;
        double expected0 = 1.0 - lr * (0.5 / (0.5 + 1e-8f) + wd * 1.0);
        double expected1 = -2.0 - lr * (0.25 / (0.25 + 1e-8f));
        assertEquals(expected0, values(p)[0], 1e-12);
        assertEquals(expected1, values(p)[1], 1e-12);
        // Step 2 with a new gradient, by the formula.
        e.upload(g, new double[] {-1.0, 0.25}, 0);
        adam.step(2, 0.01f);
        double b1 = 0.9f, b2 = 0.95f;
        double m = b1 * ((1 - b1) * 0.5) + (1 - b1) * -1.0;
        double v = b2 * ((1 - b2) * 0.25) + (1 - b2) * 1.0;
        double mHat = m / (1 - b1 * b1), vHat = v / (1 - b2 * b2);
        double expectedAfter = expected0 - lr * (mHat / (Math.sqrt(vHat) + 1e-8f) + wd * expected0);
        assertEquals(expectedAfter, values(p)[0], 1e-12);
        assertEquals(Math.sqrt(1.0 + 0.0625), adam.lastGradNorm(), 1e-12);
    }

    @Test
    void clippingScalesTheGradientToTheMaximumNorm() {
        Tensor p = tensor(0.0, 0.0);
        Tensor g = tensor(3.0, 4.0); // norm 5
        // With clipping to 1, the first moment after one step is 0.1 * g / 5.
        AdamW adam = new AdamW(e, p, g, 2, AdamWSettings.ADAPTER);
        adam.step(1, 1f);
        assertEquals(5.0, adam.lastGradNorm(), 1e-12);
        double[] m = values(adam.firstMoment());
        assertEquals((1 - 0.9f) * 3.0 / 5, m[0], 1e-9);
        assertEquals((1 - 0.9f) * 4.0 / 5, m[1], 1e-9);
    }

    @Test
    void schedules() {
        LearningRateSchedule cosine = new LearningRateSchedule("cosine", 1e-3, 10, 110, 0.1);
        assertEquals(1e-4, cosine.at(1), 1e-12);
        assertEquals(1e-3, cosine.at(10), 1e-12);
        assertEquals(1e-3 * (0.1 + 0.9 * 0.5), cosine.at(60), 1e-12);
        assertEquals(1e-4, cosine.at(110), 1e-12);
        LearningRateSchedule constant = new LearningRateSchedule("constant", 2e-3, 0, 5, 0);
        assertEquals(2e-3, constant.at(1), 1e-12);
        assertEquals(2e-3, constant.at(5), 1e-12);
    }
}
