import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.cpu.CpuEngine;
import org.likra.model.FlopCount;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.train.AdamW;
import org.likra.train.TrainingStep;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A training step of the cpu engine against llm.c's {@code train_gpt2.c}, measured in one process: slices of likra
 * steps and of llm.c steps alternate (their order swapped every round), so that both see the same state of a shared
 * machine, whose speed moves by tens of percent over seconds. Each slice is one untimed step (the other side's
 * threads stop spinning meanwhile), then timed steps for at least the slice time; a slice's figure is the median of
 * its steps, a round's ratio is llm.c's ms/step over likra's (= likra's tokens/s over llm.c's: both run the same
 * batch of the same random tokens), and the figure that matters is the median of the rounds' ratios.
 *
 * <p>A single-file program for JDK 22+ (java.lang.foreign), run by {@code bench/peers/paired_step.sh}, which builds
 * llm.c's step into a shared library ({@code bench/peers/llmc_step.c}) and sets {@code OMP_NUM_THREADS}. Usage:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp target/likra.jar:target/lib/*
 * bench/peers/PairedStep.java <libllmc_step.so> <llm.c checkpoint> <preset> <batch> <seq> <threads> <rounds>
 * <slice s>}.
 * The checkpoint must have the preset's configuration (see docs/performance.md, "Comparing with llm.c").
 */
public final class PairedStep {
    private static final int WARMUP_STEPS = 30;
    private static final long WARMUP_NS = 5_000_000_000L;

    public static void main(String[] args) throws Throwable {
        if (args.length != 8) {
            System.err.println("usage: PairedStep <libllmc_step.so> <llm.c checkpoint> <preset> <batch> <seq> "
                    + "<threads> <rounds> <slice seconds>");
            System.exit(2);
        }
        Path library = Path.of(args[0]);
        String checkpoint = args[1];
        ModelConfig config = Presets.load(args[2]);
        int batch = Integer.parseInt(args[3]), seq = Integer.parseInt(args[4]);
        int threads = Integer.parseInt(args[5]), rounds = Integer.parseInt(args[6]);
        long sliceNs = (long) (Double.parseDouble(args[7]) * 1e9);
        int n = batch * seq;

        Linker linker = Linker.nativeLinker();
        try (Arena arena = Arena.ofConfined(); CpuEngine engine = new CpuEngine(threads)) {
            // Loaded for the life of the process: unloading it when the arena closes would pull the code from under
            // llm.c's OpenMP threads, which live on (the JVM crashed at exit so).
            SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
            MethodHandle load = linker.downcallHandle(lib.find("llmc_load").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            MethodHandle llmcStep = linker.downcallHandle(lib.find("llmc_step").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            int vocab = (int) load.invokeExact(arena.allocateFrom(checkpoint));
            if (vocab != config.vocab()) {
                throw new IllegalArgumentException(checkpoint + " has a vocabulary of " + vocab + ", preset "
                        + config.name() + " has " + config.vocab() + ": write the checkpoint for this preset");
            }

            Random random = new Random(1);
            int[] tokens = new int[n], targets = new int[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = random.nextInt(config.vocab());
                targets[i] = random.nextInt(config.vocab());
            }
            MemorySegment nativeTokens = arena.allocateFrom(ValueLayout.JAVA_INT, tokens);
            MemorySegment nativeTargets = arena.allocateFrom(ValueLayout.JAVA_INT, targets);

            Transformer net = new Transformer(config, engine);
            Initializer.initialize(net, 1);
            TrainingStep step = new TrainingStep(net, AdamW.of(net, AdamWSettings.PRETRAINING));
            int[] likraSteps = {0};
            Runnable likra = () -> step.run(++likraSteps[0], 1e-4f, tokens, targets, null, batch, seq);
            Runnable llmc = llmcSteps(llmcStep, nativeTokens, nativeTargets, batch, seq, checkpoint);

            System.out.printf("paired step: %s, batch %d x %d, %d threads each, %d rounds of %.1f-s slices, "
                    + "%.3f GFLOP per step%n", config.name(), batch, seq, threads, rounds, sliceNs / 1e9,
                    FlopCount.trainingStep(config, batch, seq) / 1e9);
            long warmupEnd = System.nanoTime() + WARMUP_NS;
            for (int s = 0; s < WARMUP_STEPS || System.nanoTime() < warmupEnd; s++) {
                likra.run();
            }
            llmc.run();
            llmc.run();

            pairedRounds(likra, llmc, config.name(), rounds, sliceNs);
        }
    }

    /** llm.c's training steps (numbered from 1), each refused when its loss is not finite. */
    private static Runnable llmcSteps(MethodHandle llmcStep, MemorySegment tokens, MemorySegment targets, int batch,
                                      int seq, String checkpoint) {
        int[] steps = {0};
        return () -> {
            float loss;
            try {
                loss = (float) llmcStep.invokeExact(tokens, targets, batch, seq, ++steps[0]);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (!Float.isFinite(loss)) {
                throw new IllegalStateException("llm.c's loss is " + loss + " at its step " + steps[0]
                        + ": its timing would not be a training step's; check " + checkpoint);
            }
        };
    }

    /**
     * {@code rounds} rounds of one slice each of likra and llm.c (likra first in even rounds); prints each round's
     * ratio of llm.c's ms/step to likra's, then their median and the medians of all steps.
     */
    private static void pairedRounds(Runnable likra, Runnable llmc, String model, int rounds, long sliceNs) {
        List<Double> ratios = new ArrayList<>();
        List<Double> allLikra = new ArrayList<>(), allLlmc = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            double likraMs, llmcMs;
            if (round % 2 == 0) {
                likraMs = slice(likra, sliceNs, allLikra);
                llmcMs = slice(llmc, sliceNs, allLlmc);
            } else {
                llmcMs = slice(llmc, sliceNs, allLlmc);
                likraMs = slice(likra, sliceNs, allLikra);
            }
            ratios.add(llmcMs / likraMs);
            System.out.printf("round %d: likra %.1f ms/step, llm.c %.1f ms/step, ratio %.2f%n", round + 1,
                    likraMs, llmcMs, llmcMs / likraMs);
        }
        double[] r = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf("%s: likra's tokens/s / llm.c's, median of %d rounds: %.2fx (%.2f-%.2f); all steps: "
                        + "likra median %.1f ms (%d steps), llm.c median %.1f ms (%d steps)%n", model,
                r.length, median(r), r[0], r[r.length - 1], median(sorted(allLikra)), allLikra.size(),
                median(sorted(allLlmc)), allLlmc.size());
    }

    /** One untimed step, then timed steps for at least sliceNs; returns their median in ms and adds them to all. */
    private static double slice(Runnable step, long sliceNs, List<Double> all) {
        step.run();
        List<Double> ms = new ArrayList<>();
        long end = System.nanoTime() + sliceNs;
        do {
            long t0 = System.nanoTime();
            step.run();
            ms.add((System.nanoTime() - t0) / 1e6);
        } while (System.nanoTime() < end);
        all.addAll(ms);
        return median(sorted(ms));
    }

    private static double[] sorted(List<Double> values) {
        double[] a = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a;
    }

    /** The median (the mean of the two middle values for an even count). */
    private static double median(double[] sorted) {
        int k = sorted.length;
        return k % 2 == 1 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
    }
}
