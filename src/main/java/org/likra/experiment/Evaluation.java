package org.likra.experiment;

import java.util.List;

/** acc and acc_norm of a scorer over scored questions. */
public record Evaluation(Scorer scorer, Accuracy acc, Accuracy accNorm) {

    public static Evaluation of(Scorer scorer, List<ChoiceScores> scored, double positiveWeight,
                                double negativeWeight) {
        int raw = 0;
        int norm = 0;
        for (ChoiceScores s : scored) {
            raw += s.correct(scorer, false, positiveWeight, negativeWeight) ? 1 : 0;
            norm += s.correct(scorer, true, positiveWeight, negativeWeight) ? 1 : 0;
        }
        return new Evaluation(scorer, Accuracy.of(raw, scored.size()), Accuracy.of(norm, scored.size()));
    }
}
