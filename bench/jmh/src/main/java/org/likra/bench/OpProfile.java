package org.likra.bench;

import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.cpu.CpuEngine;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.train.AdamW;
import org.likra.train.TrainingStep;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Where a training step's wall time goes, operation by operation: the cpu engine behind a recording proxy of
 * {@link Engine}, so every call the model makes is timed (System.nanoTime around it) and summed per operation (linear
 * products per shape n x in x out). Prints the step's mean ms, then each operation's ms per step and calls per step,
 * largest first. The proxy adds about a microsecond per call (a few hundred calls per gpt2-S step) and allocates, so
 * the total is a little above {@code likra bench}'s; use it for shares, not for the headline figure. Usage:
 * {@code ... org.likra.bench.OpProfile gpt2-S 8 64 2 40} (model, batch, seq, threads, timed steps; 40 warm-up steps).
 */
public final class OpProfile {
    private static final int WARMUP = 40;

    private OpProfile() {
    }

    public static void main(String[] args) {
        String model = args[0];
        int batch = Integer.parseInt(args[1]), seq = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]), steps = Integer.parseInt(args[4]);
        Map<String, long[]> totals = new HashMap<>(); // name -> {nanoseconds, calls}
        boolean[] recording = {false};
        try (CpuEngine cpu = new CpuEngine(threads)) {
            // Every call goes to the engine itself (an operation the engine does not override runs the interface's
            // default there), so it is timed as one operation under its own name.
            InvocationHandler timer = (proxy, method, arguments) -> {
                long t0 = System.nanoTime();
                Object result;
                try {
                    result = method.invoke(cpu, arguments);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
                long elapsed = System.nanoTime() - t0;
                if (recording[0]) {
                    long[] entry = totals.computeIfAbsent(name(method, arguments), k -> new long[2]);
                    entry[0] += elapsed;
                    entry[1]++;
                }
                return result;
            };
            Engine engine = (Engine) Proxy.newProxyInstance(Engine.class.getClassLoader(),
                    new Class<?>[] {Engine.class}, timer);
            Transformer net = new Transformer(Presets.load(model), engine);
            Initializer.initialize(net, 1);
            TrainingStep step = new TrainingStep(net, AdamW.of(net, AdamWSettings.PRETRAINING));
            Random random = new Random(1);
            int n = batch * seq, vocab = net.config().vocab();
            int[] tokens = new int[n], targets = new int[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = random.nextInt(vocab);
                targets[i] = random.nextInt(vocab);
            }
            long stepNanos = 0;
            for (int s = 0; s < WARMUP + steps; s++) {
                recording[0] = s >= WARMUP;
                long t0 = System.nanoTime();
                step.run(s + 1, 1e-4f, tokens, targets, null, batch, seq);
                if (recording[0]) {
                    stepNanos += System.nanoTime() - t0;
                }
            }
            System.out.printf("%s %dx%d, %d threads: %.2f ms/step (mean of %d steps after %d)%n", model, batch, seq,
                    threads, stepNanos / 1e6 / steps, steps, WARMUP);
            List<Map.Entry<String, long[]>> rows = new ArrayList<>(totals.entrySet());
            rows.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
            for (Map.Entry<String, long[]> row : rows) {
                long[] v = row.getValue();
                System.out.printf("  %-44s %8.3f ms/step %6.1f%%  %5.1f calls/step%n", row.getKey(),
                        v[0] / 1e6 / steps, 100.0 * v[0] / stepNanos, v[1] / (double) steps);
            }
        }
    }

    /** The operation's name; linear products with their shape n x in x out (the last three int arguments). */
    private static String name(Method method, Object[] arguments) {
        String name = method.getName();
        if (name.startsWith("linear") && arguments != null && arguments.length >= 3) {
            int k = arguments.length;
            return name + " " + arguments[k - 3] + "x" + arguments[k - 2] + "x" + arguments[k - 1];
        }
        return name;
    }
}
