package org.likra.cli;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.data.QuestionSets;
import org.likra.engine.Engine;
import org.likra.experiment.AnswerLikelihood;
import org.likra.experiment.ChoiceScores;
import org.likra.experiment.Evaluation;
import org.likra.experiment.PromptFormat;
import org.likra.experiment.Scorer;
import org.likra.io.ModelDirectory;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraFiles;
import org.likra.util.Progress;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Score multiple-choice questions with a base model and optional heads: acc and acc_norm with "
                + "95%% Wilson intervals, for one scorer or all.")
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Base model directory.")
    Path model;
    @Option(names = "--heads", description = "Directory with positive/ and negative/ adapters (from `train`).")
    Path heads;
    @Option(names = "--positive", description = "Positive head directory (overrides --heads).")
    Path positive;
    @Option(names = "--negative", description = "Negative head directory (overrides --heads).")
    Path negative;
    @Option(names = "--data", required = true, description = "Questions to score.")
    Path data;
    @Option(names = "--scorer", defaultValue = "all", converter = OptionChecks.ScorerOrAll.class,
            description = "base, sft, likra, base-neg, pos-base or all. Default: ${DEFAULT-VALUE}.")
    String scorer;
    @Option(names = "--w-pos", defaultValue = "1", converter = OptionChecks.NonNegativeReal.class,
            description = "w+ of likra (w+ log p+ - w- log p-). Default: ${DEFAULT-VALUE}.")
    double positiveWeight;
    @Option(names = "--w-neg", defaultValue = "1", converter = OptionChecks.NonNegativeReal.class,
            description = "w- of likra. Default: ${DEFAULT-VALUE}.")
    double negativeWeight;
    @Mixin
    PromptOptions prompt;
    @Mixin
    EngineOptions engineOptions;
    @Mixin
    BasePrecisionOption basePrecision;

    @Override
    public Integer call() {
        PromptFormat format = prompt.format();
        List<Scorer> scorers = scorer.equals("all") ? List.of(Scorer.values()) : List.of(Scorer.parse(scorer));
        Path posDir = positive != null ? positive : heads == null ? null : heads.resolve("positive");
        Path negDir = negative != null ? negative : heads == null ? null : heads.resolve("negative");
        boolean needPos = scorers.stream().anyMatch(Scorer::needsPositive);
        boolean needNeg = scorers.stream().anyMatch(Scorer::needsNegative);
        if (needPos && (posDir == null || !Files.isDirectory(posDir))) {
            throw new UserError("scorer " + scorer + " needs a positive head: give --heads DIR (with positive/) or "
                    + "--positive DIR" + (posDir == null ? "" : "; " + posDir + " does not exist"));
        }
        if (needNeg && (negDir == null || !Files.isDirectory(negDir))) {
            throw new UserError("scorer " + scorer + " needs a negative head: give --heads DIR (with negative/) or "
                    + "--negative DIR" + (negDir == null ? "" : "; " + negDir + " does not exist"));
        }
        List<MultipleChoiceQuestion> questions = QuestionSets.load(data);
        try (Engine engine = engineOptions.create()) {
            ModelDirectory.Loaded base = ModelDirectory.load(model, engine, basePrecision.format());
            LoraAdapter pos = needPos ? LoraFiles.load(posDir, base.model()) : null;
            LoraAdapter neg = needNeg ? LoraFiles.load(negDir, base.model()) : null;
            AnswerLikelihood likelihood = new AnswerLikelihood(base.model(), base.tokenizer(), format);
            // Each question once per model state: the base model, then each head.
            Progress progress = Progress.console(System.err);
            progress.stage("scoring", (long) questions.size() * (1 + (pos == null ? 0 : 1) + (neg == null ? 0 : 1)),
                    "questions");
            progress.message("base model");
            List<double[]> b = AnswerLikelihood.requireFinite(questions,
                    likelihood.choices(questions, null, 32, progress::step), "the base model");
            progress.message("positive head");
            List<double[]> p = pos == null ? null : AnswerLikelihood.requireFinite(questions,
                    likelihood.choices(questions, pos, 32, progress::step), "the positive head");
            progress.message("negative head");
            List<double[]> n = neg == null ? null : AnswerLikelihood.requireFinite(questions,
                    likelihood.choices(questions, neg, 32, progress::step), "the negative head");
            progress.done();
            List<ChoiceScores> scored = new ArrayList<>();
            for (int i = 0; i < questions.size(); i++) {
                scored.add(new ChoiceScores(questions.get(i), b.get(i), p == null ? null : p.get(i),
                        n == null ? null : n.get(i)));
            }
            // questions with several true choices (TruthfulQA) also get MC2, the true choices' probability mass
            boolean mc2 = questions.stream().anyMatch(MultipleChoiceQuestion::hasSeveralCorrect);
            System.out.printf("%d questions from %s%n", questions.size(), data);
            String repeated = QuestionSets.repeatedChoicesNote(questions);
            if (repeated != null) {
                System.out.println(repeated);
            }
            System.out.printf("%-9s %-32s %-32s%s%n", "scorer", mc2 ? "acc (MC1) [95% CI]" : "acc [95% CI]",
                    "acc_norm [95% CI]", mc2 ? " MC2 [95% CI]" : "");
            for (Scorer s : scorers) {
                Evaluation e = Evaluation.of(s, scored, positiveWeight, negativeWeight);
                System.out.printf("%-9s %-32s %-32s%s%n", s.label(), e.acc(), e.accNorm(), mc2 ? " " + e.mc2() : "");
            }
        }
        return 0;
    }
}
