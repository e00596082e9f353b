package org.likra.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * The float32 FMA peak of one core as Java reaches it: a loop of independent vector FMAs on registers only (no loads,
 * no stores), with 12 and with 8 accumulator chains, timed by the thread's CPU time. Each chain adds x y to its
 * accumulator once per iteration, so the loop runs at the FMA units' throughput when the chains outnumber latency x
 * units (Zen 3: 4 cycles x 2 units = 8). The figure the products' GFLOP/s are compared with in docs/performance.md.
 * Usage: {@code java --add-modules jdk.incubator.vector -cp target/benchmarks.jar org.likra.bench.FmaPeak [rounds]}
 * (default 15 rounds of 0.2 s per loop; prints median [min .. max] GFLOP/s).
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int ITERATIONS = 100_000;
    /** Keeps the accumulators' sums alive, so that C2 cannot drop the loops. */
    private static float sink;

    private FmaPeak() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        float[] values = new float[2 * F.length()];
        Arrays.fill(values, 0.999f);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[][] rates = new double[2][rounds];
        int[] chains = {12, 8};
        for (int round = -3; round < rounds; round++) { // 3 untimed rounds: C2 compiles both loops
            for (int v = 0; v < 2; v++) {
                long start = mx.getCurrentThreadCpuTime(), calls = 0;
                while (mx.getCurrentThreadCpuTime() - start < 200_000_000L) {
                    if (v == 0) {
                        twelveChains(values);
                    } else {
                        eightChains(values);
                    }
                    calls++;
                }
                double flop = 2.0 * F.length() * chains[v] * ITERATIONS * calls;
                if (round >= 0) {
                    rates[v][round] = flop / (mx.getCurrentThreadCpuTime() - start);
                }
            }
        }
        System.out.printf("float32 FMA peak of one core, %d-lane vectors (%s), CPU time, %d rounds of 0.2 s%n",
                F.length(), F, rounds);
        for (int v = 0; v < 2; v++) {
            Arrays.sort(rates[v]);
            System.out.printf("  %2d independent FMA chains: %.1f GFLOP/s [%.1f .. %.1f]%n", chains[v],
                    rates[v][rounds / 2], rates[v][0], rates[v][rounds - 1]);
        }
        if (sink == 42f) {
            System.out.println();
        }
    }

    /** acc_k = x y + acc_k for 12 accumulators, ITERATIONS times. */
    private static void twelveChains(float[] values) {
        FloatVector x = FloatVector.fromArray(F, values, 0), y = FloatVector.fromArray(F, values, F.length());
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        FloatVector c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < ITERATIONS; i++) {
            c0 = x.fma(y, c0);
            c1 = x.fma(y, c1);
            c2 = x.fma(y, c2);
            c3 = x.fma(y, c3);
            c4 = x.fma(y, c4);
            c5 = x.fma(y, c5);
            c6 = x.fma(y, c6);
            c7 = x.fma(y, c7);
            c8 = x.fma(y, c8);
            c9 = x.fma(y, c9);
            c10 = x.fma(y, c10);
            c11 = x.fma(y, c11);
        }
        sink += c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).lane(0);
    }

    /** acc_k = x y + acc_k for 8 accumulators (as many as the engine's 4 x 2-vector kernel has), ITERATIONS times. */
    private static void eightChains(float[] values) {
        FloatVector x = FloatVector.fromArray(F, values, 0), y = FloatVector.fromArray(F, values, F.length());
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int i = 0; i < ITERATIONS; i++) {
            c0 = x.fma(y, c0);
            c1 = x.fma(y, c1);
            c2 = x.fma(y, c2);
            c3 = x.fma(y, c3);
            c4 = x.fma(y, c4);
            c5 = x.fma(y, c5);
            c6 = x.fma(y, c6);
            c7 = x.fma(y, c7);
        }
        sink += c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).lane(0);
    }
}
