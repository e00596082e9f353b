package org.likra.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One multiple-choice question: a prompt, its choices and the index of the correct one.
 *
 * @param id       identifier, unique within its set (never blank)
 * @param question the question text (the prompt the choices continue), not blank
 * @param choices  the answer texts, at least two, none blank (they may repeat: see {@link #repeatedChoice})
 * @param answer   index into {@code choices} of the correct answer
 * @param tags     optional per-choice tags parallel to {@code choices} (for example {@link #TAG_CORRECT},
 *                 {@link #TAG_NEAR_MISS}, {@link #TAG_FAR},
 *                 {@link #TAG_MISCONCEPTION}); empty when the source has none
 * @param subject  optional subject or source (an MMLU subject, an ARC set, a synthetic relation); may be null
 */
public record MultipleChoiceQuestion(String id, String question, List<String> choices, int answer,
                                     List<String> tags, String subject) {

    /** Tag of the correct choice in tagged questions. */
    public static final String TAG_CORRECT = "correct";
    /** Tag of a plausible distractor of the same kind as the answer (another city, a number off by one). */
    public static final String TAG_NEAR_MISS = "near-miss";
    /** Tag of a distractor of another kind than the answer (a colour for a city question). */
    public static final String TAG_FAR = "far";
    /**
     * Tag of a distractor that is a wrong belief the source states as true (in the synthetic benchmark, the false
     * value its corpus states for the fact); it takes the place of one near-miss.
     */
    public static final String TAG_MISCONCEPTION = "misconception";

    /**
     * Validates and copies the lists.
     *
     * @throws IllegalArgumentException when a field is missing or inconsistent (readers turn this into a
     *                                  {@link org.likra.util.UserError} naming file and line)
     */
    public MultipleChoiceQuestion {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("question id is missing or blank");
        }
        Objects.requireNonNull(question, "question");
        if (question.isBlank()) {
            throw new IllegalArgumentException("question " + id + " has an empty question text");
        }
        if (choices == null || choices.size() < 2) {
            throw new IllegalArgumentException("question " + id + " needs at least 2 choices, has "
                    + (choices == null ? 0 : choices.size()));
        }
        for (int i = 0; i < choices.size(); i++) {
            if (choices.get(i) == null) {
                throw new IllegalArgumentException("question " + id + " has a null choice");
            }
            if (choices.get(i).isBlank()) {
                // An empty answer has no tokens, so its log-likelihood is 0 and it would always win.
                throw new IllegalArgumentException("question " + id + ": choice " + i + " is empty; every choice "
                        + "needs text");
            }
        }
        if (answer < 0 || answer >= choices.size()) {
            throw new IllegalArgumentException("question " + id + ": answer index " + answer
                    + " is out of range 0.." + (choices.size() - 1));
        }
        tags = tags == null ? List.of() : tags;
        if (!tags.isEmpty() && tags.size() != choices.size()) {
            throw new IllegalArgumentException("question " + id + " has " + tags.size() + " tags for "
                    + choices.size() + " choices (give one tag per choice, or none)");
        }
        for (String t : tags) {
            if (t == null) {
                throw new IllegalArgumentException("question " + id + " has a null tag");
            }
        }
        choices = List.copyOf(choices);
        tags = List.copyOf(tags);
    }

    /** A question without tags or subject. */
    public MultipleChoiceQuestion(String id, String question, List<String> choices, int answer) {
        this(id, question, choices, answer, List.of(), null);
    }

    /**
     * The index of the first choice whose text equals an earlier choice's, or -1 when all differ. Identical choices
     * get identical scores, and a tie goes to the first, so such a question is not scored fairly.
     */
    public int repeatedChoice() {
        for (int i = 1; i < choices.size(); i++) {
            if (choices.subList(0, i).contains(choices.get(i))) {
                return i;
            }
        }
        return -1;
    }

    /** The text of the correct choice. */
    public String correctChoice() {
        return choices.get(answer);
    }

    public int choiceCount() {
        return choices.size();
    }

    public boolean hasTags() {
        return !tags.isEmpty();
    }

    /** The tag of choice {@code i}, or null when the question has no tags. */
    public String tag(int i) {
        return tags.isEmpty() ? null : tags.get(i);
    }

    /**
     * Whether choice {@code i} is true: the answer, or another choice tagged {@link #TAG_CORRECT} (a question with
     * several true answers, such as TruthfulQA's MC2 targets).
     */
    public boolean isCorrect(int i) {
        return i == answer || (!tags.isEmpty() && TAG_CORRECT.equals(tags.get(i)));
    }

    /** Whether the question has true choices besides its answer. */
    public boolean hasSeveralCorrect() {
        for (int i = 0; i < choices.size(); i++) {
            if (i != answer && isCorrect(i)) {
                return true;
            }
        }
        return false;
    }

    /** Indices of the incorrect choices, in order (true choices besides the answer are not distractors). */
    public List<Integer> distractorIndices() {
        List<Integer> out = new ArrayList<>(choices.size() - 1);
        for (int i = 0; i < choices.size(); i++) {
            if (!isCorrect(i)) {
                out.add(i);
            }
        }
        return out;
    }

    /** This question with another subject. */
    public MultipleChoiceQuestion withSubject(String newSubject) {
        return new MultipleChoiceQuestion(id, question, choices, answer, tags, newSubject);
    }
}
