package org.likra.model;

import org.junit.jupiter.api.Test;
import org.likra.config.Presets;
import org.likra.engine.cpu.CpuEngine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class InitializerTest {
    @Test
    void initializingOnTheEngineGivesTheInitialValues() {
        for (String preset : new String[] {"llama-1m", "gpt2-1m"}) {
            try (CpuEngine e = new CpuEngine(1)) {
                Transformer m = new Transformer(Presets.load(preset), e);
                Initializer.initialize(m, 11);
                float[] onEngine = new float[m.layout().total()];
                e.download(m.parameters(), onEngine, 0);
                assertArrayEquals(Initializer.initialValues(m.layout(), m.config().layers(), 11), onEngine, preset);
            }
        }
    }
}
