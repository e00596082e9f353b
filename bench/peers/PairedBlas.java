import org.likra.engine.Tensor;
import org.likra.engine.cpu.CpuEngine;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.likra.engine.Gradient.ACCUMULATE;
import static org.likra.engine.Gradient.OVERWRITE;

/**
 * The three products of a linear layer on the cpu engine and on OpenBLAS's sgemm, measured in one process, in
 * alternating slices of 100 ms, so that both see the same load of a shared machine: each round times one slice of
 * each (in alternating order), and the figure that matters is the median of the per-round ratios likra / OpenBLAS.
 *
 * <pre>
 *   forward  Y  = X W^T      sgemm(RowMajor, NoTrans, Trans,   n, out, in,  1, X, in,  W, in,  0, Y, out)
 *   dx       dX += dY W      sgemm(RowMajor, NoTrans, NoTrans, n, in, out,  1, dY, out, W, in, 1, dX, in)
 *   dW       dW += dY^T X    sgemm(RowMajor, Trans,   NoTrans, out, in, n,  1, dY, out, X, in, 1, dW, in)
 *   dx=      dX  = dY W      the same with beta 0: the gradients' first contributions, as a training step
 *   dW=      dW  = dY^T X    computes them (Engine.linearBackward with Gradient.OVERWRITE)
 * </pre>
 * The two replacing forms are printed on a second line per shape.
 *
 * A single-file program for JDK 22+ (it calls OpenBLAS through java.lang.foreign, final since 22; the project itself
 * targets 21), run by {@code bench/peers/paired_blas.sh}, which finds an OpenBLAS library and clears the environment
 * variables that would force an older kernel. Usage:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp target/likra.jar
 * bench/peers/PairedBlas.java <libopenblas.so> <threads> <rounds> <n>x<in>x<out>...}. With one thread, slices are the
 * calling thread's CPU time (OpenBLAS computes in the calling thread then); with more, wall time, each slice after
 * 150 ms of untimed work on the same side (so that the other side's threads have stopped spinning).
 */
public final class PairedBlas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    private static final long SLICE_NS = 100_000_000L, SETTLE_NS = 150_000_000L;
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    private final MethodHandle sgemm;
    private final boolean ilp64;

    private PairedBlas(SymbolLookup lib, Linker linker) {
        Optional<MemorySegment> lp64 = lib.find("cblas_sgemm");
        ilp64 = lp64.isEmpty();
        MemorySegment symbol = lp64.or(() -> lib.find("scipy_cblas_sgemm64_"))
                .orElseThrow(() -> new IllegalArgumentException("no cblas_sgemm or scipy_cblas_sgemm64_ in library"));
        ValueLayout index = ilp64 ? ValueLayout.JAVA_LONG : ValueLayout.JAVA_INT;
        ValueLayout e = ValueLayout.JAVA_INT, f = ValueLayout.JAVA_FLOAT, p = ValueLayout.ADDRESS;
        sgemm = linker.downcallHandle(symbol, FunctionDescriptor.ofVoid(e, e, e, index, index, index, f, p, index, p,
                index, f, p, index));
    }

    private void gemm(int transA, int transB, int m, int n, int k, MemorySegment a, int lda, MemorySegment b,
                      int ldb, float beta, MemorySegment c, int ldc) throws Throwable {
        if (ilp64) {
            sgemm.invokeExact(ROW_MAJOR, transA, transB, (long) m, (long) n, (long) k, 1f, a, (long) lda, b,
                    (long) ldb, beta, c, (long) ldc);
        } else {
            sgemm.invokeExact(ROW_MAJOR, transA, transB, m, n, k, 1f, a, lda, b, ldb, beta, c, ldc);
        }
    }

    private static void setThreads(SymbolLookup lib, Linker linker, int threads) throws Throwable {
        for (String name : new String[] {"openblas_set_num_threads", "scipy_openblas_set_num_threads64_"}) {
            Optional<MemorySegment> s = lib.find(name);
            if (s.isPresent()) {
                linker.downcallHandle(s.get(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT)).invokeExact(threads);
                return;
            }
        }
        throw new IllegalArgumentException("no openblas_set_num_threads in library");
    }

    private static long clock(int threads) {
        return threads == 1 ? MX.getCurrentThreadCpuTime() : System.nanoTime();
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 4) {
            System.err.println("usage: PairedBlas <libopenblas.so> <threads> <rounds> <n>x<in>x<out>...");
            System.exit(2);
        }
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.libraryLookup(Path.of(args[0]), Arena.global());
        int threads = Integer.parseInt(args[1]), rounds = Integer.parseInt(args[2]);
        setThreads(lib, linker, threads);
        PairedBlas blas = new PairedBlas(lib, linker);
        System.out.printf("likra cpu engine vs OpenBLAS (%s), %d thread(s), %d rounds of 100 ms slices each%n",
                args[0].replaceAll(".*/", ""), threads, rounds);
        String[] names = {"forward", "dx", "dW", "dx=", "dW="};
        List<Double> productRatios = new ArrayList<>(); // each product's median per-round ratio
        try (CpuEngine engine = new CpuEngine(threads); Arena arena = Arena.ofConfined()) {
            for (int s = 3; s < args.length; s++) {
                String[] d = args[s].split("x");
                int n = Integer.parseInt(d[0]), in = Integer.parseInt(d[1]), out = Integer.parseInt(d[2]);
                Random random = new Random(1);
                float[] x = random(random, n * in), w = random(random, out * in), dy = random(random, n * out);
                Tensor tx = upload(engine, x), tw = upload(engine, w), tdy = upload(engine, dy);
                Tensor ty = engine.allocate(n * out), tdx = engine.allocate(n * in), tdw = engine.allocate(out * in);
                MemorySegment nx = offHeap(arena, x), nw = offHeap(arena, w), ndy = offHeap(arena, dy);
                MemorySegment ny = arena.allocate(4L * n * out, 64), ndx = arena.allocate(4L * n * in, 64);
                MemorySegment ndw = arena.allocate(4L * out * in, 64);
                double flop = 2.0 * n * in * out;
                StringBuilder line = new StringBuilder(String.format("%-15s", args[s]));
                for (int op = 0; op < names.length; op++) {
                    double[] ours = new double[rounds], theirs = new double[rounds], ratio = new double[rounds];
                    for (int round = -3; round < rounds; round++) { // 3 untimed rounds: JIT and caches
                        double a = 0, b = 0;
                        for (int half = 0; half < 2; half++) {
                            boolean likraNow = (half == 0) == (round % 2 == 0);
                            // With several threads, each slice starts with SETTLE_NS of untimed work: OpenBLAS's
                            // threads spin for up to about 0.1 s after a call (THREAD_TIMEOUT), ours for 0.4 ms,
                            // and a spinning thread of the other side would take a core from the timed slice.
                            long settleUntil = threads > 1 ? System.nanoTime() + SETTLE_NS : 0;
                            long t0 = 0, t;
                            long calls = 0;
                            boolean timing = threads == 1;
                            if (timing) {
                                t0 = clock(threads);
                            }
                            do {
                                if (likraNow) {
                                    switch (op) {
                                        case 0 -> engine.linearForward(ty, tx, tw, null, n, in, out);
                                        case 1 -> engine.linearBackward(tdx, ACCUMULATE, null, null, ACCUMULATE,
                                                tdy, tx, tw, n, in, out);
                                        case 2 -> engine.linearBackward(null, ACCUMULATE, tdw, null, ACCUMULATE,
                                                tdy, tx, tw, n, in, out);
                                        case 3 -> engine.linearBackward(tdx, OVERWRITE, null, null, ACCUMULATE,
                                                tdy, tx, tw, n, in, out);
                                        default -> engine.linearBackward(null, ACCUMULATE, tdw, null, OVERWRITE,
                                                tdy, tx, tw, n, in, out);
                                    }
                                } else {
                                    switch (op) {
                                        case 0 -> blas.gemm(NO_TRANS, TRANS, n, out, in, nx, in, nw, in, 0f, ny, out);
                                        case 1 -> blas.gemm(NO_TRANS, NO_TRANS, n, in, out, ndy, out, nw, in, 1f, ndx,
                                                in);
                                        case 2 -> blas.gemm(TRANS, NO_TRANS, out, in, n, ndy, out, nx, in, 1f, ndw,
                                                in);
                                        case 3 -> blas.gemm(NO_TRANS, NO_TRANS, n, in, out, ndy, out, nw, in, 0f, ndx,
                                                in);
                                        default -> blas.gemm(TRANS, NO_TRANS, out, in, n, ndy, out, nx, in, 0f, ndw,
                                                in);
                                    }
                                }
                                t = clock(threads);
                                if (!timing) { // still settling: nothing is counted
                                    if (t >= settleUntil) {
                                        timing = true;
                                        t0 = t;
                                    }
                                    continue;
                                }
                                calls++;
                            } while (!timing || t - t0 < SLICE_NS);
                            double gflops = flop * calls / (t - t0);
                            if (likraNow) {
                                a = gflops;
                            } else {
                                b = gflops;
                            }
                        }
                        if (round >= 0) {
                            ours[round] = a;
                            theirs[round] = b;
                            ratio[round] = a / b;
                        }
                    }
                    Arrays.sort(ours);
                    Arrays.sort(theirs);
                    Arrays.sort(ratio);
                    if (op == 3) {
                        line.append(String.format("%n%-15s", ""));
                    }
                    line.append(String.format("  %s %.1f / %.1f = %.2f [%.2f..%.2f]", names[op], median(ours),
                            median(theirs), median(ratio), ratio[rounds / 4], ratio[(3 * rounds) / 4]));
                    productRatios.add(median(ratio));
                }
                System.out.println(line);
            }
        }
        System.out.println("each product: likra GFLOP/s / OpenBLAS GFLOP/s (medians) = median per-round ratio "
                + "[quartiles]");
        double[] all = productRatios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int m = all.length;
        long atTarget = productRatios.stream().filter(r -> r >= 0.8).count();
        System.out.printf("all %d products, %d thread(s): median ratio %.3f (%.2f-%.2f), %d of %d at >= 0.8%n", m,
                threads, median(all), all[0], all[m - 1], atTarget, m);
    }

    /** The median of sorted values: the middle one, or the mean of the two middle ones. */
    private static double median(double[] sorted) {
        int m = sorted.length;
        return m % 2 == 1 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
    }

    private static float[] random(Random random, int length) {
        float[] v = new float[length];
        for (int i = 0; i < length; i++) {
            v[i] = (float) random.nextGaussian() * 0.1f;
        }
        return v;
    }

    private static Tensor upload(CpuEngine engine, float[] values) {
        Tensor t = engine.allocate(values.length);
        engine.upload(t, values, 0);
        return t;
    }

    private static MemorySegment offHeap(Arena arena, float[] values) {
        MemorySegment m = arena.allocate(4L * values.length, 64);
        MemorySegment.copy(values, 0, m, ValueLayout.JAVA_FLOAT, 0, values.length);
        return m;
    }
}
