package org.likra.cli;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.data.QuestionSets;
import org.likra.engine.Engine;
import org.likra.experiment.AnswerLikelihood;
import org.likra.experiment.DpoTrainer;
import org.likra.experiment.Example;
import org.likra.experiment.HeadRecipe;
import org.likra.experiment.HeadTrainer;
import org.likra.experiment.LossProgress;
import org.likra.experiment.NegativeSelection;
import org.likra.experiment.PromptFormat;
import org.likra.experiment.TrainingSets;
import org.likra.io.ModelDirectory;
import org.likra.io.StagedFolder;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraFiles;
import org.likra.util.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train LoRA heads on a frozen base model: the positive head on (question, correct answer), "
                + "the negative head on (question, incorrect answer), or a DPO head on (correct, incorrect) pairs, "
                + "each by the heads' recipe (by default the demo study's: lr 1e-2 decaying linearly, 2 epochs, "
                + "batch 16, gradient norm clipped to 1, LoRA rank 8 on the MLP projections).",
                "Adapters are written in PEFT's format into --out/positive, --out/negative or --out/dpo; `likra eval "
                        + "--heads OUT` scores with the first two, `likra eval --positive OUT/dpo --scorer sft` with "
                        + "the DPO head. The heads equal `likra curve`'s at its largest N with the same options."})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Base model directory.")
    Path model;
    @Option(names = "--data", required = true, description = "Training questions (ARC JSONL, MMLU CSV or dir, our "
            + "JSONL).")
    Path data;
    @Option(names = "--head", defaultValue = "both", converter = OptionChecks.Head.class,
            description = "positive, negative, both or dpo. Default: ${DEFAULT-VALUE}.")
    String head;
    @Option(names = "--out", required = true, description = "Directory for the adapters.")
    Path out;
    @Option(names = "--overwrite", description = "Replace the positive and negative heads (or, with --head dpo, the "
            + "DPO head) that --out already holds; without it such an --out is refused. The heads go into a "
            + "temporary folder beside --out, renamed into place once all are trained, so --out never holds a "
            + "positive and a negative head of two trainings; its other contents are kept.")
    boolean overwrite;
    @Option(names = "--max-train", defaultValue = "0", converter = OptionChecks.NonNegative.class,
            description = "Use at most this many questions (0: all). Default: ${DEFAULT-VALUE}.")
    int maxTrain;
    @Mixin
    HeadOptions options;
    @Mixin
    EngineOptions engineOptions;
    @Mixin
    BasePrecisionOption basePrecision;

    @Override
    public Integer call() throws Exception {
        HeadRecipe recipe = options.recipe();
        HeadRecipe dpoRecipe = options.dpoRecipe();
        PromptFormat format = options.format();
        List<MultipleChoiceQuestion> questions = TrainingSets.order(QuestionSets.load(data), maxTrain, options.seed);
        Set<String> group = head.equals("dpo") ? Set.of("dpo") : Set.of("positive", "negative");
        try (StagedFolder staged = StagedFolder.create(out, group, overwrite, "--out");
             Engine engine = engineOptions.create()) {
            heads = staged.path();
            ModelDirectory.Loaded base = ModelDirectory.load(model, engine, basePrecision.format());
            LoraAdapter.checkFits(base.model(), recipe.lora());
            NegativeSelection selection = options.negativeSelection();
            AnswerLikelihood likelihood = new AnswerLikelihood(base.model(), base.tokenizer(), format);
            List<double[]> scores = TrainingSets.needsBaseScores(selection.strategy())
                    ? likelihood.choices(questions, null, 32, () -> { })
                    : java.util.Collections.nCopies(questions.size(), null);
            TrainingSets sets = TrainingSets.build(questions, scores, format, selection, options.seed);
            int n = questions.size();
            HeadTrainer trainer = new HeadTrainer(base.model(), base.tokenizer());
            // Plain lines on stdout when not on a terminal, so a log shows the training too.
            Progress progress = Progress.onTerminal() ? Progress.console(System.err) : new Progress(System.out, false);
            if (head.equals("positive") || head.equals("both")) {
                List<Example> positives = TrainingSets.firstQuestions(sets.positives(), n);
                save(trainer.languageModel(positives, recipe, TrainingSets.headSeed(options.seed, "positive"),
                        new LossProgress(progress, "positive head", recipe.updates(positives.size()))),
                        "positive", base, progress);
            }
            if (head.equals("negative") || head.equals("both")) {
                List<Example> negatives = TrainingSets.firstQuestions(sets.negatives(), n);
                save(trainer.languageModel(negatives, recipe, TrainingSets.headSeed(options.seed, "negative"),
                        new LossProgress(progress, "negative head", recipe.updates(negatives.size()))),
                        "negative", base, progress);
            }
            if (head.equals("dpo")) {
                List<DpoTrainer.Pair> pairs = TrainingSets.firstQuestions(sets.pairs(), n);
                save(trainer.dpo(pairs, dpoRecipe, TrainingSets.headSeed(options.seed, "dpo"),
                        new LossProgress(progress, "DPO head", dpoRecipe.updates(pairs.size()))), "dpo", base,
                        progress);
            }
            staged.commit();
            System.out.printf("trained on %d questions (%s negatives), lr %s %s, %d epochs, batch %d; wrote the heads "
                    + "to %s%n", n, selection.strategy().label(), recipe.lr(), recipe.schedule(), recipe.epochs(), recipe.batch(),
                    out);
        }
        return 0;
    }

    /** The folder the heads are saved into before they replace --out (see {@link StagedFolder}). */
    private Path heads;

    private void save(LoraAdapter adapter, String name, ModelDirectory.Loaded base, Progress progress)
            throws java.io.IOException {
        progress.done();
        LoraFiles.save(heads.resolve(name), adapter, base.directory().toAbsolutePath().toString());
        System.out.println("trained the " + name + " head (" + out.resolve(name) + ")");
    }
}
