package org.likra.bench;

import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.cpu.CpuEngine;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.train.AdamW;
import org.likra.train.TrainingStep;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;

/**
 * CPU milliseconds per training step (forward, backward, AdamW) of a preset on a 1-thread cpu engine, where all the
 * work runs on the calling thread, so its CPU time is the step's cost whatever else shares the cores. Usage:
 * {@code ... org.likra.bench.CpuTimeStep gpt2-S 8 64 30 15} (model, batch, seq, warm-up steps, timed steps); prints
 * the median, minimum and maximum and the last loss (equal losses across builds show equal arithmetic).
 */
public final class CpuTimeStep {
    private CpuTimeStep() {
    }

    public static void main(String[] args) {
        String model = args[0];
        int batch = Integer.parseInt(args[1]), seq = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]), steps = Integer.parseInt(args[4]);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (CpuEngine e = new CpuEngine(1)) {
            Transformer net = new Transformer(Presets.load(model), e);
            Initializer.initialize(net, 1);
            TrainingStep step = new TrainingStep(net, AdamW.of(net, AdamWSettings.PRETRAINING));
            Random random = new Random(1);
            int n = batch * seq, vocab = net.config().vocab();
            int[] tokens = new int[n], targets = new int[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = random.nextInt(vocab);
                targets[i] = random.nextInt(vocab);
            }
            double[] ms = new double[steps];
            double loss = Double.NaN;
            for (int s = 0; s < warmup + steps; s++) {
                long t0 = mx.getCurrentThreadCpuTime();
                loss = step.run(s + 1, 1e-4f, tokens, targets, null, batch, seq);
                long t = mx.getCurrentThreadCpuTime() - t0;
                if (s >= warmup) {
                    ms[s - warmup] = t / 1e6;
                }
            }
            Arrays.sort(ms);
            System.out.printf("%s %dx%d: CPU ms/step median %.1f (min %.1f, max %.1f), last loss %.4f%n", model, batch,
                    seq, ms[steps / 2], ms[0], ms[steps - 1], loss);
        }
    }
}
