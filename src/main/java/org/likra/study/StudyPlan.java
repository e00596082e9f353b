package org.likra.study;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.likra.config.Presets;
import org.likra.experiment.HeadRecipe;
import org.likra.experiment.NegativeSelection;
import org.likra.experiment.NegativeStrategy;
import org.likra.lora.LoraConfig;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A declared Likra study: one synthetic world, a ladder of base models (each pretrained from several seeds on the
 * world's corpus), LoRA heads trained from several seeds at several N on every base, the negative-head arms
 * (ablations) and DPO baselines. Read from a JSON file ({@code studies/*.json}); every field has a default, so a
 * plan names only what differs. Unknown fields are errors (a misspelt field must not be silently ignored).
 *
 * @param name            the study's name (report titles)
 * @param description     one sentence for the report
 * @param world           the synthetic world
 * @param tokenizer       {@code byte} or {@code bpe:<vocabulary>} (trained on the world's corpus)
 * @param pretrain        how every base model is pretrained
 * @param bases           the base-model ladder
 * @param heads           how heads are trained and which of their settings are chosen on the validation split
 * @param ns              numbers of training questions of the learning curves (the largest is capped at the
 *                        number of training questions)
 * @param main            the negatives of the main Likra arm (every base model)
 * @param arms            the negative-head ablations (bases with {@code ablations: true})
 * @param dpo             DPO baselines
 * @param negativeWeights w- values of the scorer ablation (Likra = log p+ - w- log p-)
 * @param maxTest         use at most this many test questions (0: all; smoke plans)
 * @param maxTrain        use at most this many training and validation questions each (0: all; quick checks)
 * @param bootstrap       bootstrap resamples of every interval and test
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StudyPlan(String name, String description, World world, String tokenizer, Pretrain pretrain,
                        List<Base> bases, Heads heads, List<Integer> ns, Arm main, List<Arm> arms, List<Dpo> dpo,
                        List<Double> negativeWeights, Integer maxTest, Integer maxTrain,
                        Integer bootstrap) {

    /**
     * The synthetic world: a preset of {@code SyntheticSpec} ({@code study}, {@code demo}, {@code legacy}) with its
     * seed, and optionally other values of its corpus's repetition and misconception parameters.
     */
    public record World(String preset, Long seed, Integer repeats, Double misconceptionFraction,
                        Integer misconceptionRepeats) {
        public World {
            preset = preset == null ? "study" : preset;
            seed = seed == null ? 1L : seed;
        }
    }

    /**
     * Pretraining settings shared by every base (AdamW, cosine schedule over the base's steps). Each base keeps its
     * best model by {@code stopOn} and stops once {@code patience} evaluations in a row (every {@code evalEvery}
     * steps) have not improved on it; heads are trained on that model. {@code validation-accuracy} (the default) is
     * the base model's acc_norm on the validation questions in the eval format (held-out entities; never the test
     * set); {@code held-out-loss} is the loss on the corpus's held-out tail, which on these shuffled-statement
     * corpora rises from memorised statement order long before the facts are learnt (docs/study.md).
     */
    public record Pretrain(Integer batch, Integer seq, Double lr, Integer warmup, Double weightDecay, Double gradClip,
                           Integer evalEvery, Integer evalBatches, Double valFraction, Integer patience,
                           String stopOn) {
        /** The early-stopping criteria. */
        public static final List<String> STOP_ON = List.of("validation-accuracy", "held-out-loss");

        public Pretrain {
            batch = batch == null ? 16 : batch;
            seq = seq == null ? 128 : seq;
            lr = lr == null ? 3e-3 : lr;
            warmup = warmup == null ? 100 : warmup;
            weightDecay = weightDecay == null ? 0.1 : weightDecay;
            gradClip = gradClip == null ? 1.0 : gradClip;
            evalEvery = evalEvery == null ? 250 : evalEvery;
            evalBatches = evalBatches == null ? 8 : evalBatches;
            valFraction = valFraction == null ? 0.05 : valFraction;
            patience = patience == null ? 3 : patience;
            stopOn = stopOn == null ? "validation-accuracy" : stopOn;
        }
    }

    /**
     * One rung of the ladder: a model preset pretrained from each seed for {@code steps} steps, at the pretraining
     * learning rate or its own {@code lr}; {@code ablations} adds the negative arms and ablation-only DPO baselines.
     */
    public record Base(String model, List<Long> seeds, Integer steps, Double lr, Boolean ablations) {
        public Base {
            seeds = seeds == null ? List.of(1L) : List.copyOf(seeds);
            steps = steps == null ? 2000 : steps;
            ablations = ablations != null && ablations;
        }
    }

    /**
     * Head training; what a plan leaves out is {@link HeadRecipe#DEFAULT}'s (the lr and epochs grids excepted).
     * {@code lr} and {@code epochs} are grids: each base model's positive head takes the pair with
     * the best SFT acc_norm on the validation questions, its negative head the pair with the best Likra acc_norm
     * (with the chosen positive head), both at N = all training questions and the first head seed.
     */
    public record Heads(List<Long> seeds, Integer rank, Double alpha, List<String> targets, Integer batch,
                        String schedule, Double gradClip, List<Double> lr, List<Integer> epochs) {
        public Heads {
            seeds = seeds == null ? List.of(1L, 2L, 3L) : List.copyOf(seeds);
            rank = rank == null ? HeadRecipe.DEFAULT.lora().rank() : rank;
            alpha = alpha == null ? HeadRecipe.DEFAULT.lora().alpha() : alpha;
            targets = targets == null ? HeadRecipe.DEFAULT.lora().targets() : List.copyOf(targets);
            batch = batch == null ? HeadRecipe.DEFAULT.batch() : batch;
            schedule = schedule == null ? HeadRecipe.DEFAULT.schedule() : schedule;
            gradClip = gradClip == null ? HeadRecipe.DEFAULT.gradClip() : gradClip;
            lr = lr == null ? List.of(1e-3, 3e-3, 1e-2) : List.copyOf(lr);
            epochs = epochs == null ? List.of(1, 3) : List.copyOf(epochs);
        }

        /** The recipe at one grid point. */
        public HeadRecipe recipe(double oneLr, int oneEpochs) {
            return new HeadRecipe(new LoraConfig(rank, alpha, targets), oneLr, schedule, oneEpochs, batch, gradClip,
                    HeadRecipe.DEFAULT.dpoBeta());
        }
    }

    /**
     * A negative-head arm: which wrong answers, how many per question, and which share of them is swapped for the
     * correct answer (contamination).
     */
    public record Arm(String name, String negatives, Integer perQuestion, Double contamination) {
        public Arm {
            negatives = negatives == null ? "all" : negatives;
            perQuestion = perQuestion == null ? 1 : perQuestion;
            contamination = contamination == null ? 0.0 : contamination;
            name = name == null ? negatives.replace(':', '-') : name;
        }

        public NegativeStrategy strategy() {
            return NegativeStrategy.parse(negatives);
        }

        /** The negatives this arm trains on. */
        public NegativeSelection selection() {
            return new NegativeSelection(strategy(), perQuestion, contamination);
        }
    }

    /**
     * A DPO baseline: {@code matched} takes the positive head's chosen recipe and the main arm's negatives; any field
     * given overrides it (the authors' configuration: rank 16 on all seven projections, lr 5e-5 cosine, 3 epochs,
     * batch 4, one random rejected answer).
     */
    public record Dpo(String name, Integer rank, Double alpha, List<String> targets, Double lr, String schedule,
                      Integer epochs, Integer batch, String negatives, Double beta, Boolean ablation) {
        public Dpo {
            name = name == null ? "dpo" : name;
            beta = beta == null ? HeadRecipe.DEFAULT.dpoBeta() : beta;
            ablation = ablation != null && ablation;
        }

        /** This baseline's recipe, starting from the positive head's chosen one. */
        public HeadRecipe recipe(HeadRecipe positive) {
            LoraConfig l = positive.lora();
            LoraConfig lora = new LoraConfig(rank == null ? l.rank() : rank, alpha == null ? (rank == null
                    ? l.alpha() : rank) : alpha, targets == null ? l.targets() : targets);
            return new HeadRecipe(lora, lr == null ? positive.lr() : lr, schedule == null ? positive.schedule()
                    : schedule, epochs == null ? positive.epochs() : epochs, batch == null ? positive.batch() : batch,
                    positive.gradClip(), beta);
        }
    }

    public StudyPlan {
        name = name == null ? "study" : name;
        description = description == null ? "" : description;
        world = world == null ? new World(null, null, null, null, null) : world;
        tokenizer = tokenizer == null ? "bpe:1024" : tokenizer;
        pretrain = pretrain == null ? new Pretrain(null, null, null, null, null, null, null, null, null, null, null) : pretrain;
        bases = bases == null ? List.of() : List.copyOf(bases);
        heads = heads == null ? new Heads(null, null, null, null, null, null, null, null, null) : heads;
        ns = ns == null ? List.of(32, 64, 128, 256, 512, 1024) : List.copyOf(ns);
        main = main == null ? new Arm("main", "all", 1, 0.0) : main;
        arms = arms == null ? List.of() : List.copyOf(arms);
        dpo = dpo == null ? List.of() : List.copyOf(dpo);
        negativeWeights = negativeWeights == null ? List.of(0.0, 0.5, 1.0, 2.0) : List.copyOf(negativeWeights);
        maxTest = maxTest == null ? 0 : maxTest;
        maxTrain = maxTrain == null ? 0 : maxTrain;
        bootstrap = bootstrap == null ? 2000 : bootstrap;
    }

    /** Reads and writes plans (and the study's JSON files). */
    public static final ObjectMapper JSON_READER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** This plan with other bases. */
    public StudyPlan withBases(List<Base> newBases) {
        return new StudyPlan(name, description, world, tokenizer, pretrain, newBases, heads, ns, main, arms, dpo,
                negativeWeights, maxTest, maxTrain, bootstrap);
    }

    /** This plan with other caps on the questions used (0: all). */
    public StudyPlan withCaps(int newMaxTest, int newMaxTrain) {
        return new StudyPlan(name, description, world, tokenizer, pretrain, bases, heads, ns, main, arms, dpo,
                negativeWeights, newMaxTest, newMaxTrain, bootstrap);
    }

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** Reads and checks a plan; a bad one is one {@link UserError} line naming the file, the place and the field. */
    public static StudyPlan read(Path file) {
        StudyPlan plan;
        try {
            plan = JSON.readValue(file.toFile(), StudyPlan.class);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new UserError(file + ": no such plan file; see studies/ for examples");
        } catch (JsonMappingException e) {
            JsonLocation at = fieldLocation(file, e);
            String where = at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr();
            String field = e.getPath().isEmpty() ? "" : " (field " + fieldPath(e) + ")";
            throw new UserError(file + where + ": " + e.getOriginalMessage().lines().findFirst().orElse("bad plan")
                    + field + "; see docs/study.md for the plan's fields");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the plan: " + e.getMessage());
        }
        if (plan == null) {
            throw new UserError(file + ": the plan is empty; see studies/ for examples");
        }
        return plan.validate(file.toString());
    }

    /**
     * Where the field the error is about starts in the file: Jackson reports an unknown field of a record at the end
     * of its object (it buffers the fields until the record is built), which would point at the wrong line.
     */
    private static JsonLocation fieldLocation(Path file, JsonMappingException e) {
        List<JsonMappingException.Reference> path = e.getPath();
        if (!path.isEmpty() && path.get(path.size() - 1).getFieldName() != null) {
            try (JsonParser p = JSON.getFactory().createParser(file.toFile())) {
                for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                    if (t == JsonToken.FIELD_NAME && at(p.getParsingContext(), path)) {
                        return p.currentTokenLocation();
                    }
                }
            } catch (IOException ignored) {
                // fall back to Jackson's location
            }
        }
        return e.getLocation();
    }

    private static boolean at(JsonStreamContext c, List<JsonMappingException.Reference> path) {
        for (int i = path.size() - 1; i >= 0; i--, c = c.getParent()) {
            JsonMappingException.Reference r = path.get(i);
            boolean same = r.getFieldName() != null ? c.inObject() && r.getFieldName().equals(c.getCurrentName())
                    : c.inArray() && c.getCurrentIndex() == r.getIndex();
            if (!same) {
                return false;
            }
        }
        return c.inRoot();
    }

    private static String fieldPath(JsonMappingException e) {
        StringBuilder s = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                s.append(s.isEmpty() ? "" : ".").append(r.getFieldName());
            } else {
                s.append('[').append(r.getIndex()).append(']');
            }
        }
        return s.toString();
    }

    /** Checks everything a run would trip over later, so that a bad plan fails before any work. */
    public StudyPlan validate(String where) {
        inField(where, "world", () -> StudyWorld.spec(world));
        check(!bases.isEmpty(), where, "bases", "lists no base model; give at least one {\"model\": ..., \"seeds\": [...]}");
        Set<String> ids = new HashSet<>();
        for (Base b : bases) {
            check(b.model() != null, where, "bases", "a base names no model preset");
            inField(where, "bases", () -> Presets.load(b.model()));
            check(!b.seeds().isEmpty(), where, "bases", b.model() + " lists no seed");
            check(b.steps() > 0, where, "bases", b.model() + ": steps must be positive");
            for (long s : b.seeds()) {
                check(ids.add(baseId(b, s)), where, "bases", "base " + baseId(b, s) + " is listed twice");
            }
        }
        check(Pretrain.STOP_ON.contains(pretrain.stopOn()), where, "pretrain.stopOn", "must be one of "
                + Pretrain.STOP_ON + ", got '" + pretrain.stopOn() + "'");
        check(pretrain.patience() >= 0, where, "pretrain.patience", "must be 0 (no early stopping) or positive");
        check(tokenizer.equals("byte") || tokenizer.matches("bpe:\\d+"), where, "tokenizer",
                "must be byte or bpe:<vocabulary>, got '" + tokenizer + "'");
        check(!heads.seeds().isEmpty() && !heads.lr().isEmpty() && !heads.epochs().isEmpty(), where, "heads",
                "needs at least one seed, lr and epochs value");
        for (double lr : heads.lr()) {
            for (int e : heads.epochs()) {
                inField(where, "heads", () -> heads.recipe(lr, e));
            }
        }
        check(!ns.isEmpty() && ns.stream().allMatch(n -> n > 0), where, "ns", "must list positive numbers of "
                + "training questions");
        check(ns.equals(ns.stream().sorted().distinct().toList()), where, "ns", "must be increasing");
        Set<String> armNames = new HashSet<>();
        for (Arm a : concat(List.of(main), arms)) {
            String field = a == main ? "main" : "arms";
            inField(where, field, a::strategy);
            check(a.perQuestion() >= 1 && a.perQuestion() <= 16, where, field, a.name() + ": perQuestion must be "
                    + "within 1..16");
            check(a.contamination() >= 0 && a.contamination() <= 1, where, field, a.name()
                    + ": contamination must be within [0, 1]");
            check(a.name().matches("[A-Za-z0-9._-]+"), where, field, "arm name '" + a.name() + "' must use only "
                    + "letters, digits, '.', '_' and '-'");
            check(armNames.add(a.name()), where, field, "arm name '" + a.name() + "' is used twice");
        }
        Set<String> dpoNames = new HashSet<>();
        for (Dpo d : dpo) {
            check(d.name().matches("[A-Za-z0-9._-]+") && dpoNames.add(d.name()), where, "dpo", "DPO names must be "
                    + "unique and use only letters, digits, '.', '_' and '-' ('" + d.name() + "')");
            inField(where, "dpo", () -> d.recipe(heads.recipe(heads.lr().get(0), heads.epochs().get(0))));
            if (d.negatives() != null) {
                inField(where, "dpo", () -> NegativeStrategy.parse(d.negatives()));
            }
        }
        check(negativeWeights.stream().allMatch(w -> w >= 0 && Double.isFinite(w)), where, "negativeWeights",
                "must be finite and non-negative");
        check(maxTest >= 0, where, "maxTest", "must be 0 (all) or positive");
        check(maxTrain >= 0, where, "maxTrain", "must be 0 (all) or positive");
        check(bootstrap >= 100 && bootstrap <= 100_000, where, "bootstrap", "must be within 100..100000");
        return this;
    }

    /** Runs a check that throws its own UserError, naming the plan and the field in front of its message. */
    private static void inField(String where, String field, Runnable check) {
        try {
            check.run();
        } catch (UserError e) {
            throw new UserError(where + ": field " + field + ": " + e.getMessage(), e);
        }
    }

    private static void check(boolean ok, String where, String field, String what) {
        if (!ok) {
            throw new UserError(where + ": field " + field + ": " + what);
        }
    }

    static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** The id of one base model: {@code <preset>-s<seed>}. */
    public static String baseId(Base base, long seed) {
        return base.model() + "-s" + seed;
    }

    /** The plan as canonical JSON (every default filled in), as saved in the study folder. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
