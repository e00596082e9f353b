package org.likra.experiment;

import java.util.Map;

/**
 * Every scorer evaluated after N training questions, and the mean log-likelihood (summed over answer tokens) of
 * correct answers and of near-miss and far distractors under each model state ("base", "positive", "negative").
 */
public record CurvePoint(int n, Map<String, Evaluation> evaluations, Map<String, Map<String, Double>> meanLogLikelihood) {
}
