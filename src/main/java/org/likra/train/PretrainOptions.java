package org.likra.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.likra.tokenize.BpeTokenizer;
import org.likra.tokenize.BpeTrainer;
import org.likra.util.UserError;

/**
 * Everything that determines a pretraining run. Saved in each checkpoint's trainer_state.json so that
 * {@code --resume} continues with exactly the same settings. {@code tokenizer} is {@code byte} or
 * {@code bpe:<vocab size>} (see {@link #bpeVocab}).
 */
public record PretrainOptions(
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

    /** The default tokenizer: UTF-8 bytes. */
    public static final String BYTE_TOKENIZER = "byte";
    /** What {@code tokenizer} accepts, for help texts and messages. */
    public static final String TOKENIZER_VALUES = "byte (UTF-8 bytes, 256 ids) or bpe:<vocab size> (byte-level BPE "
            + "trained on the corpus, vocab size " + BpeTokenizer.MIN_VOCAB + ".." + BpeTokenizer.MAX_VOCAB + ")";

    /** A missing tokenizer (trainer_state.json files written before it existed) is the byte tokenizer. */
    public PretrainOptions {
        if (tokenizer == null) {
            tokenizer = BYTE_TOKENIZER;
        }
    }

    /** Options with the byte tokenizer. */
    public PretrainOptions(String model, String corpus, int steps, int batch, int seq, double lr, String schedule,
                           int warmup, double minLrFraction, double weightDecay, double beta1, double beta2,
                           double adamEps, double gradClip, long seed, int evalEvery, int evalBatches,
                           int checkpointEvery, double valFraction) {
        this(model, corpus, steps, batch, seq, lr, schedule, warmup, minLrFraction, weightDecay, beta1, beta2, adamEps,
                gradClip, seed, evalEvery, evalBatches, checkpointEvery, valFraction, BYTE_TOKENIZER);
    }

    public PretrainOptions withSteps(int newSteps) {
        return new PretrainOptions(model, corpus, newSteps, batch, seq, lr, schedule, warmup, minLrFraction,
                weightDecay, beta1, beta2, adamEps, gradClip, seed, evalEvery, evalBatches, checkpointEvery,
                valFraction, tokenizer);
    }

    /** These options reading the corpus from another path (a moved run: its tokens' sha256 is still checked). */
    public PretrainOptions withCorpus(String newCorpus) {
        return new PretrainOptions(model, newCorpus, steps, batch, seq, lr, schedule, warmup, minLrFraction,
                weightDecay, beta1, beta2, adamEps, gradClip, seed, evalEvery, evalBatches, checkpointEvery,
                valFraction, tokenizer);
    }

    public PretrainOptions withTokenizer(String newTokenizer) {
        return new PretrainOptions(model, corpus, steps, batch, seq, lr, schedule, warmup, minLrFraction,
                weightDecay, beta1, beta2, adamEps, gradClip, seed, evalEvery, evalBatches, checkpointEvery,
                valFraction, newTokenizer);
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

    /** AdamW's settings of the run. */
    public AdamW.Settings optimizer() {
        return new AdamW.Settings(beta1, beta2, adamEps, weightDecay, gradClip);
    }

    public LearningRateSchedule learningRate() {
        return new LearningRateSchedule(schedule, lr, warmup, steps, minLrFraction);
    }
}
