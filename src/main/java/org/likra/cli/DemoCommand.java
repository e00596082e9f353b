package org.likra.cli;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.data.synthetic.SyntheticBenchmark;
import org.likra.data.synthetic.SyntheticSpec;
import org.likra.engine.Engine;
import org.likra.experiment.CurvePoint;
import org.likra.experiment.CurveSettings;
import org.likra.experiment.LearningCurve;
import org.likra.experiment.NegativeStrategy;
import org.likra.experiment.PromptFormat;
import org.likra.io.ModelDirectory;
import org.likra.lora.LoraConfig;
import org.likra.train.PretrainOptions;
import org.likra.train.Pretrainer;
import org.likra.train.RunCheckpoint;
import org.likra.train.TrainerState;
import org.likra.util.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The whole Likra experiment on the synthetic knowledge benchmark, end to end: generate the "
                + "benchmark, pretrain a small base model on its corpus (or reuse the cached one), train the positive, "
                + "negative and DPO heads, and print and plot accuracy against the number of training examples for "
                + "every scorer.",
                "Everything goes into --out (default runs/demo); a second run reuses the benchmark and the base model."})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", description = "Output directory. Default: ${DEFAULT-VALUE}.")
    Path out;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of everything. Default: ${DEFAULT-VALUE}.")
    long seed;
    @Option(names = "--model", defaultValue = "likra-demo", description = "Base model preset. Default: "
            + "${DEFAULT-VALUE}.")
    String preset;
    @Option(names = "--pretrain-steps", defaultValue = "1500", description = "Base model training steps. Default: "
            + "${DEFAULT-VALUE}.")
    int pretrainSteps;
    @Option(names = "--lr", defaultValue = "1e-2", description = "Heads' learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;
    @Option(names = "--negatives", defaultValue = "first", description = "Negative strategy. Default: "
            + "${DEFAULT-VALUE}.")
    String negatives;
    @Option(names = "--no-dpo", description = "Skip the DPO baseline.")
    boolean noDpo;
    @Option(names = "--max-train", defaultValue = "0", description = "Use at most this many training questions "
            + "(0: all; for quick runs).")
    int maxTrain;
    @Option(names = "--max-test", defaultValue = "0", description = "Use at most this many test questions (0: all; "
            + "for quick runs).")
    int maxTest;
    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        Files.createDirectories(out);
        Path benchDir = out.resolve("benchmark");
        SyntheticSpec spec = SyntheticSpec.defaults().withSeed(seed);
        SyntheticBenchmark bench = SyntheticBenchmark.generate(spec);
        if (!Files.isRegularFile(benchDir.resolve("corpus.txt"))
                || !Files.readString(benchDir.resolve("corpus.txt")).equals(bench.corpus())) {
            bench.write(benchDir);
        }
        System.out.printf("[1/3] synthetic benchmark in %s: %,d-byte corpus, %d training and %d test questions%n",
                benchDir, bench.corpus().length(), bench.train().size(), bench.test().size());

        Path baseRun = out.resolve("base-" + preset + "-seed" + seed);
        try (Engine engine = engineOptions.create()) {
            PretrainOptions options = new PretrainOptions(preset, benchDir.resolve("corpus.txt").toString(),
                    pretrainSteps, 16, 64, 3e-3, "cosine", 50, 0.1, 0.1, 0.9, 0.95, 1e-8, 1.0, seed, 250, 8, 250,
                    0.05);
            Path checkpoint = RunCheckpoint.find(baseRun);
            TrainerState state = checkpoint == null ? null : RunCheckpoint.readState(checkpoint);
            if (state != null && state.step() >= pretrainSteps) {
                System.out.printf("[2/3] reusing the base model in %s (%d steps)%n", checkpoint, state.step());
            } else {
                System.out.printf("[2/3] pretraining the base model (%s, %d steps) into %s%n", preset, pretrainSteps,
                        baseRun);
                new Pretrainer(engine, System.out, System.console() != null).run(options, baseRun, state != null);
            }
            ModelDirectory.Loaded base = ModelDirectory.load(baseRun, engine);

            System.out.println("[3/3] learning curves: positive, negative" + (noDpo ? "" : " and DPO")
                    + " heads (LoRA r=8, alpha=8, MLP), one pass, batch 32");
            CurveSettings settings = new CurveSettings(maxTrain, NegativeStrategy.parse(negatives), 1, 0,
                    LoraConfig.defaults(), lr, 32, !noDpo, 0.1, lr, 1, 1, seed);
            List<MultipleChoiceQuestion> train = bench.train();
            List<MultipleChoiceQuestion> test = maxTest > 0 && bench.test().size() > maxTest
                    ? org.likra.data.QuestionSets.take(org.likra.data.QuestionSets.shuffle(bench.test(), seed), maxTest)
                    : bench.test();
            List<CurvePoint> points = new LearningCurve(base.model(), base.tokenizer(), PromptFormat.PAPER, settings,
                    Progress.console(System.out)).run(train, test);
            Path curveDir = out.resolve("curve");
            CurveCommand.write(points, settings, base.directory().toString(), curveDir, false);
            System.out.printf("demo finished in %.1f minutes; results in %s (curve.png, curve.csv, curve.json), the "
                    + "base model in %s%n", (System.nanoTime() - start) / 60e9, curveDir, base.directory());
        }
        return 0;
    }

}
