package org.likra.train;

import org.junit.jupiter.api.Test;
import org.likra.config.Presets;
import org.likra.engine.cpu.CpuEngine;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraConfig;
import org.likra.model.Initializer;
import org.likra.model.Transformer;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After warm-up a whole training step on the cpu engine allocates nothing on the Java heap: upload the batch
 * (with per-position loss weights, or without), forward with the loss, backward, read the loss, AdamW step; for
 * the whole model and for a LoRA adapter on a frozen model (a head trainer's step). The engine has one thread, so
 * every operation runs on the calling thread and its allocated-bytes counter sees the whole step.
 *
 * <p>The step code itself (Transformer, LoraAdapter, AdamW) runs only a few thousand times here, so it is mostly
 * interpreted or C1-compiled: nothing in it is rescued by escape analysis, as in real training where a step takes
 * milliseconds to seconds. The engine's kernels need C2 before their vectors stop allocating; the test therefore
 * warms up, then accepts the first window of steps that allocates nothing, and fails if none does.
 */
class TrainingStepAllocationTest {
    private static final int WARM_UP = 200;
    private static final int WINDOW = 50;
    private static final int MAX_WINDOWS = 40;

    @Test
    void llamaStepWithLossWeightsAllocatesNothing() {
        try (CpuEngine e = new CpuEngine(1)) {
            Step step = new Step(e, "llama-tiny", 0, true);
            assertEquals(0, bytesPerStepAfterWarmUp(step), "bytes per llama-tiny training step");
        }
    }

    @Test
    void gpt2StepWithUniformWeightsAllocatesNothing() {
        try (CpuEngine e = new CpuEngine(1)) {
            Step step = new Step(e, "gpt2-1m", 0, false);
            assertEquals(0, bytesPerStepAfterWarmUp(step), "bytes per gpt2-1m training step");
        }
    }

    @Test
    void loraStepAllocatesNothing() {
        try (CpuEngine e = new CpuEngine(1)) {
            Step step = new Step(e, "llama-tiny", 4, true);
            assertEquals(0, bytesPerStepAfterWarmUp(step), "bytes per llama-tiny LoRA training step");
        }
    }

    /** The bytes allocated per step over the first window of steps (after warm-up) that allocates nothing. */
    private static long bytesPerStepAfterWarmUp(Step step) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
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
        assertTrue(Double.isFinite(step.loss), "loss " + step.loss);
        return least;
    }

    /** One model, its optimizer and a fixed batch: {@link #run} is one training step. */
    private static final class Step {
        final Transformer net;
        final AdamW adam;
        final int[] tokens;
        final int[] targets;
        final float[] weights;
        final int batch = 2;
        final int time = 16;
        int count;
        double loss;

        Step(CpuEngine e, String preset, int loraRank, boolean lossWeights) {
            net = new Transformer(Presets.load(preset), e);
            Initializer.initialize(net, 3);
            if (loraRank > 0) {
                LoraAdapter adapter = new LoraAdapter(net, new LoraConfig(loraRank, 8, List.copyOf(LoraConfig.KNOWN)));
                adapter.initialize(4);
                net.attach(adapter);
                adam = new AdamW(e, adapter.parameters(), adapter.gradients(), 0, 0.9f, 0.999f, 1e-8f, 0f, 1f);
            } else {
                adam = new AdamW(e, net.parameters(), net.gradients(), net.layout().decayedCount(), 0.9f, 0.95f,
                        1e-8f, 0.1f, 1f);
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
            net.setInputs(tokens, targets, weights, batch, time);
            net.forward();
            net.backward();
            loss = net.loss();
            adam.step(++count, 1e-4f);
        }
    }
}
