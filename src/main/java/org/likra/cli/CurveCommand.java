package org.likra.cli;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.data.QuestionSets;
import org.likra.engine.Engine;
import org.likra.experiment.CurvePoint;
import org.likra.experiment.CurveReport;
import org.likra.experiment.CurveSettings;
import org.likra.experiment.HeadRecipe;
import org.likra.experiment.LearningCurve;
import org.likra.experiment.PromptFormat;
import org.likra.io.ModelDirectory;
import org.likra.lora.LoraAdapter;
import org.likra.util.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "curve", mixinStandardHelpOptions = true,
        description = {"Learning curves: train the positive and negative LoRA heads and a DPO baseline on a frozen "
                + "base model by the heads' recipe (by default the demo study's), each from scratch on the first "
                + "N = 32, 64, ... training questions, and evaluate every scorer on the test questions at each N.",
                "Writes curve.csv, curve.json and curve.png (accuracy against N with 95%% intervals) into --out."})
public final class CurveCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Base model directory.")
    Path model;
    @Option(names = "--train", required = true, description = "Training questions (ARC JSONL, MMLU CSV or dir, "
            + "our JSONL).")
    Path train;
    @Option(names = "--test", required = true, description = "Test questions.")
    Path test;
    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;
    @Option(names = "--max-train", defaultValue = "0", converter = OptionChecks.NonNegative.class,
            description = "Use at most this many training questions (0: all). Default: ${DEFAULT-VALUE}.")
    int maxTrain;
    @Option(names = "--max-test", defaultValue = "0", converter = OptionChecks.NonNegative.class,
            description = "Use at most this many test questions, drawn by --seed (0: all). Default: ${DEFAULT-VALUE}.")
    int maxTest;
    @Option(names = "--dpo", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also train and evaluate a DPO baseline (--no-dpo: not). Default: ${DEFAULT-VALUE}.")
    boolean dpo;
    @Option(names = "--metric", defaultValue = "acc_norm", converter = OptionChecks.Metric.class,
            description = "What the plot shows: acc, or acc_norm (log-likelihood divided by the answer's length in "
                    + "characters). Default: ${DEFAULT-VALUE}.")
    String metric;
    @Option(names = "--w-pos", defaultValue = "1", converter = OptionChecks.NonNegativeReal.class,
            description = "w+ of the likra scorer (w+ log p+ - w- log p-). Default: ${DEFAULT-VALUE}.")
    double positiveWeight;
    @Option(names = "--w-neg", defaultValue = "1", converter = OptionChecks.NonNegativeReal.class,
            description = "w- of the likra scorer. Default: ${DEFAULT-VALUE}.")
    double negativeWeight;
    @Mixin
    HeadOptions head;
    @Mixin
    EngineOptions engineOptions;
    @Mixin
    BasePrecisionOption basePrecision;

    @Override
    public Integer call() throws Exception {
        CurveSettings settings = CurveSettings.DEFAULTS.withMaxTrain(maxTrain).withNegatives(head.negativeSelection())
                .withHeads(head.recipe()).withDpo(dpo ? head.dpoRecipe() : null)
                .withWeights(positiveWeight, negativeWeight).withSeed(head.seed);
        PromptFormat format = head.format();
        List<MultipleChoiceQuestion> trainSet = QuestionSets.load(train);
        List<MultipleChoiceQuestion> testSet = QuestionSets.load(test);
        if (maxTest > 0 && testSet.size() > maxTest) {
            testSet = QuestionSets.take(QuestionSets.shuffle(testSet, head.seed), maxTest);
        }
        try (Engine engine = engineOptions.create()) {
            ModelDirectory.Loaded base = ModelDirectory.load(model, engine, basePrecision.format());
            LoraAdapter.checkFits(base.model(), settings.heads().lora());
            HeadRecipe r = settings.heads();
            System.out.printf("likra curve: base %s, %d of %d training and %d test questions, negatives %s, LoRA r=%d "
                            + "alpha=%s on %s, lr %s (%s), %d epochs, batch %d%s%n", base.directory(),
                    settings.trainingQuestions(trainSet.size()), trainSet.size(), testSet.size(),
                    settings.negatives().strategy().label(), r.lora().rank(), r.lora().alpha(), r.lora().targets(), r.lr(),
                    r.schedule(), r.epochs(), r.batch(), dpo ? ", with DPO (lr " + settings.dpo().lr() + ")" : "");
            List<CurvePoint> points = new LearningCurve(base.model(), base.tokenizer(), format, settings,
                    Progress.console(System.out)).run(trainSet, testSet);
            double chance = testSet.stream().mapToDouble(q -> 1.0 / q.choiceCount()).average().orElse(Double.NaN);
            CurveReport.write(points, settings, base.directory().toString(), out, metric.equals("acc_norm"), chance,
                    System.out);
        }
        return 0;
    }
}
