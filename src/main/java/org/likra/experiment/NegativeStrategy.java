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
    RANDOM_OTHER("random-other"),
    /** Wrong choices drawn uniformly at random (the authors' DPO recipe: a random rejected answer). */
    RANDOM("random"),
    /** Choices tagged {@code near-miss}, then {@code misconception}, then any other wrong choice. */
    TAG_NEAR_MISS("tag:near-miss"),
    /** Choices tagged {@code far}, then {@code near-miss}, then any other wrong choice. */
    TAG_FAR("tag:far"),
    /** Choices tagged {@code misconception}, then {@code near-miss}, then any other wrong choice. */
    TAG_MISCONCEPTION("tag:misconception");

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
        throw new UserError("unknown negative strategy '" + name + "' (known: "
                + String.join(", ", java.util.Arrays.stream(values()).map(NegativeStrategy::label).toList()) + ")");
    }

    /** Whether this strategy reads the choices' tags (and so needs tagged questions). */
    public boolean needsTags() {
        return this == TAG_NEAR_MISS || this == TAG_FAR || this == TAG_MISCONCEPTION;
    }

    /** Up to {@code count} wrong choices: those tagged {@code first}, then {@code second}, then the rest, each in
     * listed order. */
    private static void byTags(MultipleChoiceQuestion q, List<Integer> wrong, int count, List<String> out,
                               String first, String second) {
        if (!q.hasTags()) {
            throw new UserError("question " + q.id() + " has no tags; the tag:… negative strategies need tagged "
                    + "questions (the synthetic benchmark's)");
        }
        List<Integer> ordered = new ArrayList<>();
        wrong.stream().filter(i -> first.equals(q.tags().get(i))).forEach(ordered::add);
        wrong.stream().filter(i -> second.equals(q.tags().get(i))).forEach(ordered::add);
        wrong.stream().filter(i -> !ordered.contains(i)).forEach(ordered::add);
        ordered.stream().limit(count).forEach(i -> out.add(q.choices().get(i)));
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
            case RANDOM -> {
                List<Integer> shuffled = new ArrayList<>(wrong);
                java.util.Collections.shuffle(shuffled, random);
                shuffled.stream().limit(count).forEach(i -> out.add(q.choices().get(i)));
            }
            case TAG_NEAR_MISS -> byTags(q, wrong, count, out, MultipleChoiceQuestion.TAG_NEAR_MISS,
                    MultipleChoiceQuestion.TAG_MISCONCEPTION);
            case TAG_FAR -> byTags(q, wrong, count, out, MultipleChoiceQuestion.TAG_FAR,
                    MultipleChoiceQuestion.TAG_NEAR_MISS);
            case TAG_MISCONCEPTION -> byTags(q, wrong, count, out, MultipleChoiceQuestion.TAG_MISCONCEPTION,
                    MultipleChoiceQuestion.TAG_NEAR_MISS);
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
