package org.likra.cli;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.data.QuestionSets;
import org.likra.engine.Engine;
import org.likra.experiment.AnswerLikelihood;
import org.likra.experiment.DpoTrainer;
import org.likra.experiment.Example;
import org.likra.experiment.HeadTrainer;
import org.likra.experiment.NegativeStrategy;
import org.likra.experiment.PromptFormat;
import org.likra.experiment.TrainingSets;
import org.likra.io.ModelDirectory;
import org.likra.io.StagedFolder;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraFiles;
import org.likra.util.Progress;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train LoRA heads on a frozen base model in one pass over multiple-choice questions: the "
                + "positive head on (question, correct answer), the negative head on (question, incorrect answer), "
                + "or a DPO head on (correct, incorrect) pairs.",
                "Adapters are written in PEFT's format into --out/positive, --out/negative or --out/dpo."})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Base model directory.")
    Path model;
    @Option(names = "--data", required = true, description = "Training questions (ARC JSONL, MMLU CSV or dir, our "
            + "JSONL).")
    Path data;
    @Option(names = "--head", defaultValue = "both", description = "positive, negative, both or dpo. Default: "
            + "${DEFAULT-VALUE}.")
    String head;
    @Option(names = "--out", required = true, description = "Directory for the adapters.")
    Path out;
    @Option(names = "--overwrite", description = "Replace the positive and negative heads (or, with --head dpo, the "
            + "DPO head) that --out already holds; without it such an --out is refused. The heads go into a "
            + "temporary folder beside --out, renamed into place once all are trained, so --out never holds a "
            + "positive and a negative head of two trainings; its other contents are kept.")
    boolean overwrite;
    @Option(names = "--max-train", defaultValue = "0", description = "Use at most this many questions (0: all).")
    int maxTrain;
    @Mixin
    HeadOptions options;
    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        if (!List.of("positive", "negative", "both", "dpo").contains(head)) {
            throw new UserError("--head must be positive, negative, both or dpo, got " + head);
        }
        List<MultipleChoiceQuestion> questions = QuestionSets.shuffle(QuestionSets.load(data), options.seed);
        if (maxTrain > 0 && questions.size() > maxTrain) {
            questions = questions.subList(0, maxTrain);
        }
        PromptFormat format = options.format();
        Set<String> group = head.equals("dpo") ? Set.of("dpo") : Set.of("positive", "negative");
        try (StagedFolder staged = StagedFolder.create(out, group, overwrite, "--out");
             Engine engine = engineOptions.create()) {
            heads = staged.path();
            ModelDirectory.Loaded base = ModelDirectory.load(model, engine);
            NegativeStrategy strategy = options.negativeStrategy();
            AnswerLikelihood likelihood = new AnswerLikelihood(base.model(), base.tokenizer(), format);
            Progress progress = Progress.console(System.out);
            if (TrainingSets.needsBaseScores(strategy)) {
                progress.stage("base model scores", questions.size(), "questions");
            }
            List<double[]> scores = TrainingSets.needsBaseScores(strategy)
                    ? likelihood.choices(questions, null, 32, progress::step)
                    : java.util.Collections.nCopies(questions.size(), null);
            TrainingSets sets = TrainingSets.build(questions, scores, format, strategy, options.negativesPerQuestion,
                    options.contamination, options.seed);
            List<List<Example>> positives = sets.positives();
            List<List<Example>> negatives = sets.negatives();
            List<List<DpoTrainer.Pair>> pairs = sets.pairs();
            HeadTrainer.Settings settings = new HeadTrainer.Settings(options.lora(), options.lr, options.batch,
                    options.seed);
            int[] none = new int[0];
            if (head.equals("positive") || head.equals("both")) {
                save(new HeadTrainer(base.model(), base.tokenizer(), settings).showing(progress, "positive head")
                        .train(positives, none, (n, v) -> { }), "positive", base, progress);
            }
            if (head.equals("negative") || head.equals("both")) {
                save(new HeadTrainer(base.model(), base.tokenizer(), settings).showing(progress, "negative head")
                        .train(negatives, none, (n, v) -> { }), "negative", base, progress);
            }
            if (head.equals("dpo")) {
                HeadTrainer.Settings dpo = new HeadTrainer.Settings(options.lora(), options.dpoLearningRate(),
                        options.batch, options.seed);
                save(new DpoTrainer(base.model(), base.tokenizer(), dpo, options.dpoBeta)
                        .showing(progress, "DPO head").train(pairs, none, (n, v) -> { }), "dpo", base, progress);
            }
            staged.commit();
            System.out.printf("trained on %d questions (%s negatives); wrote the heads to %s%n", questions.size(),
                    strategy.label(), out);
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
