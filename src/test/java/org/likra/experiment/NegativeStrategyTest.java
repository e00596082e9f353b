package org.likra.experiment;

import org.junit.jupiter.api.Test;
import org.likra.data.MultipleChoiceQuestion;
import org.likra.util.UserError;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which wrong answers the negative head sees: the tag strategies' order of preference, and random draws. */
class NegativeStrategyTest {
    /** Six choices, the correct one in the middle: far, near-miss, correct, misconception, far, near-miss. */
    static final MultipleChoiceQuestion TAGGED = new MultipleChoiceQuestion("q1", "Where does Ada live?",
            List.of("blue", "Paris", "Rome", "Lyon", "seven", "Oslo"), 2,
            List.of("far", "near-miss", "correct", "misconception", "far", "near-miss"), null);

    private static List<String> pick(NegativeStrategy s, MultipleChoiceQuestion q, int count) {
        return s.select(q, null, count, List.of(q), 0, new Random(1));
    }

    @Test
    void tagNearMissTakesNearMissesThenMisconceptionsThenTheRest() {
        assertEquals(List.of("Paris"), pick(NegativeStrategy.TAG_NEAR_MISS, TAGGED, 1));
        assertEquals(List.of("Paris", "Oslo"), pick(NegativeStrategy.TAG_NEAR_MISS, TAGGED, 2));
        assertEquals(List.of("Paris", "Oslo", "Lyon", "blue", "seven"), pick(NegativeStrategy.TAG_NEAR_MISS,
                TAGGED, 16));
    }

    @Test
    void tagFarTakesFarThenNearMissesThenTheRest() {
        assertEquals(List.of("blue"), pick(NegativeStrategy.TAG_FAR, TAGGED, 1));
        assertEquals(List.of("blue", "seven", "Paris"), pick(NegativeStrategy.TAG_FAR, TAGGED, 3));
        assertEquals(List.of("blue", "seven", "Paris", "Oslo", "Lyon"), pick(NegativeStrategy.TAG_FAR, TAGGED, 5));
    }

    @Test
    void tagMisconceptionTakesTheMisconceptionThenNearMissesThenTheRest() {
        assertEquals(List.of("Lyon"), pick(NegativeStrategy.TAG_MISCONCEPTION, TAGGED, 1));
        assertEquals(List.of("Lyon", "Paris", "Oslo", "blue"), pick(NegativeStrategy.TAG_MISCONCEPTION, TAGGED, 4));
    }

    @Test
    void tagStrategiesFallBackWhenTheirTagIsAbsent() {
        // No misconception and no far choice: each falls back to its second tag, then to the listed order.
        MultipleChoiceQuestion q = new MultipleChoiceQuestion("q2", "2 + 2 =", List.of("5", "4", "3", "x"), 1,
                List.of("other", "correct", "near-miss", "other"), null);
        assertEquals(List.of("3"), pick(NegativeStrategy.TAG_MISCONCEPTION, q, 1));
        assertEquals(List.of("3", "5", "x"), pick(NegativeStrategy.TAG_FAR, q, 3));
        assertEquals(List.of("3", "5"), pick(NegativeStrategy.TAG_NEAR_MISS, q, 2));
        MultipleChoiceQuestion onlyOthers = new MultipleChoiceQuestion("q3", "?", List.of("a", "b", "c"), 0,
                List.of("correct", "other", "other"), null);
        for (NegativeStrategy s : List.of(NegativeStrategy.TAG_NEAR_MISS, NegativeStrategy.TAG_FAR,
                NegativeStrategy.TAG_MISCONCEPTION)) {
            assertEquals(List.of("b", "c"), pick(s, onlyOthers, 5), s.label());
        }
    }

    @Test
    void tagStrategiesRefuseUntaggedQuestions() {
        MultipleChoiceQuestion plain = new MultipleChoiceQuestion("plain-7", "?", List.of("a", "b", "c"), 0);
        for (NegativeStrategy s : NegativeStrategy.values()) {
            assertEquals(s.label().startsWith("tag:"), s.needsTags(), s.label());
            if (!s.needsTags()) {
                continue;
            }
            UserError e = assertThrows(UserError.class, () -> pick(s, plain, 1), s.label());
            assertTrue(e.getMessage().contains("plain-7"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void randomIsDeterministicForASeedAndNeverTheCorrectAnswer() {
        Set<String> seen = new HashSet<>();
        for (long seed = 0; seed < 200; seed++) {
            List<String> a = NegativeStrategy.RANDOM.select(TAGGED, null, 2, List.of(TAGGED), 0, new Random(seed));
            List<String> b = NegativeStrategy.RANDOM.select(TAGGED, null, 2, List.of(TAGGED), 0, new Random(seed));
            assertEquals(a, b, "seed " + seed);
            assertEquals(2, a.size());
            assertEquals(2, new HashSet<>(a).size(), "two distinct wrong answers: " + a);
            assertFalse(a.contains("Rome"), "the correct answer was drawn: " + a);
            seen.addAll(a);
        }
        assertEquals(Set.of("blue", "Paris", "Lyon", "seven", "Oslo"), seen, "every wrong answer can be drawn");
        // More than there are: every wrong answer once.
        List<String> all = NegativeStrategy.RANDOM.select(TAGGED, null, 9, List.of(TAGGED), 0, new Random(3));
        assertEquals(Set.of("blue", "Paris", "Lyon", "seven", "Oslo"), new HashSet<>(all));
        assertEquals(5, all.size());
        // Untagged questions are fine.
        MultipleChoiceQuestion plain = new MultipleChoiceQuestion("p", "?", List.of("a", "b", "c"), 1);
        for (long seed = 0; seed < 50; seed++) {
            assertFalse(NegativeStrategy.RANDOM.select(plain, null, 1, List.of(plain), 0, new Random(seed))
                    .contains("b"));
        }
    }

    @Test
    void randomDependsOnTheSeed() {
        Set<List<String>> draws = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            draws.add(NegativeStrategy.RANDOM.select(TAGGED, null, 1, List.of(TAGGED), 0, new Random(seed)));
        }
        assertTrue(draws.size() > 1, "every seed drew the same answer: " + draws);
    }

    @Test
    void contaminationSwapsNegativesForTheCorrectAnswer() {
        assertEquals(List.of("Rome", "Rome"), NegativeStrategy.TAG_FAR.select(TAGGED, null, 2, List.of(TAGGED), 1.0,
                new Random(1)));
    }

    @Test
    void parseKnowsEveryLabelInAnyCaseAndNamesTheKnownOnes() {
        for (NegativeStrategy s : NegativeStrategy.values()) {
            assertEquals(s, NegativeStrategy.parse(s.label()));
            assertEquals(s, NegativeStrategy.parse(s.label().toUpperCase(java.util.Locale.ROOT)));
        }
        UserError e = assertThrows(UserError.class, () -> NegativeStrategy.parse("tag:nearmiss"));
        assertTrue(e.getMessage().contains("tag:near-miss"), e.getMessage());
    }
}
