package org.likra.bench;

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
 * Causal attention forward and backward. Shape {@code batch x time x heads x kvHeads x headDim};
 * with the causal mask the forward pass does 2 B H T(T+1) d floating-point operations in its two products
 * (q k^T and P v; the softmax is not counted), the backward pass twice that (dP, dq, dk, dv).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class AttentionBench {
    /**
     * 8x64x4x4x32: gpt2-S at batch 8 x 64; 4x128x6x6x64: gpt2-M at batch 4 x 128; 2x256x6x6x64: gpt2-M at its full
     * context; 4x128x4x2x16: llama-tiny with grouped KV heads.
     */
    @Param({"8x64x4x4x32", "4x128x6x6x64", "2x256x6x6x64", "4x128x4x2x16"})
    public String attention;

    @Param({"2"})
    public int threads;

    private CpuEngine engine;
    private int b, t, h, kv, d;
    private Tensor q, k, v, out, probs, dOut, dq, dk, dv;
    private double forwardGflop;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = attention.split("x");
        b = Integer.parseInt(p[0]);
        t = Integer.parseInt(p[1]);
        h = Integer.parseInt(p[2]);
        kv = Integer.parseInt(p[3]);
        d = Integer.parseInt(p[4]);
        forwardGflop = 2.0 * b * h * t * (t + 1.0) * d / 1e9;
        engine = new CpuEngine(threads);
        Random random = new Random(2);
        q = BenchTensors.gaussian(engine, random, b * t * h * d, 1f);
        k = BenchTensors.gaussian(engine, random, b * t * kv * d, 1f);
        v = BenchTensors.gaussian(engine, random, b * t * kv * d, 1f);
        dOut = BenchTensors.gaussian(engine, random, b * t * h * d, 1f);
        out = engine.allocate(b * t * h * d);
        probs = engine.allocate(b * h * t * t);
        dq = engine.allocate(b * t * h * d);
        dk = engine.allocate(b * t * kv * d);
        dv = engine.allocate(b * t * kv * d);
        engine.attentionForward(out, probs, q, k, v, b, t, h, kv, d);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public Tensor attentionForward(FlopCounter flops) {
        engine.attentionForward(out, probs, q, k, v, b, t, h, kv, d);
        flops.gflop += forwardGflop;
        return out;
    }

    @Benchmark
    public Tensor attentionBackward(FlopCounter flops) {
        engine.attentionBackward(dq, dk, dv, dOut, q, k, v, probs, b, t, h, kv, d);
        flops.gflop += 2 * forwardGflop;
        return dq;
    }
}
