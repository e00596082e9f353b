package org.likra.experiment;

/** A training example for a head: the prompt (not trained on) and the answer text (trained on). */
public record Example(String prompt, String answer) {
}
