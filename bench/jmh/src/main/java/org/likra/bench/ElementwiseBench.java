package org.likra.bench;

import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Gradient;
import org.likra.engine.Tensor;
import org.likra.engine.cpu.CpuEngine;
import org.likra.model.ParameterLayout;
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
 * The memory-bound operations of a training step at a preset's shapes, with the step's batch (B*T = 512 rows for
 * gpt2-S at 8 x 64 and gpt2-M at 4 x 128): GELU forward and backward on the MLP's hidden activations (512 x 4C),
 * LayerNorm and RMSNorm forward and backward and the residual add on the stream (512 x C), and AdamW and the squared
 * gradient norm over all the model's parameters. Each reports calls per second and {@code gbyte}: GB/s of the
 * float32 tensors the operation reads and writes by its definition (e.g. AdamW reads parameters, gradients and both
 * moments and writes three of them: 28 bytes per parameter), to set against the machine's memory bandwidth.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class ElementwiseBench {
    private static final int ROWS = 512;

    @Param({"gpt2-S", "gpt2-M"})
    public String preset;

    @Param({"2"})
    public int threads;

    private CpuEngine engine;
    private int dim, hidden, parameters;
    private Tensor stream, streamOut, streamGrad, streamDx, weight, bias, dWeight, dBias, mean, rstd;
    private Tensor act, actOut, actGrad, actDx;
    private Tensor params, grads, m, v, normSquared;
    private final AdamWSettings settings = new AdamWSettings(0.9f, 0.95f, 1e-8f, 0.1f, 1f);

    @Setup(Level.Trial)
    public void setUp() {
        ModelConfig config = Presets.load(preset);
        dim = config.dim();
        hidden = config.hidden();
        parameters = new ParameterLayout(config).total();
        engine = new CpuEngine(threads);
        Random random = new Random(4);
        stream = BenchTensors.gaussian(engine, random, ROWS * dim, 1f);
        streamGrad = BenchTensors.gaussian(engine, random, ROWS * dim, 0.1f);
        streamOut = engine.allocate(ROWS * dim);
        streamDx = engine.allocate(ROWS * dim);
        weight = BenchTensors.gaussian(engine, random, dim, 1f);
        bias = BenchTensors.gaussian(engine, random, dim, 0.1f);
        dWeight = engine.allocate(dim);
        dBias = engine.allocate(dim);
        mean = engine.allocate(ROWS);
        rstd = engine.allocate(ROWS);
        act = BenchTensors.gaussian(engine, random, ROWS * hidden, 1f);
        actGrad = BenchTensors.gaussian(engine, random, ROWS * hidden, 0.1f);
        actOut = engine.allocate(ROWS * hidden);
        actDx = engine.allocate(ROWS * hidden);
        params = BenchTensors.gaussian(engine, random, parameters, 0.02f);
        grads = BenchTensors.gaussian(engine, random, parameters, 0.01f);
        m = engine.allocate(parameters);
        v = engine.allocate(parameters);
        normSquared = engine.allocate(1);
        engine.sumOfSquares(normSquared, grads, parameters);
        engine.layerNormForward(streamOut, mean, rstd, stream, weight, bias, ROWS, dim, 1e-5f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    private static double gb(long floats) {
        return floats * 4 / 1e9;
    }

    /** Reads x, writes out: 8 bytes per element. */
    @Benchmark
    public Tensor geluForward(ByteCounter bytes) {
        engine.geluForward(actOut, act, ROWS * hidden);
        bytes.gbyte += gb(2L * ROWS * hidden);
        return actOut;
    }

    /** Reads x and dOut, writes dx: 12 bytes per element. */
    @Benchmark
    public Tensor geluBackward(ByteCounter bytes) {
        engine.geluBackward(actDx, Gradient.OVERWRITE, actGrad, act, ROWS * hidden);
        bytes.gbyte += gb(3L * ROWS * hidden);
        return actDx;
    }

    /** Reads x, writes out (and a mean and rstd per row): 8 bytes per element. */
    @Benchmark
    public Tensor layerNormForward(ByteCounter bytes) {
        engine.layerNormForward(streamOut, mean, rstd, stream, weight, bias, ROWS, dim, 1e-5f);
        bytes.gbyte += gb(2L * ROWS * dim);
        return streamOut;
    }

    /** Reads dOut and x, reads and writes dx (it accumulates): 16 bytes per element. */
    @Benchmark
    public Tensor layerNormBackward(ByteCounter bytes) {
        engine.layerNormBackward(streamDx, dWeight, dBias, streamGrad, stream, weight, mean, rstd, ROWS, dim);
        bytes.gbyte += gb(4L * ROWS * dim);
        return streamDx;
    }

    /** Reads x, writes out: 8 bytes per element. */
    @Benchmark
    public Tensor rmsNormForward(ByteCounter bytes) {
        engine.rmsNormForward(streamOut, rstd, stream, weight, ROWS, dim, 1e-5f);
        bytes.gbyte += gb(2L * ROWS * dim);
        return streamOut;
    }

    /** Reads dOut and x, reads and writes dx: 16 bytes per element. */
    @Benchmark
    public Tensor rmsNormBackward(ByteCounter bytes) {
        engine.rmsNormBackward(streamDx, dWeight, streamGrad, stream, weight, rstd, ROWS, dim);
        bytes.gbyte += gb(4L * ROWS * dim);
        return streamDx;
    }

    /** The residual add: reads two, writes one: 12 bytes per element. */
    @Benchmark
    public Tensor residualAdd(ByteCounter bytes) {
        engine.add(streamOut, stream, streamGrad, ROWS * dim);
        bytes.gbyte += gb(3L * ROWS * dim);
        return streamOut;
    }

    /** ||g||^2 over every gradient: 4 bytes per parameter. */
    @Benchmark
    public Tensor gradientNorm(ByteCounter bytes) {
        engine.sumOfSquares(normSquared, grads, parameters);
        bytes.gbyte += gb(parameters);
        return normSquared;
    }

    /** One AdamW update of every parameter: reads 4 tensors, writes 3: 28 bytes per parameter. */
    @Benchmark
    public Tensor adamw(ByteCounter bytes) {
        engine.adamw(params, grads, m, v, normSquared, settings, 3e-4f, 1, parameters);
        bytes.gbyte += gb(7L * parameters);
        return params;
    }
}
