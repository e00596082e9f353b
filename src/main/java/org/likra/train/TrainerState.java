package org.likra.train;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The training position saved beside a checkpoint's model: the number of completed steps, the options of the run,
 * and a fingerprint of the corpus so that a resume on a different corpus is refused.
 */
public record TrainerState(
        @JsonProperty("step") int step,
        @JsonProperty("options") PretrainOptions options,
        @JsonProperty("corpus_tokens") int corpusTokens,
        @JsonProperty("corpus_sha256") String corpusSha256,
        @JsonProperty("elapsed_seconds") double elapsedSeconds) {
}
