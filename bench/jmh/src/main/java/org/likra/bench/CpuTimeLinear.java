package org.likra.bench;

import org.likra.engine.Gradient;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;
import org.likra.engine.cpu.CpuEngine;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;

/**
 * GFLOP/s of the three linear products on a 1-thread cpu engine, timed by the calling thread's CPU time (not wall
 * time), so that other processes sharing the cores barely move the figures. For each shape and product: 5 untimed
 * runs, then 7 runs of 0.3 s of CPU time, printed as median [second smallest .. largest]. A shape ending in
 * {@code :bf16} or {@code :f16} holds W in that format (a frozen base's, {@code --base-precision}); the dW product,
 * which does not read W, is the same either way. Usage:
 * {@code java --add-modules jdk.incubator.vector -cp target/benchmarks.jar org.likra.bench.CpuTimeLinear 512x128x512 ...}
 */
public final class CpuTimeLinear {
    private static final int WARMUP_RUNS = 5;

    private CpuTimeLinear() {
    }

    public static void main(String[] args) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (CpuEngine e = new CpuEngine(1)) {
            Random random = new Random(1);
            for (String shape : args) {
                String[] p = shape.split(":")[0].split("x");
                Precision format = shape.endsWith(":bf16") ? Precision.BF16
                        : shape.endsWith(":f16") ? Precision.F16 : Precision.F32;
                int n = Integer.parseInt(p[0]), in = Integer.parseInt(p[1]), out = Integer.parseInt(p[2]);
                Tensor x = random(e, random, n * in), w = random(e, random, out * in, format);
                Tensor b = random(e, random, out);
                Tensor dOut = random(e, random, n * out);
                Tensor y = e.allocate(n * out), dx = e.allocate(n * in), dw = e.allocate(out * in);
                double gflop = 2.0 * n * in * out / 1e9;
                StringBuilder line = new StringBuilder(shape);
                String[] names = {"forward", "dx", "dW"};
                for (int op = 0; op < 3; op++) {
                    // 5 untimed runs first: until C2 has compiled every kernel of this product, the Vector API runs
                    // boxed in C1 code, 20-50 times slower (seen for up to 2.5 s on this machine)
                    double[] rates = new double[7];
                    for (int rep = -WARMUP_RUNS; rep < rates.length; rep++) {
                        int calls = 0;
                        long t0 = mx.getCurrentThreadCpuTime(), t;
                        do {
                            switch (op) {
                                case 0 -> e.linearForward(y, x, w, b, n, in, out);
                                case 1 -> e.linearBackward(dx, Gradient.ACCUMULATE, null, null, Gradient.ACCUMULATE,
                                        dOut, x, w, n, in, out);
                                default -> e.linearBackward(null, Gradient.ACCUMULATE, dw, null, Gradient.ACCUMULATE,
                                        dOut, x, w, n, in, out);
                            }
                            calls++;
                            t = mx.getCurrentThreadCpuTime();
                        } while (t - t0 < 300_000_000L);
                        if (rep >= 0) {
                            rates[rep] = gflop * calls / ((t - t0) / 1e9);
                        }
                    }
                    Arrays.sort(rates);
                    line.append(String.format("  %s %.1f [%.1f..%.1f]", names[op], rates[3], rates[1], rates[6]));
                }
                System.out.println(line + "  GFLOP/s per core (CPU time)");
            }
        }
    }

    private static Tensor random(CpuEngine e, Random random, int length) {
        return random(e, random, length, Precision.F32);
    }

    private static Tensor random(CpuEngine e, Random random, int length, Precision format) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian() * 0.1f;
        }
        Tensor t = e.allocate(length, format);
        e.upload(t, values, 0);
        return t;
    }
}
