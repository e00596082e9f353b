package org.likra.train;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Everything that determines a pretraining run. Saved in each checkpoint's trainer_state.json so that
 * {@code --resume} continues with exactly the same settings.
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
        @JsonProperty("val_fraction") double valFraction) {

    public PretrainOptions withSteps(int newSteps) {
        return new PretrainOptions(model, corpus, newSteps, batch, seq, lr, schedule, warmup, minLrFraction,
                weightDecay, beta1, beta2, adamEps, gradClip, seed, evalEvery, evalBatches, checkpointEvery,
                valFraction);
    }

    public LearningRateSchedule learningRate() {
        return new LearningRateSchedule(schedule, lr, warmup, steps, minLrFraction);
    }
}
