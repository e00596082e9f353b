package org.likra.data.synthetic;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.List;
import java.util.Locale;

/**
 * The kinds of facts in the synthetic world, with their question and the paraphrases the corpus states them in.
 * Every relation has a small fixed set of templates; the last paraphrase is always the question-answer form
 * {@code "Q: <question> A: <answer>."}, so the prompt of a multiple-choice question also appears in the corpus.
 */
public enum Relation {
    /** A person's home city. */
    LIVES_IN(ValueType.CITY),
    /** A person's profession. */
    PROFESSION(ValueType.PROFESSION),
    /** A person's favourite colour. */
    FAVOURITE_COLOUR(ValueType.COLOUR),
    /** A person's pet. */
    PET(ValueType.ANIMAL),
    /** The country a city lies in. */
    CITY_IN(ValueType.COUNTRY),
    /** {@code a plus b}; the subject is the phrase "a plus b". */
    PLUS(ValueType.NUMBER),
    /** {@code a times b}; the subject is the phrase "a times b". */
    TIMES(ValueType.NUMBER);

    private final ValueType answerType;

    Relation(ValueType answerType) {
        this.answerType = answerType;
    }

    /** The kind of the answer. */
    public ValueType answerType() {
        return answerType;
    }

    /** The name used in files: {@code lives_in}, {@code plus}, ... */
    @JsonValue
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The question about {@code subject}, e.g. "Where does Tomar live?". */
    public String question(String subject) {
        return switch (this) {
            case LIVES_IN -> "Where does " + subject + " live?";
            case PROFESSION -> "What is the job of " + subject + "?";
            case FAVOURITE_COLOUR -> "What is the favourite colour of " + subject + "?";
            case PET -> "What pet does " + subject + " have?";
            case CITY_IN -> "Which country is " + subject + " in?";
            case PLUS, TIMES -> "What is " + subject + "?";
        };
    }

    /** The sentences that state the fact, each ending with a full stop; the last one is the Q/A form. */
    public List<String> statements(String subject, String answer) {
        String qa = "Q: " + question(subject) + " A: " + answer + ".";
        return switch (this) {
            case LIVES_IN -> List.of(subject + " lives in " + answer + ".", "The home of " + subject + " is "
                    + answer + ".", qa);
            case PROFESSION -> List.of(subject + " works as a " + answer + ".", "The job of " + subject + " is "
                    + answer + ".", qa);
            case FAVOURITE_COLOUR -> List.of("The favourite colour of " + subject + " is " + answer + ".",
                    subject + " likes " + answer + " best.", qa);
            case PET -> List.of(subject + " has a pet " + answer + ".", "The pet of " + subject + " is a "
                    + answer + ".", qa);
            case CITY_IN -> List.of(subject + " is in " + answer + ".", subject + " is a city in " + answer + ".",
                    qa);
            case PLUS -> List.of(subject + " is " + answer + ".", subject.replace(" plus ", " + ") + " = "
                    + answer + ".", qa);
            case TIMES -> List.of(subject + " is " + answer + ".", subject.replace(" times ", " * ") + " = "
                    + answer + ".", qa);
        };
    }

    /** Every fixed word of the templates (capitalised), which made-up names must avoid. */
    static List<String> templateWords() {
        return List.of("Where", "Does", "Live", "Lives", "In", "The", "Home", "Of", "Is", "What", "Job", "Works",
                "As", "A", "Q", "Favourite", "Colour", "Likes", "Best", "Pet", "Have", "Has", "Which", "Country",
                "City", "Plus", "Times");
    }
}
