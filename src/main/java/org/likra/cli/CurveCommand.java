package org.likra.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.data.MultipleChoiceQuestion;
import org.likra.data.QuestionSets;
import org.likra.engine.Engine;
import org.likra.experiment.CurvePoint;
import org.likra.experiment.CurveReport;
import org.likra.experiment.CurveSettings;
import org.likra.experiment.LearningCurve;
import org.likra.io.ModelDirectory;
import org.likra.util.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "curve", mixinStandardHelpOptions = true,
        description = {"Learning curves: train the positive and negative LoRA heads (and optionally DPO) on a frozen "
                + "base model in one pass, and evaluate every scorer on the test questions at N = 32, 64, ... "
                + "training questions.",
                "Writes curve.csv, curve.json and curve.png (accuracy against N, log scale) into --out."})
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
    @Option(names = "--max-train", defaultValue = "0", description = "Use at most this many training questions "
            + "(0: all).")
    int maxTrain;
    @Option(names = "--max-test", defaultValue = "0", description = "Use at most this many test questions (0: all).")
    int maxTest;
    @Option(names = "--dpo", description = "Also train and evaluate a DPO baseline.")
    boolean dpo;
    @Option(names = "--metric", defaultValue = "acc", description = "What the plot shows: acc or acc_norm.")
    String metric;
    @Option(names = "--w-pos", defaultValue = "1", description = "w+ of the likra scorer. Default: ${DEFAULT-VALUE}.")
    double positiveWeight;
    @Option(names = "--w-neg", defaultValue = "1", description = "w- of the likra scorer. Default: ${DEFAULT-VALUE}.")
    double negativeWeight;
    @Mixin
    HeadOptions head;
    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        if (!metric.equals("acc") && !metric.equals("acc_norm")) {
            throw new org.likra.util.UserError("--metric must be acc or acc_norm, got " + metric);
        }
        List<MultipleChoiceQuestion> trainSet = QuestionSets.load(train);
        List<MultipleChoiceQuestion> testSet = QuestionSets.load(test);
        if (maxTest > 0 && testSet.size() > maxTest) {
            testSet = QuestionSets.take(QuestionSets.shuffle(testSet, head.seed), maxTest);
        }
        CurveSettings settings = new CurveSettings(maxTrain, head.negativeStrategy(), head.negativesPerQuestion,
                head.contamination, head.lora(), head.lr, head.batch, dpo, head.dpoBeta, head.dpoLearningRate(),
                positiveWeight, negativeWeight, head.seed);
        try (Engine engine = engineOptions.create()) {
            ModelDirectory.Loaded base = ModelDirectory.load(model, engine);
            System.out.printf("likra curve: base %s, %d training and %d test questions, negatives %s, LoRA r=%d "
                            + "alpha=%s on %s, lr %.1e, batch %d%n", base.directory(), trainSet.size(), testSet.size(),
                    settings.negatives().label(), settings.lora().rank(), settings.lora().alpha(),
                    settings.lora().targets(), settings.lr(), settings.batch());
            List<CurvePoint> points = new LearningCurve(base.model(), base.tokenizer(), head.format(), settings,
                    Progress.console(System.out)).run(trainSet, testSet);
            write(points, settings, base.directory().toString(), out, metric.equals("acc_norm"));
        }
        return 0;
    }

    static void write(List<CurvePoint> points, CurveSettings s, String baseModel, Path out, boolean normalized)
            throws java.io.IOException {
        Files.createDirectories(out);
        ObjectNode json = new ObjectMapper().valueToTree(s);
        json.put("base_model", baseModel);
        CurveReport.csv(points, out.resolve("curve.csv"));
        CurveReport.json(points, json, out.resolve("curve.json"));
        CurveReport.plot(points, "Accuracy against training examples (" + s.negatives().label() + " negatives)",
                normalized, out.resolve("curve.png"));
        CurveReport.table(points, System.out);
        System.out.println("wrote " + out.resolve("curve.csv") + ", curve.json and curve.png");
    }
}
