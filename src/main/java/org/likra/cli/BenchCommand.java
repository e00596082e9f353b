package org.likra.cli;

import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.model.FlopCount;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.train.AdamW;
import org.likra.train.TrainingStep;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time training steps (forward + backward + AdamW) of a preset (or a model directory's "
                + "architecture) with random weights on random tokens and print ms/step, tokens/s, achieved GFLOP/s "
                + "(median of the timed steps after warm-up) and peak memory; --lora R times a LoRA step instead.",
                "Presets gpt2-S and gpt2-M match the configurations llm.c's CPU trainer is usually compared on."})
public final class BenchCommand implements Callable<Integer> {
    /** The learning rate of the timed steps (small: random tokens, a sanity-check loss). */
    private static final float LR = 1e-4f;

    @Option(names = "--model", defaultValue = "gpt2-S", description = "Preset, or a model directory whose "
            + "architecture to use (its weights are not read). Default: ${DEFAULT-VALUE}.")
    String model;
    @Option(names = "--batch", defaultValue = "8", converter = OptionChecks.Positive.class,
            description = "Sequences per step. Default: ${DEFAULT-VALUE}.")
    int batch;
    @Option(names = "--seq", defaultValue = "64", converter = OptionChecks.Positive.class,
            description = "Tokens per sequence. Default: ${DEFAULT-VALUE}.")
    int seq;
    @Option(names = "--warmup", defaultValue = "10", converter = OptionChecks.NonNegative.class,
            description = "Untimed steps first, so that the JIT has compiled the kernels (raise it on a loaded "
                    + "machine). Default: ${DEFAULT-VALUE}.")
    int warmup;
    @Option(names = "--warmup-seconds", defaultValue = "5", converter = OptionChecks.NonNegativeReal.class,
            description = "Least time the untimed steps take: warm-up goes on past --warmup steps until this many "
                    + "seconds have passed (the JIT compiles the hot kernels in the first seconds, whatever a step "
                    + "costs). Default: ${DEFAULT-VALUE}.")
    double warmupSeconds;
    @Option(names = "--steps", defaultValue = "10", converter = OptionChecks.Positive.class,
            description = "Timed steps. Default: ${DEFAULT-VALUE}.")
    int steps;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the initialisation and the random tokens. "
            + "Default: ${DEFAULT-VALUE}.")
    long seed;
    @Option(names = "--lora", defaultValue = "0", description = "0: train every parameter; r > 0: a LoRA step "
            + "instead (rank r adapters on --lora-targets, the base frozen without gradients). Default: "
            + "${DEFAULT-VALUE}.")
    int loraRank;
    @Option(names = "--lora-targets", defaultValue = "gate_proj,up_proj,down_proj", split = ",",
            description = "Adapted projections of --lora. Default: ${DEFAULT-VALUE}.")
    java.util.List<String> loraTargets;
    @Mixin
    EngineOptions engineOptions;
    @Mixin
    BasePrecisionOption basePrecision;

    @Override
    public Integer call() {
        if (batch <= 0 || seq <= 0 || steps <= 0 || warmup < 0 || !(warmupSeconds >= 0)) {
            throw new UserError("--batch, --seq and --steps must be positive, --warmup and --warmup-seconds "
                    + "non-negative");
        }
        java.nio.file.Path dir = java.nio.file.Path.of(model);
        ModelConfig config = java.nio.file.Files.isDirectory(dir)
                ? org.likra.io.ModelDirectory.readConfig(dir).model() : Presets.load(model);
        if (loraRank < 0) {
            throw new UserError("--lora must be 0 (full training) or a positive rank, got " + loraRank);
        }
        if (seq > config.context()) {
            throw new UserError("--seq " + seq + " is longer than " + config.name() + "'s context of "
                    + config.context() + " tokens: shorten it or use a model with a longer context");
        }
        try (Engine engine = engineOptions.create()) {
            if (loraRank == 0 && basePrecision.format() != org.likra.engine.Precision.F32) {
                throw new UserError("--base-precision " + basePrecision.basePrecision + " holds a frozen base: it "
                        + "needs --lora R (a full training step trains the base in float32)");
            }
            TrainingStep step = trainingStep(config, engine);
            Random random = new Random(seed);
            int n = batch * seq;
            int[] tokens = new int[n];
            int[] targets = new int[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = random.nextInt(config.vocab());
                targets[i] = random.nextInt(config.vocab());
            }
            long stateBytes = engine.allocatedBytes(); // parameters, gradients, AdamW's moments
            double flops = loraRank > 0 ? FlopCount.loraStep(config, batch, seq)
                    : FlopCount.trainingStep(config, batch, seq);
            System.out.printf("bench: %s (%,d parameters%s), engine %s, batch %d x %d tokens, at least %d warm-up "
                            + "%s and %s s, then %d timed %s, %.3f GFLOP per step%n", config.name(),
                    step.model().layout().total(), loraRank > 0 ? ", frozen" + (step.model().parameterFormat()
                            .is16Bit() ? " in " + basePrecision.basePrecision : "") + "; LoRA rank " + loraRank + " on "
                            + String.join(",", loraTargets) : "", engine.name(), batch, seq, warmup,
                    warmup == 1 ? "step" : "steps",
                    java.math.BigDecimal.valueOf(warmupSeconds).stripTrailingZeros().toPlainString(), steps,
                    steps == 1 ? "step" : "steps", flops / 1e9);
            long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            int warmupSteps = 0;
            for (; warmupSteps < warmup || System.nanoTime() < warmupEnd; warmupSteps++) {
                step.run(warmupSteps + 1, LR, tokens, targets, null, batch, seq);
            }
            System.out.printf("warm-up  %d steps%n", warmupSteps);
            double[] ms = new double[steps];
            double loss = 0;
            Map<String, Long> countersBefore = engine.counters();
            for (int s = 0; s < steps; s++) {
                long t0 = System.nanoTime();
                loss = step.run(warmupSteps + s + 1, LR, tokens, targets, null, batch, seq);
                ms[s] = (System.nanoTime() - t0) / 1e6;
            }
            printResults(engine, ms, flops, loss, stateBytes, countersBefore);
        }
        return 0;
    }

    /** A model of {@code config} with random weights (and, with --lora, a fresh adapter) and its training step. */
    private TrainingStep trainingStep(ModelConfig config, Engine engine) {
        Transformer net = new Transformer(config, engine, basePrecision.format());
        Initializer.initialize(net, seed);
        if (loraRank == 0) {
            return new TrainingStep(net, AdamW.of(net, AdamWSettings.PRETRAINING));
        }
        org.likra.lora.LoraAdapter adapter = new org.likra.lora.LoraAdapter(net,
                new org.likra.lora.LoraConfig(loraRank, loraRank, loraTargets));
        adapter.initialize(seed);
        net.attach(adapter);
        return new TrainingStep(net, AdamW.of(adapter, AdamWSettings.ADAPTER));
    }

    /** The timed steps' figures, the engine's memory and the engine's counters per timed step. */
    private void printResults(Engine engine, double[] ms, double flops, double loss, long stateBytes,
                              Map<String, Long> countersBefore) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = steps % 2 == 1 ? sorted[steps / 2] : (sorted[steps / 2 - 1] + sorted[steps / 2]) / 2;
        System.out.printf("ms/step  median %.1f  (min %.1f, max %.1f)%n", median, sorted[0], sorted[steps - 1]);
        System.out.printf("tokens/s %.0f%n", batch * seq / (median / 1e3));
        System.out.printf("GFLOP/s  %.1f%n", flops / (median / 1e3) / 1e9);
        System.out.printf("loss     %.4f (last step; random tokens, for a sanity check)%n", loss);
        System.out.printf("engine   %s%n", engine.description());
        long totalBytes = engine.allocatedBytes();
        System.out.printf("memory   %,.1f MB of engine tensors: %,.1f MB %s, %,.1f MB activations and scratch%n",
                totalBytes / 1e6, stateBytes / 1e6, loraRank > 0 ? "parameters, the adapters and their AdamW "
                        + "moments (no base gradients)" : "parameters, gradients and AdamW moments",
                (totalBytes - stateBytes) / 1e6);
        long rss = org.likra.util.PeakMemory.residentBytes();
        System.out.printf("peak     %s resident (VmHWM), %,.1f MB JVM heap%n",
                rss < 0 ? "unknown" : String.format("%,.1f MB", rss / 1e6),
                org.likra.util.PeakMemory.heapBytes() / 1e6);
        Map<String, Long> countersAfter = engine.counters();
        for (Map.Entry<String, Long> counter : countersAfter.entrySet()) {
            long before = countersBefore.getOrDefault(counter.getKey(), 0L);
            System.out.printf("engine   %s %,.0f per timed step (total %,d)%n", counter.getKey(),
                    (counter.getValue() - before) / (double) steps, counter.getValue());
        }
    }
}
