package org.likra.engine.cpu;

import org.junit.jupiter.api.AfterAll;
import org.likra.engine.Engine;
import org.likra.engine.EngineConformanceTest;

/** Every operation of {@link CpuEngine}, with 1 and 2 threads, against the reference engine. */
class CpuEngineTest extends EngineConformanceTest {
    private static final CpuEngine[] CPUS = {new CpuEngine(1), new CpuEngine(2)};

    @Override
    protected Engine[] engines() {
        return CPUS;
    }

    @Override
    protected String describe(Engine engine) {
        return "cpu with " + ((CpuEngine) engine).threads() + " thread(s)";
    }

    @AfterAll
    static void closeEngines() {
        for (CpuEngine e : CPUS) {
            e.close();
        }
    }
}
