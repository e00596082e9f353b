package org.likra.bench;

import org.likra.config.Presets;
import org.likra.engine.cpu.CpuEngine;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraConfig;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.train.AdamW;
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
 * One whole training step of a preset on the cpu engine: Transformer forward (with the loss), backward and the
 * AdamW update, on a fixed batch of random tokens uploaded once. Reports ms per step; run it with {@code -prof gc}
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
    private Transformer net;
    private AdamW adam;
    private int step;

    @Setup(Level.Trial)
    public void setUp() {
        engine = new CpuEngine(threads);
        net = new Transformer(Presets.load(model), engine);
        Initializer.initialize(net, 1);
        if (lora > 0) {
            LoraAdapter adapter = new LoraAdapter(net, new LoraConfig(lora, lora, List.copyOf(LoraConfig.KNOWN)));
            adapter.initialize(1);
            net.attach(adapter);
            adam = new AdamW(engine, adapter.parameters(), adapter.gradients(), 0, 0.9f, 0.999f, 1e-8f, 0f, 1.0f);
        } else {
            adam = new AdamW(engine, net.parameters(), net.gradients(), net.layout().decayedCount(), 0.9f, 0.95f,
                    1e-8f, 0.1f, 1.0f);
        }
        int n = batch * seq;
        int vocab = net.config().vocab();
        Random random = new Random(1);
        int[] tokens = new int[n];
        int[] targets = new int[n];
        float[] weights = new float[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = random.nextInt(vocab);
            targets[i] = random.nextInt(vocab);
            weights[i] = 1f / n;
        }
        net.setInputs(tokens, targets, weights, batch, seq);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public Transformer step() {
        net.forward();
        net.backward();
        adam.step(++step, 1e-4f);
        return net;
    }
}
