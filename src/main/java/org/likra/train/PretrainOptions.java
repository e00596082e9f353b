package org.likra.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import org.likra.engine.AdamWSettings;
import org.likra.tokenize.BpeTokenizer;
import org.likra.tokenize.BpeTrainer;
import org.likra.util.UserError;

/**
 * Everything that determines a pretraining run: what is trained on what ({@code model}, {@code corpus},
 * {@code tokenizer}), how long and on which batches ({@code steps}, {@code batch} x {@code seq} tokens,
 * {@code seed}), the learning-rate schedule, AdamW's settings, the held-out evaluation and the checkpoint interval.
 * Start from {@link #DEFAULTS} (the {@code pretrain} command's defaults) and change what differs with the
 * {@code with...} methods.
 *
 * <p>Saved in each checkpoint's trainer_state.json, as one flat object ({@link Saved}, the format runs on disk
 * hold), so that {@code --resume} continues with exactly the same settings. {@code tokenizer} is {@code byte} or
 * {@code bpe:<vocab size>} (see {@link #bpeVocab}).
 *
 * @param checkpointEvery steps between checkpoints (besides the time-based ones, {@link Pretrainer})
 */
public record PretrainOptions(String model, String corpus, String tokenizer, int steps, int batch, int seq,
                              long seed, Schedule schedule, AdamWSettings optimizer, Evaluation evaluation,
                              int checkpointEvery) {

    /** The default tokenizer: UTF-8 bytes. */
    public static final String BYTE_TOKENIZER = "byte";
    /** What {@code tokenizer} accepts, for help texts and messages. */
    public static final String TOKENIZER_VALUES = "byte (UTF-8 bytes, 256 ids) or bpe:<vocab size> (byte-level BPE "
            + "trained on the corpus, vocab size " + BpeTokenizer.MIN_VOCAB + ".." + BpeTokenizer.MAX_VOCAB + ")";

    /**
     * The learning rate over the run ({@link LearningRateSchedule}): {@code constant} or {@code cosine} (down to
     * {@code minLrFraction} x {@code lr} at the last step), after a linear warm-up of {@code warmup} steps.
     */
    public record Schedule(String kind, double lr, int warmup, double minLrFraction) {
        /** Cosine from 1e-3 to 1e-4 after 50 warm-up steps. */
        public static final Schedule DEFAULT = new Schedule("cosine", 1e-3, 50, 0.1);

        public Schedule withKind(String newKind) {
            return new Schedule(newKind, lr, warmup, minLrFraction);
        }

        public Schedule withLr(double newLr) {
            return new Schedule(kind, newLr, warmup, minLrFraction);
        }

        public Schedule withWarmup(int newWarmup) {
            return new Schedule(kind, lr, newWarmup, minLrFraction);
        }

        public Schedule withMinLrFraction(double newMinLrFraction) {
            return new Schedule(kind, lr, warmup, newMinLrFraction);
        }
    }

    /**
     * The held-out evaluation: the last {@code valFraction} of the corpus's tokens is held out, and every
     * {@code every} steps (and at the last) the mean loss over {@code batches} fixed batches of it is logged.
     */
    public record Evaluation(double valFraction, int every, int batches) {
        /** 5% held out, 8 batches every 100 steps. */
        public static final Evaluation DEFAULT = new Evaluation(0.05, 100, 8);

        public Evaluation withValFraction(double newValFraction) {
            return new Evaluation(newValFraction, every, batches);
        }

        public Evaluation withEvery(int newEvery) {
            return new Evaluation(valFraction, newEvery, batches);
        }

        public Evaluation withBatches(int newBatches) {
            return new Evaluation(valFraction, every, newBatches);
        }
    }

    /** A missing tokenizer is the byte tokenizer. */
    public PretrainOptions {
        if (tokenizer == null) {
            tokenizer = BYTE_TOKENIZER;
        }
    }

    /**
     * The {@code pretrain} command's defaults (PretrainCommandTest holds the two together): llama-1m, no corpus,
     * byte tokens, 1000 steps of 16 x 128 tokens, seed 1, {@link Schedule#DEFAULT},
     * {@link AdamWSettings#PRETRAINING}, {@link Evaluation#DEFAULT}, a checkpoint every 200 steps.
     */
    public static final PretrainOptions DEFAULTS = new PretrainOptions("llama-1m", null, BYTE_TOKENIZER, 1000, 16,
            128, 1, Schedule.DEFAULT, AdamWSettings.PRETRAINING, Evaluation.DEFAULT, 200);

    public PretrainOptions withModel(String newModel) {
        return new PretrainOptions(newModel, corpus, tokenizer, steps, batch, seq, seed, schedule, optimizer,
                evaluation, checkpointEvery);
    }

    /** These options reading the corpus from another path (a moved run: its tokens' sha256 is still checked). */
    public PretrainOptions withCorpus(String newCorpus) {
        return new PretrainOptions(model, newCorpus, tokenizer, steps, batch, seq, seed, schedule, optimizer,
                evaluation, checkpointEvery);
    }

    public PretrainOptions withTokenizer(String newTokenizer) {
        return new PretrainOptions(model, corpus, newTokenizer, steps, batch, seq, seed, schedule, optimizer,
                evaluation, checkpointEvery);
    }

    public PretrainOptions withSteps(int newSteps) {
        return new PretrainOptions(model, corpus, tokenizer, newSteps, batch, seq, seed, schedule, optimizer,
                evaluation, checkpointEvery);
    }

    /** These options with batches of {@code newBatch} windows of {@code newSeq} tokens. */
    public PretrainOptions withBatch(int newBatch, int newSeq) {
        return new PretrainOptions(model, corpus, tokenizer, steps, newBatch, newSeq, seed, schedule, optimizer,
                evaluation, checkpointEvery);
    }

    public PretrainOptions withSeed(long newSeed) {
        return new PretrainOptions(model, corpus, tokenizer, steps, batch, seq, newSeed, schedule, optimizer,
                evaluation, checkpointEvery);
    }

    public PretrainOptions withSchedule(Schedule newSchedule) {
        return new PretrainOptions(model, corpus, tokenizer, steps, batch, seq, seed, newSchedule, optimizer,
                evaluation, checkpointEvery);
    }

    public PretrainOptions withOptimizer(AdamWSettings newOptimizer) {
        return new PretrainOptions(model, corpus, tokenizer, steps, batch, seq, seed, schedule, newOptimizer,
                evaluation, checkpointEvery);
    }

    public PretrainOptions withEvaluation(Evaluation newEvaluation) {
        return new PretrainOptions(model, corpus, tokenizer, steps, batch, seq, seed, schedule, optimizer,
                newEvaluation, checkpointEvery);
    }

    public PretrainOptions withCheckpointEvery(int newCheckpointEvery) {
        return new PretrainOptions(model, corpus, tokenizer, steps, batch, seq, seed, schedule, optimizer,
                evaluation, newCheckpointEvery);
    }

    /**
     * The BPE vocabulary size a tokenizer value asks for, or 0 for {@code byte}; a UserError for anything else.
     */
    public static int bpeVocab(String tokenizer) {
        if (tokenizer == null || tokenizer.equals(BYTE_TOKENIZER)) {
            return 0;
        }
        if (tokenizer.startsWith("bpe:")) {
            int size;
            try {
                size = Integer.parseInt(tokenizer.substring(4));
            } catch (NumberFormatException e) {
                throw new UserError("--tokenizer " + tokenizer + ": expected " + TOKENIZER_VALUES);
            }
            BpeTrainer.checkVocabSize(size, "--tokenizer " + tokenizer);
            return size;
        }
        throw new UserError("--tokenizer " + tokenizer + ": expected " + TOKENIZER_VALUES);
    }

    /** The learning rate at each step of this run. */
    public LearningRateSchedule learningRate() {
        return new LearningRateSchedule(schedule.kind(), schedule.lr(), schedule.warmup(), steps,
                schedule.minLrFraction());
    }

    /**
     * trainer_state.json's {@code options}: one flat object with these names, in this order. A missing tokenizer
     * (files written before it existed) is the byte tokenizer. AdamW's settings are floats (what the engines compute
     * with); they are written as the shortest decimal that reads back as that float (0.95, not 0.949999988079071).
     */
    record Saved(
            @JsonProperty("model") String model,
            @JsonProperty("corpus") String corpus,
            @JsonProperty("steps") int steps,
            @JsonProperty("batch") int batch,
            @JsonProperty("seq") int seq,
            @JsonProperty("lr") double lr,
            @JsonProperty("schedule") String schedule,
            @JsonProperty("warmup") int warmup,
            @JsonProperty("min_lr_fraction") double minLrFraction,
            @JsonProperty("weight_decay") double weightDecay,
            @JsonProperty("beta1") double beta1,
            @JsonProperty("beta2") double beta2,
            @JsonProperty("adam_eps") double adamEps,
            @JsonProperty("grad_clip") double gradClip,
            @JsonProperty("seed") long seed,
            @JsonProperty("eval_every") int evalEvery,
            @JsonProperty("eval_batches") int evalBatches,
            @JsonProperty("checkpoint_every") int checkpointEvery,
            @JsonProperty("val_fraction") double valFraction,
            @JsonProperty("tokenizer") String tokenizer) {
    }

    @JsonValue
    Saved saved() {
        return new Saved(model, corpus, steps, batch, seq, schedule.lr(), schedule.kind(), schedule.warmup(),
                schedule.minLrFraction(), decimal(optimizer.weightDecay()), decimal(optimizer.beta1()),
                decimal(optimizer.beta2()), decimal(optimizer.eps()), decimal(optimizer.maxGradNorm()), seed,
                evaluation.every(), evaluation.batches(), checkpointEvery, evaluation.valFraction(), tokenizer);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static PretrainOptions of(Saved s) {
        return new PretrainOptions(s.model(), s.corpus(), s.tokenizer() == null ? BYTE_TOKENIZER : s.tokenizer(),
                s.steps(), s.batch(), s.seq(), s.seed(),
                new Schedule(s.schedule(), s.lr(), s.warmup(), s.minLrFraction()),
                new AdamWSettings((float) s.beta1(), (float) s.beta2(), (float) s.adamEps(), (float) s.weightDecay(),
                        (float) s.gradClip()),
                new Evaluation(s.valFraction(), s.evalEvery(), s.evalBatches()), s.checkpointEvery());
    }

    /** The shortest decimal that rounds to {@code f}, as a double. */
    private static double decimal(float f) {
        return Double.parseDouble(Float.toString(f));
    }
}
