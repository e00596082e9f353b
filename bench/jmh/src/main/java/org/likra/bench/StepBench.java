package org.likra.bench;

import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.cpu.CpuEngine;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraConfig;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.train.AdamW;
import org.likra.train.TrainingStep;
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

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One whole training step of a preset on the cpu engine, as {@link TrainingStep} trains: the batch's upload,
 * Transformer forward (with the loss), backward, the gradient norm and the AdamW update, on a fixed batch of random
 * tokens. Reports ms per step; run it with {@code -prof gc}
 * to see the heap allocated per step ({@code gc.alloc.rate.norm}). With {@code lora} > 0 the base model is frozen
 * and a LoRA adapter of that rank on every projection is trained instead, with its own AdamW (as a head trainer
 * does).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class StepBench {
    /** gpt2-S at batch 8 x 64 (the llm.c comparison's small configuration). */
    @Param({"gpt2-S"})
    public String model;

    @Param({"8"})
    public int batch;

    @Param({"64"})
    public int seq;

    @Param({"2"})
    public int threads;

    /** LoRA rank (0: train the whole model). */
    @Param({"0"})
    public int lora;

    private CpuEngine engine;
    private TrainingStep trainingStep;
    private int[] tokens;
    private int[] targets;
    private float[] weights;
    private int step;

    @Setup(Level.Trial)
    public void setUp() {
        engine = new CpuEngine(threads);
        Transformer net = new Transformer(Presets.load(model), engine);
        Initializer.initialize(net, 1);
        if (lora > 0) {
            LoraAdapter adapter = new LoraAdapter(net, new LoraConfig(lora, lora, List.copyOf(LoraConfig.KNOWN)));
            adapter.initialize(1);
            net.attach(adapter);
            trainingStep = new TrainingStep(net, AdamW.of(adapter, AdamWSettings.ADAPTER));
        } else {
            trainingStep = new TrainingStep(net, AdamW.of(net, AdamWSettings.PRETRAINING));
        }
        int n = batch * seq;
        int vocab = net.config().vocab();
        Random random = new Random(1);
        tokens = new int[n];
        targets = new int[n];
        weights = new float[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = random.nextInt(vocab);
            targets[i] = random.nextInt(vocab);
            weights[i] = 1f / n;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public double step() {
        return trainingStep.run(++step, 1e-4f, tokens, targets, weights, batch, seq);
    }
}
