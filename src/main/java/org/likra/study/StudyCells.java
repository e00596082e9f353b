package org.likra.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.data.MultipleChoiceQuestion;
import org.likra.data.QuestionSets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.experiment.AnswerLikelihood;
import org.likra.experiment.ChoiceScores;
import org.likra.experiment.Evaluation;
import org.likra.experiment.Example;
import org.likra.experiment.HeadCurve;
import org.likra.experiment.HeadRecipe;
import org.likra.experiment.PromptFormat;
import org.likra.experiment.Scorer;
import org.likra.experiment.TrainingSets;
import org.likra.io.ModelDirectory;
import org.likra.lora.LoraFiles;
import org.likra.train.BestModel;
import org.likra.train.MetricsLog;
import org.likra.train.PretrainOptions;
import org.likra.train.Pretrainer;
import org.likra.train.RunCheckpoint;
import org.likra.train.TrainerState;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The work of each kind of study cell, on one engine. Every cell reads what earlier cells wrote (the base model's
 * checkpoint, its scores, the chosen head recipes) from the study folder and writes one output file atomically, so
 * a killed study loses at most the cells that were running.
 */
final class StudyCells {
    /** Choices scored in one forward pass. */
    static final int ROWS_PER_BATCH = 64;
    static final PromptFormat FORMAT = PromptFormat.PAPER;

    private final StudyPlan plan;
    private final StudyWorld world;
    private final StudyLayout layout;
    private final PrintStream log;

    StudyCells(StudyPlan plan, StudyWorld world, StudyLayout layout, PrintStream log) {
        this.plan = plan;
        this.world = world;
        this.layout = layout;
        this.log = log;
    }

    /** The numbers of training questions of the curves: the plan's N below the training set's size, then all. */
    int[] ns() {
        return ns(plan, world.train().size());
    }

    /** {@link #ns()} for a plan and a training set of {@code total} questions. */
    static int[] ns(StudyPlan plan, int total) {
        List<Integer> out = new ArrayList<>();
        for (int n : plan.ns()) {
            if (n < total) {
                out.add(n);
            }
        }
        if (plan.ns().get(plan.ns().size() - 1) >= total) {
            out.add(total);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Pretrains (or resumes) one base model, then scores every question set with it. */
    void base(Engine engine, StudyPlan.Base base, long seed, boolean bars) throws IOException {
        String id = StudyPlan.baseId(base, seed);
        Path run = layout.baseRun(id);
        StudyPlan.Pretrain p = plan.pretrain();
        PretrainOptions options = pretrainOptions(base, seed);
        Path checkpoint = RunCheckpoint.find(run);
        TrainerState state = checkpoint == null ? null : RunCheckpoint.readState(checkpoint);
        long start = System.nanoTime();
        BestModel best = BestModel.read(run);
        if ((state == null || state.step() < base.steps()) && !best.stopped()) {
            Pretrainer.Criterion criterion = p.stopOn().equals("held-out-loss") ? (m, t, loss) -> loss
                    : (m, t, loss) -> 1 - validationAccuracy(m, t);
            new Pretrainer(engine, log, bars).stopWhenNoBetter(p.patience(), criterion).run(options, run,
                    state != null);
            best = BestModel.read(run);
        }
        double pretrainSeconds = (System.nanoTime() - start) / 1e9;
        // The model with the lowest held-out loss: pretraining "until the held-out loss stops improving".
        ModelDirectory.Loaded loaded = ModelDirectory.load(run.resolve(BestModel.DIR), engine);
        AnswerLikelihood likelihood = new AnswerLikelihood(loaded.model(), loaded.tokenizer(), FORMAT);
        Map<String, List<String>> ids = new LinkedHashMap<>();
        Map<String, List<double[]>> scores = new LinkedHashMap<>();
        for (Map.Entry<String, List<MultipleChoiceQuestion>> set : Map.of("test", world.test(), "validation",
                world.validation(), "train", world.train()).entrySet()) {
            ids.put(set.getKey(), set.getValue().stream().map(MultipleChoiceQuestion::id).toList());
            scores.put(set.getKey(), likelihood.choices(set.getValue(), null, ROWS_PER_BATCH, () -> { }));
        }
        ObjectNode info = StudyPlan.JSON.createObjectNode();
        info.put("base", id);
        info.put("model", base.model());
        info.put("seed", seed);
        info.put("parameters", loaded.model().layout().total());
        info.put("tokenizer", plan.tokenizer());
        info.put("steps", base.steps());
        info.put("bestStep", best.step());
        info.put("bestHeldOutLoss", best.valLoss());
        info.put("stopOn", p.stopOn());
        info.put("bestValidationAccNorm", p.stopOn().equals("held-out-loss") ? Double.NaN : 1 - best.criterion());
        info.put("stoppedEarly", best.stopped());
        info.put("pretrainSecondsThisRun", pretrainSeconds);
        ArrayNode history = info.putArray("heldOutLoss");
        for (JsonNode r : MetricsLog.read(run.resolve("metrics.jsonl"))) {
            if (r.has("val_loss")) {
                history.addArray().add(r.get("step").asInt()).add(r.get("val_loss").asDouble());
            }
        }
        TrainerState last = RunCheckpoint.readState(RunCheckpoint.find(run));
        info.put("pretrainSeconds", last.elapsedSeconds());
        List<ChoiceScores> scored = new ArrayList<>();
        for (int i = 0; i < world.test().size(); i++) {
            scored.add(new ChoiceScores(world.test().get(i), scores.get("test").get(i), null, null));
        }
        info.put("testAccNorm", accuracy(scored, Scorer.BASE, true));
        info.put("testAcc", accuracy(scored, Scorer.BASE, false));
        new CellScores("base", "base", info, ids, scores).write(layout.baseScores(id));
        log.printf("  %s: %,d parameters, held-out loss %.4f, test acc_norm at N = 0: %.3f%n", id,
                loaded.model().layout().total(), history.isEmpty() ? Double.NaN
                        : history.get(history.size() - 1).get(1).asDouble(), info.get("testAccNorm").asDouble());
    }

    /**
     * How a base model is pretrained: the plan's pretraining settings, the learning rate (the base's, else the
     * plan's) decaying by cosine to a tenth of it, a checkpoint at each evaluation.
     */
    private PretrainOptions pretrainOptions(StudyPlan.Base base, long seed) {
        StudyPlan.Pretrain p = plan.pretrain();
        return PretrainOptions.DEFAULTS.withModel(base.model())
                .withCorpus(layout.corpus().toString()).withTokenizer(plan.tokenizer())
                .withSteps(base.steps()).withBatch(p.batch(), p.seq()).withSeed(seed)
                .withSchedule(PretrainOptions.Schedule.DEFAULT.withLr(base.lr() == null ? p.lr() : base.lr())
                        .withWarmup(p.warmup()))
                .withOptimizer(AdamWSettings.PRETRAINING.withWeightDecay((float) (double) p.weightDecay())
                        .withMaxGradNorm((float) (double) p.gradClip()))
                .withEvaluation(new PretrainOptions.Evaluation(p.valFraction(), p.evalEvery(), p.evalBatches()))
                .withCheckpointEvery(p.evalEvery());
    }

    /** The base model's acc_norm on the validation questions, in the eval format. */
    private double validationAccuracy(org.likra.model.Transformer model, org.likra.tokenize.Tokenizer tokenizer) {
        List<double[]> s = new AnswerLikelihood(model, tokenizer, FORMAT).choices(world.validation(), null,
                ROWS_PER_BATCH, () -> { });
        return accuracy(world.validation(), s, null, null, Scorer.BASE);
    }

    /**
     * Chooses the heads' learning rate and epochs on the validation questions: the positive head's by SFT acc_norm,
     * then the negative head's (main arm) by Likra acc_norm with the chosen positive head; N = every training
     * question, the first head seed. Ties go to the earlier grid point.
     */
    void selection(Engine engine, String baseId) throws IOException {
        ObjectNode out = StudyPlan.JSON.createObjectNode();
        if (plan.heads().lr().size() == 1 && plan.heads().epochs().size() == 1) {
            // A grid of one point: nothing to choose, nothing to train.
            HeadRecipe only = plan.heads().recipe(plan.heads().lr().get(0), plan.heads().epochs().get(0));
            out.put("note", "a grid of one point: nothing was chosen");
            out.set("positive", StudyPlan.JSON.valueToTree(only));
            out.set("negative", StudyPlan.JSON.valueToTree(only));
            org.likra.util.AtomicFiles.writeString(layout.selection(baseId), StudyPlan.JSON.writeValueAsString(out)
                    + "\n");
            return;
        }
        ModelDirectory.Loaded loaded = ModelDirectory.load(layout.baseModel(baseId), engine);
        CellScores base = CellScores.read(layout.baseScores(baseId));
        long headSeed = plan.heads().seeds().get(0);
        List<MultipleChoiceQuestion> train = order(headSeed);
        TrainingSets sets = trainingSets(train, base, plan.main(), headSeed);
        HeadCurve curve = new HeadCurve(loaded.model(), loaded.tokenizer(), FORMAT, ROWS_PER_BATCH);
        List<MultipleChoiceQuestion> val = world.validation();
        List<double[]> valBase = base.scores().get("validation");
        Choice positive = gridSearch(baseId, "positive", "SFT", out.putArray("positiveGrid"),
                r -> trainOnAll(curve, sets.positives(), r, headSeed(headSeed, "positive")),
                scores -> accuracy(val, valBase, scores, null, Scorer.SFT));
        Choice negative = gridSearch(baseId, "negative", "Likra", out.putArray("negativeGrid"),
                r -> trainOnAll(curve, sets.negatives(), r, headSeed(headSeed, "negative:" + plan.main().name())),
                scores -> accuracy(val, valBase, positive.scores(), scores, Scorer.LIKRA));
        out.set("positive", StudyPlan.JSON.valueToTree(positive.recipe()));
        out.set("negative", StudyPlan.JSON.valueToTree(negative.recipe()));
        out.put("validationQuestions", val.size());
        out.put("n", train.size());
        org.likra.util.AtomicFiles.writeString(layout.selection(baseId), StudyPlan.JSON.writeValueAsString(out)
                + "\n");
    }

    /** A grid point and the validation scores of its head. */
    private record Choice(HeadRecipe recipe, List<double[]> scores) {
    }

    /** The grid point whose head (trained by {@code train}) gets the highest validation acc_norm. */
    private Choice gridSearch(String baseId, String role, String scorer, ArrayNode record,
                              java.util.function.Function<HeadRecipe, List<double[]>> train,
                              java.util.function.ToDoubleFunction<List<double[]>> accuracy) {
        Choice best = null;
        double bestAcc = -1;
        for (double lr : plan.heads().lr()) {
            for (int epochs : plan.heads().epochs()) {
                HeadRecipe r = plan.heads().recipe(lr, epochs);
                List<double[]> scores = train.apply(r);
                double acc = accuracy.applyAsDouble(scores);
                record.addObject().put("lr", lr).put("epochs", epochs).put(scorer.toLowerCase(java.util.Locale.ROOT)
                        + "AccNorm", acc);
                log.printf("  %s selection: %s lr %.0e, %d epochs: validation %s acc_norm %.3f%n", baseId, role, lr,
                        epochs, scorer, acc);
                if (acc > bestAcc) {
                    bestAcc = acc;
                    best = new Choice(r, scores);
                }
            }
        }
        return best;
    }

    /** The validation scores of a head trained on every training question's examples. */
    private List<double[]> trainOnAll(HeadCurve curve, List<List<Example>> examples, HeadRecipe recipe, long seed) {
        List<List<double[]>> got = new ArrayList<>();
        curve.languageModel(examples, new int[] {examples.size()}, recipe, seed, world.validation(),
                (n, s, head) -> got.add(s), () -> { });
        return got.get(0);
    }

    /** The chosen recipes of a base model: [positive, negative]. */
    HeadRecipe[] chosen(String baseId) throws IOException {
        JsonNode n = StudyPlan.JSON.readTree(layout.selection(baseId).toFile());
        return new HeadRecipe[] {StudyPlan.JSON.treeToValue(n.get("positive"), HeadRecipe.class),
                StudyPlan.JSON.treeToValue(n.get("negative"), HeadRecipe.class)};
    }

    /** One head's learning curve on the test questions: kind positive, negative (an arm) or dpo (a baseline). */
    void head(Engine engine, String baseId, long headSeed, String kind, String name) throws IOException {
        Runnable onUpdate = () -> { };
        ModelDirectory.Loaded loaded = ModelDirectory.load(layout.baseModel(baseId), engine);
        CellScores base = CellScores.read(layout.baseScores(baseId));
        HeadRecipe[] chosen = chosen(baseId);
        List<MultipleChoiceQuestion> train = order(headSeed);
        HeadCurve curve = new HeadCurve(loaded.model(), loaded.tokenizer(), FORMAT, ROWS_PER_BATCH);
        Map<String, List<double[]>> scores = new LinkedHashMap<>();
        HeadCurve.Sink sink = sink(baseId, headSeed, kind, name, scores);
        ObjectNode info = StudyPlan.JSON.createObjectNode();
        long start = System.nanoTime();
        HeadRecipe recipe = train(curve, sink, onUpdate, info, train, base, chosen, headSeed, kind, name);
        info.put("base", baseId);
        info.put("headSeed", headSeed);
        info.set("recipe", StudyPlan.JSON.valueToTree(recipe));
        info.put("seconds", (System.nanoTime() - start) / 1e9);
        Map<String, List<String>> ids = new LinkedHashMap<>();
        List<String> testIds = world.test().stream().map(MultipleChoiceQuestion::id).toList();
        scores.keySet().forEach(k -> ids.put(k, testIds));
        new CellScores(kind, name, info, ids, scores).write(layout.head(baseId, headSeed, kind, name));
    }

    /**
     * Where a head curve's test scores go: into {@code scores} by N; the main arm's heads of the first head seed at
     * the largest N are also saved, for `likra eval`.
     */
    private HeadCurve.Sink sink(String baseId, long headSeed, String kind, String name,
                                Map<String, List<double[]>> scores) {
        int[] ns = ns();
        boolean keep = headSeed == plan.heads().seeds().get(0)
                && (kind.equals("positive") || kind.equals("negative") && name.equals(plan.main().name()));
        return (n, s, head) -> {
            scores.put(Integer.toString(n), s);
            if (keep && n == ns[ns.length - 1]) {
                try {
                    LoraFiles.save(layout.heads(baseId).resolve(kind), head,
                            layout.baseModel(baseId).toAbsolutePath().toString());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
    }

    /**
     * Trains the head curve of one kind (positive, negative: an arm, dpo: a baseline) with the recipe the validation
     * split chose, noting its negatives in {@code info}; returns the recipe.
     */
    private HeadRecipe train(HeadCurve curve, HeadCurve.Sink sink, Runnable onUpdate, ObjectNode info,
                             List<MultipleChoiceQuestion> train, CellScores base, HeadRecipe[] chosen, long headSeed,
                             String kind, String name) {
        HeadRecipe recipe;
        switch (kind) {
            case "positive" -> {
                recipe = chosen[0];
                TrainingSets sets = trainingSets(train, base, plan.main(), headSeed);
                curve.languageModel(sets.positives(), ns(), recipe, headSeed(headSeed, "positive"), world.test(),
                        sink, onUpdate);
            }
            case "negative" -> {
                recipe = chosen[1];
                StudyPlan.Arm arm = arm(name);
                TrainingSets sets = trainingSets(train, base, arm, headSeed);
                curve.languageModel(sets.negatives(), ns(), recipe, headSeed(headSeed, "negative:" + name),
                        world.test(), sink, onUpdate);
                info.set("arm", StudyPlan.JSON.valueToTree(arm));
            }
            case "dpo" -> {
                StudyPlan.Dpo d = dpo(name);
                recipe = d.recipe(chosen[0]);
                StudyPlan.Arm negatives = d.negatives() == null ? plan.main()
                        : new StudyPlan.Arm(d.name(), d.negatives(), 1, 0.0);
                TrainingSets sets = trainingSets(train, base, negatives, headSeed);
                curve.dpo(sets.pairs(), ns(), recipe, headSeed(headSeed, "dpo:" + name), world.test(), sink,
                        onUpdate);
                info.set("negatives", StudyPlan.JSON.valueToTree(negatives));
            }
            default -> throw new IllegalArgumentException(kind);
        }
        return recipe;
    }

    StudyPlan.Arm arm(String name) {
        return StudyPlan.concat(List.of(plan.main()), plan.arms()).stream().filter(a -> a.name().equals(name))
                .findFirst().orElseThrow();
    }

    StudyPlan.Dpo dpo(String name) {
        return plan.dpo().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
    }

    /** The training questions in the order of one head seed. */
    List<MultipleChoiceQuestion> order(long headSeed) {
        return QuestionSets.shuffle(world.train(), headSeed(headSeed, "order"));
    }

    private TrainingSets trainingSets(List<MultipleChoiceQuestion> train, CellScores base, StudyPlan.Arm arm,
                                      long headSeed) {
        Map<String, double[]> byId = new LinkedHashMap<>();
        List<String> ids = base.questions().get("train");
        for (int i = 0; i < ids.size(); i++) {
            byId.put(ids.get(i), base.scores().get("train").get(i));
        }
        List<double[]> trainBase = train.stream().map(q -> byId.get(q.id())).toList();
        return TrainingSets.build(train, trainBase, FORMAT, arm.selection(),
                headSeed(headSeed, "negatives:" + arm.name()));
    }

    /** A seed for one purpose of one head seed (each head gets its own random A and its own draws). */
    static long headSeed(long seed, String purpose) {
        return org.likra.util.Seeds.derive(seed, purpose);
    }

    private static double accuracy(List<ChoiceScores> scored, Scorer scorer, boolean normalized) {
        Evaluation e = Evaluation.of(scorer, scored, 1, 1);
        return (normalized ? e.accNorm() : e.acc()).value();
    }

    private static double accuracy(List<MultipleChoiceQuestion> qs, List<double[]> base, List<double[]> pos,
                                   List<double[]> neg, Scorer scorer) {
        List<ChoiceScores> scored = new ArrayList<>();
        for (int i = 0; i < qs.size(); i++) {
            scored.add(new ChoiceScores(qs.get(i), base.get(i), pos == null ? null : pos.get(i),
                    neg == null ? null : neg.get(i)));
        }
        return accuracy(scored, scorer, true);
    }
}
