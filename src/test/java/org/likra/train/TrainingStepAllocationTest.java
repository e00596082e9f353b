package org.likra.train;

import org.junit.jupiter.api.Test;
import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.cpu.CpuEngine;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraConfig;
import org.likra.model.Initializer;
import org.likra.model.Transformer;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * After warm-up a whole {@link TrainingStep} on the cpu engine allocates nothing on the Java heap: upload the batch
 * (with per-position loss weights, or without), forward with the loss, backward, read the loss and the gradient
 * norm, AdamW update; for
 * the whole model and for a LoRA adapter on a frozen model (a head trainer's step). The engine has one thread, so
 * every operation runs on the calling thread and its allocated-bytes counter sees the whole step.
 *
 * <p>Each case runs in a child JVM with {@code -Xbatch}: the engine's kernels allocate (the Vector API's fallback)
 * until C2 has compiled them, and in the test JVM, under load and after the other tests' shapes, that can take
 * longer than any fixed warm-up; with -Xbatch a compilation finishes before the step goes on. The step code itself
 * (TrainingStep, Transformer, LoraAdapter, AdamW) runs only a few hundred times, so it is mostly interpreted or
 * C1-compiled and nothing in it is rescued by escape analysis, as in real training where a step takes milliseconds
 * to seconds.
 */
class TrainingStepAllocationTest {

    @Test
    void llamaStepWithLossWeightsAllocatesNothing() throws Exception {
        assertEquals(0, bytesPerStep("llama-tiny", 0, true), "bytes per llama-tiny training step");
    }

    @Test
    void gpt2StepWithUniformWeightsAllocatesNothing() throws Exception {
        assertEquals(0, bytesPerStep("gpt2-1m", 0, false), "bytes per gpt2-1m training step");
    }

    @Test
    void loraStepAllocatesNothing() throws Exception {
        assertEquals(0, bytesPerStep("llama-tiny", 4, true), "bytes per llama-tiny LoRA training step");
    }

    /** Runs {@link Probe} in a child JVM and returns the bytes per step it printed. */
    private static long bytesPerStep(String preset, int loraRank, boolean lossWeights)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, "-Xbatch", "-Xmx1g", "--add-modules",
                "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Probe.class.getName(), preset,
                Integer.toString(loraRank), Boolean.toString(lossWeights)))
                .redirectErrorStream(true).start();
        String out;
        try (InputStream in = child.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        assertEquals(0, child.waitFor(), "the probe failed: " + out);
        return Long.parseLong(out.substring(out.lastIndexOf('\n') + 1).strip());
    }

    /**
     * Warms a training step up, then prints the bytes per step over the first window of steps that allocates
     * nothing (or the least over all windows, when none does).
     */
    static final class Probe {
        private static final int WARM_UP = 200;
        private static final int WINDOW = 50;
        private static final int MAX_WINDOWS = 20;

        public static void main(String[] args) {
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            try (CpuEngine e = new CpuEngine(1)) {
                Step step = new Step(e, args[0], Integer.parseInt(args[1]), Boolean.parseBoolean(args[2]));
                for (int i = 0; i < WARM_UP; i++) {
                    step.run();
                }
                long least = Long.MAX_VALUE;
                for (int w = 0; w < MAX_WINDOWS && least > 0; w++) {
                    long before = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < WINDOW; i++) {
                        step.run();
                    }
                    least = Math.min(least, (mx.getCurrentThreadAllocatedBytes() - before) / WINDOW);
                }
                if (!Double.isFinite(step.loss)) {
                    throw new IllegalStateException("loss " + step.loss);
                }
                System.out.println(least);
            }
        }
    }

    /** One model, its training step and a fixed batch: {@link #run} is one training step. */
    private static final class Step {
        final TrainingStep step;
        final int[] tokens;
        final int[] targets;
        final float[] weights;
        final int batch = 2;
        final int time = 16;
        int count;
        double loss;

        Step(CpuEngine e, String preset, int loraRank, boolean lossWeights) {
            Transformer net = new Transformer(Presets.load(preset), e);
            Initializer.initialize(net, 3);
            if (loraRank > 0) {
                LoraAdapter adapter = new LoraAdapter(net, new LoraConfig(loraRank, 8, List.copyOf(LoraConfig.KNOWN)));
                adapter.initialize(4);
                net.attach(adapter);
                step = new TrainingStep(net, AdamW.of(adapter, AdamWSettings.ADAPTER));
            } else {
                step = new TrainingStep(net, AdamW.of(net, AdamWSettings.PRETRAINING));
            }
            int n = batch * time;
            Random random = new Random(5);
            tokens = new int[n];
            targets = new int[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = random.nextInt(net.config().vocab());
                targets[i] = random.nextInt(net.config().vocab());
            }
            if (lossWeights) {
                // a head trainer's mask: only the second half of each sequence counts
                weights = new float[n];
                for (int i = 0; i < n; i++) {
                    weights[i] = i % time >= time / 2 ? 1f / (n / 2) : 0f;
                }
            } else {
                weights = null;
            }
        }

        void run() {
            loss = step.run(++count, 1e-4f, tokens, targets, weights, batch, time);
        }
    }
}
