package org.likra.experiment;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.util.UserError;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;

/** Which incorrect answers the negative head (and DPO) train on. */
public enum NegativeStrategy {
    /** The first listed wrong choice(s). */
    FIRST("first"),
    /** Every wrong choice. */
    ALL("all"),
    /** The wrong choice(s) the base model finds most likely. */
    NEAR_MISS("near-miss"),
    /** The wrong choice(s) the base model finds least likely. */
    FAR("far"),
    /** Correct answers of other questions. */
    RANDOM_OTHER("random-other");

    private final String label;

    NegativeStrategy(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static NegativeStrategy parse(String name) {
        for (NegativeStrategy s : values()) {
            if (s.label.equals(name.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new UserError("unknown negative strategy '" + name + "' (known: first, all, near-miss, far, "
                + "random-other)");
    }

    /**
     * The negative answers of one question.
     *
     * @param baseScores    log p_base of each choice (used by near-miss and far; may be null otherwise)
     * @param count         negatives per question (ignored by {@code all})
     * @param pool          questions whose answers {@code random-other} draws from
     * @param contamination probability that each negative is replaced by the correct answer
     */
    public List<String> select(MultipleChoiceQuestion q, double[] baseScores, int count,
                               List<MultipleChoiceQuestion> pool, double contamination, Random random) {
        List<Integer> wrong = IntStream.range(0, q.choiceCount()).filter(i -> i != q.answer()).boxed()
                .collect(java.util.stream.Collectors.toCollection(ArrayList::new));
        List<String> out = new ArrayList<>();
        switch (this) {
            case FIRST -> wrong.stream().limit(count).forEach(i -> out.add(q.choices().get(i)));
            case ALL -> wrong.forEach(i -> out.add(q.choices().get(i)));
            case NEAR_MISS, FAR -> {
                if (baseScores == null) {
                    throw new IllegalArgumentException(label + " needs the base model's scores");
                }
                Comparator<Integer> byLikelihood = Comparator.comparingDouble(i -> baseScores[i]);
                wrong.sort(this == NEAR_MISS ? byLikelihood.reversed() : byLikelihood);
                wrong.stream().limit(count).forEach(i -> out.add(q.choices().get(i)));
            }
            case RANDOM_OTHER -> {
                boolean anyOther = pool.stream().anyMatch(o -> o != q
                        && !o.correctChoice().equals(q.correctChoice()));
                if (!anyOther) {
                    throw new UserError("random-other negatives need another training question with a different "
                            + "correct answer than question " + q.id());
                }
                while (out.size() < count) {
                    MultipleChoiceQuestion other = pool.get(random.nextInt(pool.size()));
                    if (other != q && !other.correctChoice().equals(q.correctChoice())) {
                        out.add(other.correctChoice());
                    }
                }
            }
            default -> throw new IllegalStateException();
        }
        for (int i = 0; i < out.size(); i++) {
            if (contamination > 0 && random.nextDouble() < contamination) {
                out.set(i, q.correctChoice());
            }
        }
        return out;
    }
}
