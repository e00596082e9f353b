package org.likra.bench;

import org.likra.engine.Engine;
import org.likra.engine.Tensor;

import java.util.Random;

/** The inputs of the JMH benchmarks. */
final class BenchTensors {
    private BenchTensors() {
    }

    /** A tensor of {@code length} values drawn from N(0, scale^2) (float(gaussian) * scale), uploaded to the engine. */
    static Tensor gaussian(Engine engine, Random random, int length, float scale) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian() * scale;
        }
        Tensor tensor = engine.allocate(length);
        engine.upload(tensor, values, 0);
        return tensor;
    }
}
