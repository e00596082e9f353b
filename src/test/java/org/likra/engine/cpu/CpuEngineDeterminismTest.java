package org.likra.engine.cpu;

import org.junit.jupiter.api.Test;
import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.train.AdamW;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bitwise determinism of {@link CpuEngine}: every operation gives the same bits on every call (interpreted, then
 * C1- and C2-compiled as the calls repeat, and in a JVM run with -Xint), with 1 and 2 threads alike; whole training
 * steps repeat exactly and do not depend on the thread count.
 */
class CpuEngineDeterminismTest {

    /** Enough passes over every operation for the JIT to compile (and C2 to optimise) the kernels. */
    private static final int PASSES = 400;

    @Test
    void everyOperationGivesTheSameBitsOnEveryCallAndThreadCount() {
        long first;
        try (CpuEngine one = new CpuEngine(1)) {
            first = DeterminismProbe.run(one); // first call: mostly interpreted
            for (int pass = 1; pass < PASSES; pass++) {
                assertEquals(first, DeterminismProbe.run(one), "1 thread, pass " + pass);
            }
        }
        try (CpuEngine two = new CpuEngine(2)) {
            for (int pass = 0; pass < 50; pass++) {
                assertEquals(first, DeterminismProbe.run(two), "2 threads against 1, pass " + pass);
            }
        }
    }

    @Test
    void interpretedJvmGivesTheSameBitsAsCompiledCode() throws Exception {
        long compiled;
        try (CpuEngine e = new CpuEngine(2)) {
            for (int pass = 0; pass < 200; pass++) {
                DeterminismProbe.run(e);
            }
            compiled = DeterminismProbe.run(e);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String threads : new String[] {"1", "2"}) {
            List<String> command = new ArrayList<>(List.of(java, "-Xint", "--add-modules", "jdk.incubator.vector"));
            for (String key : System.getProperties().stringPropertyNames()) { // the same vector width and blocking
                if (key.startsWith("likra.cpu.")) {
                    command.add("-D" + key + "=" + System.getProperty(key));
                }
            }
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), DeterminismProbe.class.getName(),
                    threads));
            Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out;
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                out = r.readLine();
            }
            assertEquals(0, child.waitFor(), "the -Xint probe failed");
            assertEquals(compiled, Long.parseLong(out.trim()), "-Xint with " + threads + " thread(s) against C2");
        }
    }

    @Test
    void trainingStepsRepeatExactlyAndDoNotDependOnTheThreadCount() {
        float[][] reference = null;
        for (int threads : new int[] {1, 2, 1}) {
            try (CpuEngine e = new CpuEngine(threads)) {
                float[][] run = train(e);
                if (reference == null) {
                    reference = run;
                } else {
                    for (int i = 0; i < run.length; i++) {
                        assertArrayEquals(reference[i], run[i], "threads " + threads + ", output " + i);
                    }
                }
            }
        }
    }

    @Test
    void aStepFromTheSameStateRepeatsExactly() {
        try (CpuEngine e = new CpuEngine(2)) {
            Transformer net = llamaTiny(e);
            float[] firstGradients = null;
            double firstLoss = 0;
            for (int rep = 0; rep < 30; rep++) {
                net.forward();
                net.backward();
                float[] g = new float[net.gradients().length()];
                e.download(net.gradients(), g, 0);
                if (firstGradients == null) {
                    firstGradients = g;
                    firstLoss = net.loss();
                } else {
                    assertEquals(Double.doubleToRawLongBits(firstLoss), Double.doubleToRawLongBits(net.loss()),
                            "loss, repetition " + rep);
                    assertArrayEquals(firstGradients, g, "gradients, repetition " + rep);
                }
            }
        }
    }

    /** Five AdamW steps of llama-tiny: the losses of every step, then the final parameters. */
    private static float[][] train(CpuEngine e) {
        Transformer net = llamaTiny(e);
        AdamW adam = AdamW.of(net, AdamWSettings.PRETRAINING);
        float[] losses = new float[5];
        for (int step = 1; step <= losses.length; step++) {
            net.forward();
            net.backward();
            adam.step(step, 1e-3f);
            losses[step - 1] = (float) net.loss();
        }
        float[] params = new float[net.parameters().length()];
        e.download(net.parameters(), params, 0);
        return new float[][] {losses, params};
    }

    private static Transformer llamaTiny(CpuEngine e) {
        Transformer net = new Transformer(Presets.load("llama-tiny"), e);
        Initializer.initialize(net, 11);
        int batch = 2, time = 24, vocab = net.config().vocab();
        Random random = new Random(5);
        int[] tokens = new int[batch * time], targets = new int[batch * time];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = random.nextInt(vocab);
            targets[i] = random.nextInt(vocab);
        }
        net.setInputs(tokens, targets, null, batch, time);
        return net;
    }
}
