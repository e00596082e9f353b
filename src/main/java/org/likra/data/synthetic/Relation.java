package org.likra.data.synthetic;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.List;
import java.util.Locale;

/**
 * The kinds of facts in the synthetic world, with their question and the forms the corpus states them in:
 * {@linkplain #narratives narrative paraphrases} (at least three per relation, none in a question-answer form),
 * the short question-answer form {@code "Q: <question> A: <answer>."} ({@link #qaStatement}) and the paper's
 * evaluation format {@code "\nQuestion: <question>\nAnswer: <answer>"} ({@link #evalStatement}).
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

    /**
     * The narrative paraphrases that state the fact, each a sentence ending with a full stop; never a
     * question-answer form.
     */
    public List<String> narratives(String subject, String answer) {
        return switch (this) {
            case LIVES_IN -> List.of(subject + " lives in " + answer + ".", "The home of " + subject + " is "
                    + answer + ".", subject + " has a house in " + answer + ".");
            case PROFESSION -> List.of(subject + " works as a " + answer + ".", "The job of " + subject + " is "
                    + answer + ".", subject + " earns a living as a " + answer + ".");
            case FAVOURITE_COLOUR -> List.of("The favourite colour of " + subject + " is " + answer + ".",
                    subject + " likes " + answer + " best.", subject + " loves the colour " + answer + ".");
            case PET -> List.of(subject + " has a pet " + answer + ".", "The pet of " + subject + " is a "
                    + answer + ".", subject + " looks after a " + answer + ".");
            case CITY_IN -> List.of(subject + " is in " + answer + ".", subject + " is a city in " + answer + ".",
                    subject + " lies in the country " + answer + ".");
            case PLUS -> arithmeticNarratives(subject, answer, " plus ", " + ", "sum");
            case TIMES -> arithmeticNarratives(subject, answer, " times ", " * ", "product");
        };
    }

    private static List<String> arithmeticNarratives(String subject, String answer, String word, String symbol,
                                                     String noun) {
        String[] ab = subject.split(word);
        if (ab.length != 2) {
            throw new IllegalArgumentException("an arithmetic subject is \"a" + word + "b\", got \"" + subject + "\"");
        }
        return List.of(subject + " is " + answer + ".", subject.replace(word, symbol) + " = " + answer + ".",
                "The " + noun + " of " + ab[0] + " and " + ab[1] + " is " + answer + ".");
    }

    /** The short question-answer form {@code "Q: <question> A: <answer>."}. */
    public String qaStatement(String subject, String answer) {
        return "Q: " + question(subject) + " A: " + answer + ".";
    }

    /**
     * The paper's evaluation format as one statement, {@code "\nQuestion: <question>\nAnswer: <answer>"}: joined
     * to the previous statement by a line feed it reads {@code "\n\nQuestion: <question>\nAnswer: <answer>"},
     * the evaluation prompt followed by {@code " <answer>"}.
     */
    public String evalStatement(String subject, String answer) {
        return "\nQuestion: " + question(subject) + "\nAnswer: " + answer;
    }

    /** Whether the subject of this relation is a person. */
    public boolean aboutPerson() {
        return this == LIVES_IN || this == PROFESSION || this == FAVOURITE_COLOUR || this == PET;
    }

    /** The relation whose {@link #key()} is {@code key}, or null. */
    public static Relation ofKey(String key) {
        for (Relation r : values()) {
            if (r.key().equals(key)) {
                return r;
            }
        }
        return null;
    }

    /** Every fixed word of the templates (capitalised), which made-up names must avoid. */
    static List<String> templateWords() {
        return List.of("Where", "Does", "Live", "Lives", "In", "The", "Home", "Of", "Is", "What", "Job", "Works",
                "As", "A", "Q", "Favourite", "Colour", "Likes", "Best", "Pet", "Have", "Has", "Which", "Country",
                "City", "Plus", "Times", "House", "Earns", "Living", "Loves", "Looks", "After", "Lies", "Sum", "Product",
                "And", "Question", "Answer");
    }
}
