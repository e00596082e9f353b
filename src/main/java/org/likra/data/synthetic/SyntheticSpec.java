package org.likra.data.synthetic;

import org.likra.util.UserError;

/**
 * The parameters of a synthetic knowledge benchmark. Everything generated is a function of these values.
 *
 * @param seed            seed of every random choice (names, facts, splits, distractors, corpus order)
 * @param people          number of people (each has a home city, a profession, a favourite colour and a pet)
 * @param cities          number of cities (each lies in a country)
 * @param countries       number of countries
 * @param additions       number of addition facts {@code a plus b} with {@code 0 <= a <= b <= maxOperand}
 * @param multiplications number of multiplication facts {@code a times b} with {@code 1 <= a <= b <= maxOperand}
 * @param maxOperand      largest operand of an arithmetic fact
 * @param repeats         how many times the corpus states each fact in each of its paraphrases
 * @param testFraction    fraction of people, cities and arithmetic facts whose questions are held out for test
 * @param nearMiss        near-miss distractors per question (same type as the answer)
 * @param far             far distractors per question (another type than the answer)
 */
public record SyntheticSpec(long seed, int people, int cities, int countries, int additions, int multiplications,
                            int maxOperand, int repeats, double testFraction, int nearMiss, int far) {

    /** The defaults: about 350 KB of corpus, 940 questions (752 train, 188 test). */
    public static SyntheticSpec defaults() {
        return new SyntheticSpec(1, 200, 40, 8, 60, 40, 12, 4, 0.2, 2, 1);
    }

    /** These parameters with another seed. */
    public SyntheticSpec withSeed(long newSeed) {
        return new SyntheticSpec(newSeed, people, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, nearMiss, far);
    }

    /** The number of choices of every question. */
    public int choices() {
        return 1 + nearMiss + far;
    }

    /** Number of held-out items out of {@code n}. */
    static int testCount(int n, double fraction) {
        return (int) Math.round(fraction * n);
    }

    /** Checks the parameters; a bad one is a {@link UserError} naming it and saying what to do. */
    public SyntheticSpec validate() {
        require(people >= 2, "people must be at least 2 (got " + people + ")");
        require(countries >= 1 + nearMiss, "countries must be at least nearMiss + 1 = " + (1 + nearMiss)
                + " so that every country question has near-miss countries (got " + countries + ")");
        require(testFraction > 0 && testFraction < 1, "test fraction must be between 0 and 1 exclusive (got "
                + testFraction + ")");
        require(cities >= 2, "cities must be at least 2 (got " + cities + ")");
        int trainCities = cities - testCount(cities, testFraction);
        require(trainCities >= 1 + nearMiss, "cities must leave at least nearMiss + 1 = " + (1 + nearMiss)
                + " cities outside the test split (got " + trainCities + " of " + cities + "); raise cities");
        require(testCount(people, testFraction) >= 1 && testCount(people, testFraction) < people,
                "people = " + people + " with test fraction " + testFraction + " leaves an empty split");
        require(maxOperand >= 1 && maxOperand <= 1000, "max operand must be within 1..1000 (got " + maxOperand + ")");
        int plusPairs = (maxOperand + 1) * (maxOperand + 2) / 2;
        int timesPairs = maxOperand * (maxOperand + 1) / 2;
        require(additions >= 0 && additions <= plusPairs, "additions must be within 0.." + plusPairs
                + " (the distinct pairs a <= b up to " + maxOperand + "; got " + additions + ")");
        require(multiplications >= 0 && multiplications <= timesPairs, "multiplications must be within 0.."
                + timesPairs + " (the distinct pairs 1 <= a <= b up to " + maxOperand + "; got " + multiplications + ")");
        require(repeats >= 1, "repeats must be at least 1 (got " + repeats + ")");
        require(nearMiss >= 1 && far >= 0, "need at least 1 near-miss and 0 or more far distractors (got near-miss "
                + nearMiss + ", far " + far + ")");
        require(nearMiss <= Vocabulary.smallestPool() - 1, "near-miss must be at most "
                + (Vocabulary.smallestPool() - 1) + " (the smallest vocabulary has " + Vocabulary.smallestPool()
                + " words; got " + nearMiss + ")");
        require(far <= 8, "far must be at most 8 (got " + far + ")");
        return this;
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new UserError("bad synthetic benchmark parameters: " + what);
        }
    }
}
