package org.likra.study;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.experiment.ChoiceScores;
import org.likra.experiment.Scorer;

import java.util.ArrayList;
import java.util.List;

/**
 * A scorer of the study as a function of a replicate (base model, head seed) and N: the per-question choice scores
 * it predicts from (the best-scoring choice wins), or null where a needed cell is missing.
 *
 * <ul>
 *   <li>{@code base}: log p_base; {@code sft}: log p+; {@code likra}: log p+ - w- log p- (w- = 1 unless named);
 *   {@code base-neg}: log p_base - log p-; {@code pos-base}: log p+ - log p_base;</li>
 *   <li>{@code dpo}: log pi of a DPO head; {@code dpo-reward}: its implicit reward log pi - log p_base.</li>
 * </ul>
 */
interface StudySeries {
    List<double[]> scores(StudyData.Base base, long headSeed, int n);

    /** Combines two per-choice score sets elementwise: a + k b. */
    static List<double[]> combine(List<double[]> a, List<double[]> b, double k) {
        if (a == null || b == null) {
            return null;
        }
        List<double[]> out = new ArrayList<>(a.size());
        for (int q = 0; q < a.size(); q++) {
            double[] x = a.get(q);
            double[] y = b.get(q);
            double[] z = new double[x.length];
            for (int c = 0; c < x.length; c++) {
                z[c] = x[c] + k * y[c];
            }
            out.add(z);
        }
        return out;
    }

    /** The base model: the same for every head seed. */
    StudySeries BASE = (b, h, n) -> b.test;

    static StudySeries base() {
        return BASE;
    }

    static StudySeries head(String key) {
        return (b, h, n) -> n == 0 ? null : b.head(h, key, n);
    }

    static StudySeries positive() {
        return (b, h, n) -> n == 0 ? b.test : b.head(h, "positive-positive", n);
    }

    /** log p+ - w log p- with the negative head of {@code arm}. */
    static StudySeries likra(String arm, double w) {
        return (b, h, n) -> n == 0 ? null : combine(b.head(h, "positive-positive", n), b.head(h, "negative-" + arm,
                n), -w);
    }

    static StudySeries baseNeg(String arm) {
        return (b, h, n) -> n == 0 ? null : combine(b.test, b.head(h, "negative-" + arm, n), -1);
    }

    static StudySeries posBase() {
        return (b, h, n) -> n == 0 ? null : combine(b.head(h, "positive-positive", n), b.test, -1);
    }

    static StudySeries dpo(String name) {
        return (b, h, n) -> n == 0 ? b.test : b.head(h, "dpo-" + name, n);
    }

    static StudySeries dpoReward(String name) {
        return (b, h, n) -> n == 0 ? null : combine(b.head(h, "dpo-" + name, n), b.test, -1);
    }

    /** The index of the predicted choice: the highest score, or per character of the answer with {@code norm}. */
    static int predict(MultipleChoiceQuestion q, double[] s, boolean norm) {
        return new ChoiceScores(q, s, null, null).predict(Scorer.BASE, norm, 1, 1);
    }
}
