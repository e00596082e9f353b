package org.likra.bench;

import org.likra.engine.Gradient;
import org.likra.engine.Tensor;
import org.likra.engine.cpu.CpuEngine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The three matrix products of a linear layer at preset shapes {@code n x in x out} (rows x input width x output
 * width): forward out = x W^T + b, input gradient dx += dOut W, weight gradient dW += dOut^T x. Each does
 * 2 n in out floating-point operations (the bias adds are not counted), reported as {@code gflop} (GFLOP/s).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class LinearBench {
    /**
     * At B*T = 512 (gpt2-S at 8 x 64, gpt2-M at 4 x 128): 512x128x512, gpt2-S's MLP up and LM head; 512x384x1536 and
     * 512x1536x384, gpt2-M's MLP; 512x384x50304, gpt2-M's LM head. 1024x256x768 and 1024x1024x256: the
     * transformer-like shapes the OpenBLAS comparison also uses.
     */
    @Param({"512x128x512", "512x384x1536", "512x1536x384", "512x384x50304", "1024x256x768", "1024x1024x256"})
    public String shape;

    @Param({"2"})
    public int threads;

    private CpuEngine engine;
    private Tensor x, w, b, out, dOut, dx, dw;
    private int n, in, outDim;
    private double gflopPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        n = Integer.parseInt(p[0]);
        in = Integer.parseInt(p[1]);
        outDim = Integer.parseInt(p[2]);
        gflopPerCall = 2.0 * n * in * outDim / 1e9;
        engine = new CpuEngine(threads);
        Random random = new Random(1);
        x = BenchTensors.gaussian(engine, random, n * in, 0.1f);
        w = BenchTensors.gaussian(engine, random, outDim * in, 0.1f);
        b = BenchTensors.gaussian(engine, random, outDim, 0.1f);
        dOut = BenchTensors.gaussian(engine, random, n * outDim, 0.1f);
        out = engine.allocate(n * outDim);
        dx = engine.allocate(n * in);
        dw = engine.allocate(outDim * in);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public Tensor forward(FlopCounter flops) {
        engine.linearForward(out, x, w, b, n, in, outDim);
        flops.gflop += gflopPerCall;
        return out;
    }

    @Benchmark
    public Tensor inputGradient(FlopCounter flops) {
        engine.linearBackward(dx, Gradient.ACCUMULATE, null, null, Gradient.ACCUMULATE, dOut, x, w, n, in, outDim);
        flops.gflop += gflopPerCall;
        return dx;
    }

    @Benchmark
    public Tensor weightGradient(FlopCounter flops) {
        engine.linearBackward(null, Gradient.ACCUMULATE, dw, null, Gradient.ACCUMULATE, dOut, x, w, n, in, outDim);
        flops.gflop += gflopPerCall;
        return dw;
    }
}
