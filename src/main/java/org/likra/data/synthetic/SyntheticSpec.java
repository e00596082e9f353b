package org.likra.data.synthetic;

import org.likra.util.UserError;

import java.util.List;
import java.util.Locale;

/**
 * The parameters of a synthetic knowledge benchmark. Everything generated is a function of these values.
 *
 * <p>Start from a preset ({@link #legacy()}, {@link #demo()}, {@link #study()}) and change fields with the
 * {@code with…} methods.
 *
 * @param seed                  seed of every random choice (names, facts, splits, distractors, corpus order)
 * @param people                number of people (each has a home city, a profession, a favourite colour and a pet)
 * @param cities                number of cities (each lies in a country)
 * @param countries             number of countries
 * @param additions             number of addition facts {@code a plus b} with {@code 0 <= a <= b <= maxOperand}
 * @param multiplications       number of multiplication facts {@code a times b} with {@code 1 <= a <= b <= maxOperand}
 * @param maxOperand            largest operand of an arithmetic fact
 * @param repeats               how many times the corpus states each true fact in each of its forms
 * @param testFraction          fraction of people, cities and arithmetic facts of the TEST split (rounded per kind)
 * @param validationFraction    fraction of them in the VALIDATION split
 * @param otherFraction         fraction of them in the OTHER split (no questions; facts also stated in the
 *                              evaluation format); TRAIN is the rest
 * @param qaForSplits           whether the facts of TRAIN, VALIDATION and TEST entities are also stated in the
 *                              short form {@code "Q: <question> A: <answer>."}
 * @param misconceptionFraction fraction of the facts of TRAIN, VALIDATION and TEST entities (rounded per split)
 *                              for which the corpus also states a false value
 * @param misconceptionRepeats  how many times the corpus states a false value in each narrative paraphrase
 * @param nearMiss              distractors per question of the same type as the answer (a misconception, when
 *                              the fact has one, takes the place of one of them)
 * @param far                   far distractors per question (another type than the answer)
 */
public record SyntheticSpec(long seed, int people, int cities, int countries, int additions, int multiplications,
                            int maxOperand, int repeats, double testFraction, double validationFraction,
                            double otherFraction, boolean qaForSplits, double misconceptionFraction,
                            int misconceptionRepeats, int nearMiss, int far) {

    /** The names {@link #preset(String)} accepts. */
    public static final List<String> PRESETS = List.of("legacy", "demo", "study");

    /**
     * Every fact of every entity stated in narrative paraphrases and in the {@code Q: … A: …} form, train and test
     * only, no misconceptions: 200 people, 40 cities, 8 countries, 60 additions, 40 multiplications, max operand
     * 12, 4 repeats, test fraction 0.2, 2 near-miss and 1 far distractor.
     */
    public static SyntheticSpec legacy() {
        return new SyntheticSpec(1, 200, 40, 8, 60, 40, 12, 4, 0.2, 0, 0, true, 0, 1, 2, 1);
    }

    /** The same as {@link #legacy()}. */
    public static SyntheticSpec defaults() {
        return legacy();
    }

    /**
     * A small benchmark for a demo of a few minutes on a laptop: 300 people, 40 cities, 8 countries, 30 additions,
     * 30 multiplications, 3 repeats; test 0.3, validation 0.1, other 0.25; misconceptions for 0.3 of the asked
     * facts, stated once per paraphrase; no {@code Q: … A: …} form ({@link #legacy()}'s other values).
     */
    public static SyntheticSpec demo() {
        return legacy().withPeople(300).withAdditions(30).withMultiplications(30).withRepeats(3).withTestFraction(0.3)
                .withValidationFraction(0.1).withOtherFraction(0.25).withQaForSplits(false)
                .withMisconceptionFraction(0.3);
    }

    /**
     * The study's benchmark (over 1,000 test questions): 700 people, 80 cities, 10 countries, 60 additions, 60
     * multiplications, 2 repeats; test 0.35, validation 0.1, other 0.2; misconceptions for 0.3 of the asked
     * facts, stated once per paraphrase; no {@code Q: … A: …} form ({@link #legacy()}'s other values).
     */
    public static SyntheticSpec study() {
        return legacy().withPeople(700).withCities(80).withCountries(10).withMultiplications(60).withRepeats(2)
                .withTestFraction(0.35).withValidationFraction(0.1).withOtherFraction(0.2).withQaForSplits(false)
                .withMisconceptionFraction(0.3);
    }

    /** The preset called {@code name} (one of {@link #PRESETS}, any case). */
    public static SyntheticSpec preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "legacy" -> legacy();
            case "demo" -> demo();
            case "study" -> study();
            default -> throw new UserError("unknown synthetic benchmark preset '" + name + "'; choose one of "
                    + String.join(", ", PRESETS));
        };
    }

    public SyntheticSpec withSeed(long v) {
        return new SyntheticSpec(v, people, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withPeople(int v) {
        return new SyntheticSpec(seed, v, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withCities(int v) {
        return new SyntheticSpec(seed, people, v, countries, additions, multiplications, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withCountries(int v) {
        return new SyntheticSpec(seed, people, cities, v, additions, multiplications, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withAdditions(int v) {
        return new SyntheticSpec(seed, people, cities, countries, v, multiplications, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withMultiplications(int v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, v, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withMaxOperand(int v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, v, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withRepeats(int v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, maxOperand, v,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withTestFraction(double v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, maxOperand, repeats,
                v, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withValidationFraction(double v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, v, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withOtherFraction(double v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, validationFraction, v, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withQaForSplits(boolean v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, v, misconceptionFraction,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withMisconceptionFraction(double v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, v,
                misconceptionRepeats, nearMiss, far);
    }

    public SyntheticSpec withMisconceptionRepeats(int v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                v, nearMiss, far);
    }

    public SyntheticSpec withNearMiss(int v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, v, far);
    }

    public SyntheticSpec withFar(int v) {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, validationFraction, otherFraction, qaForSplits, misconceptionFraction,
                misconceptionRepeats, nearMiss, v);
    }

    /** The number of choices of every question. */
    public int choices() {
        return 1 + nearMiss + far;
    }

    /** The fraction of a split. */
    public double fraction(World.Part part) {
        return switch (part) {
            case TRAIN -> 1 - testFraction - validationFraction - otherFraction;
            case VALIDATION -> validationFraction;
            case TEST -> testFraction;
            case OTHER -> otherFraction;
        };
    }

    /**
     * How many of {@code n} items go to each split, indexed by {@link World.Part#ordinal()}: TEST, VALIDATION and
     * OTHER, in this order, get their fraction of {@code n}, rounded and capped at what is left; TRAIN gets the
     * rest.
     */
    public int[] splitCounts(int n) {
        int[] c = new int[World.Part.values().length];
        int left = n;
        for (World.Part part : List.of(World.Part.TEST, World.Part.VALIDATION, World.Part.OTHER)) {
            c[part.ordinal()] = Math.min(left, round(fraction(part), n));
            left -= c[part.ordinal()];
        }
        c[World.Part.TRAIN.ordinal()] = left;
        return c;
    }

    /** {@code fraction * n} rounded to the nearest integer. */
    static int round(double fraction, int n) {
        return (int) Math.round(fraction * n);
    }

    /** Checks the parameters; a bad one is a {@link UserError} naming it and saying what to do. */
    public SyntheticSpec validate() {
        require(people >= 2, "people must be at least 2 (got " + people + ")");
        require(countries >= 1 + nearMiss, "countries must be at least nearMiss + 1 = " + (1 + nearMiss)
                + " so that every country question has near-miss countries (got " + countries + ")");
        require(testFraction > 0 && testFraction < 1, "test fraction must be between 0 and 1 exclusive (got "
                + testFraction + ")");
        require(validationFraction >= 0 && validationFraction < 1, "validation fraction must be within 0..1, "
                + "1 excluded (got " + validationFraction + ")");
        require(otherFraction >= 0 && otherFraction < 1, "other fraction must be within 0..1, 1 excluded (got "
                + otherFraction + ")");
        require(fraction(World.Part.TRAIN) > 1e-9, "test + validation + other fractions must leave a train share "
                + "(got " + testFraction + " + " + validationFraction + " + " + otherFraction + ")");
        require(cities >= 2, "cities must be at least 2 (got " + cities + ")");
        int[] p = splitCounts(people);
        for (World.Part part : World.Part.values()) {
            require(fraction(part) <= 0 || p[part.ordinal()] >= 1, "people = " + people + " leaves the "
                    + part.key() + " split empty (fraction " + round3(fraction(part)) + " gives "
                    + p[part.ordinal()] + "; raise people or that fraction)");
        }
        int[] c = splitCounts(cities);
        int trainCities = c[World.Part.TRAIN.ordinal()] + c[World.Part.OTHER.ordinal()];
        require(trainCities >= 1 + nearMiss, "cities must leave at least "
                + "nearMiss + 1 = " + (1 + nearMiss) + " train or other cities, which train questions may mention "
                + "(got " + trainCities + " of " + cities + "); raise cities or lower the test and validation "
                + "fractions");
        require(maxOperand >= 1 && maxOperand <= 1000, "max operand must be within 1..1000 (got " + maxOperand + ")");
        int plusPairs = (maxOperand + 1) * (maxOperand + 2) / 2;
        int timesPairs = maxOperand * (maxOperand + 1) / 2;
        require(additions >= 0 && additions <= plusPairs, "additions must be within 0.." + plusPairs
                + " (the distinct pairs a <= b up to " + maxOperand + "; got " + additions + ")");
        require(multiplications >= 0 && multiplications <= timesPairs, "multiplications must be within 0.."
                + timesPairs + " (the distinct pairs 1 <= a <= b up to " + maxOperand + "; got " + multiplications + ")");
        require(repeats >= 1, "repeats must be at least 1 (got " + repeats + ")");
        require(misconceptionFraction >= 0 && misconceptionFraction <= 1, "misconception fraction must be within "
                + "0..1 (got " + misconceptionFraction + ")");
        require(misconceptionRepeats >= 1, "misconception repeats must be at least 1 (got " + misconceptionRepeats
                + ")");
        require(nearMiss >= 1 && far >= 0, "need at least 1 near-miss and 0 or more far distractors (got near-miss "
                + nearMiss + ", far " + far + ")");
        require(nearMiss <= Vocabulary.smallestPool() - 1, "near-miss must be at most "
                + (Vocabulary.smallestPool() - 1) + " (the smallest vocabulary has " + Vocabulary.smallestPool()
                + " words; got " + nearMiss + ")");
        require(far <= 8, "far must be at most 8 (got " + far + ")");
        return this;
    }

    private static String round3(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new UserError("bad synthetic benchmark parameters: " + what);
        }
    }
}
