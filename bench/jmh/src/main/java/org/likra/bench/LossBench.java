package org.likra.bench;

import org.likra.engine.IntTensor;
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
 * Softmax cross-entropy forward over {@code rows x vocab} logits (max, exp, sum, normalise, log): memory- and
 * exp-bound, so it reports the time per call (logits per second = rows * vocab / time).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class LossBench {
    /** The LM heads of gpt2-S (vocabulary 512) and gpt2-M (50304) at B*T = 512. */
    @Param({"512x512", "512x50304"})
    public String shape;

    @Param({"2"})
    public int threads;

    private CpuEngine engine;
    private int rows, vocab;
    private Tensor logits, probs, losses;
    private IntTensor targets;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        rows = Integer.parseInt(p[0]);
        vocab = Integer.parseInt(p[1]);
        engine = new CpuEngine(threads);
        Random random = new Random(3);
        float[] values = new float[rows * vocab];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * 3;
        }
        logits = engine.allocate(values.length);
        engine.upload(logits, values, 0);
        probs = engine.allocate(values.length);
        losses = engine.allocate(rows);
        int[] ids = new int[rows];
        for (int i = 0; i < rows; i++) {
            ids[i] = random.nextInt(vocab);
        }
        targets = engine.allocateInts(rows);
        engine.upload(targets, ids, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public Tensor crossEntropyForward() {
        engine.crossEntropyForward(losses, probs, logits, targets, rows, vocab);
        return losses;
    }
}
