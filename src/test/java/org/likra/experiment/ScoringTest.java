package org.likra.experiment;

import org.junit.jupiter.api.Test;
import org.likra.data.MultipleChoiceQuestion;
import org.likra.tokenize.ByteTokenizer;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScoringTest {
    private static final MultipleChoiceQuestion TWO = new MultipleChoiceQuestion("q", "Which?", List.of("aa", "b"),
            0);

    @Test
    void handComputedTwoChoiceExample() {
        // log p under base, positive head, negative head for choices "aa" (correct) and "b".
        double[] base = {-3.0, -1.0};
        double[] pos = {-2.0, -1.5};
        double[] neg = {-4.0, -0.5};
        ChoiceScores s = new ChoiceScores(TWO, base, pos, neg);
        // base: -3 vs -1 -> "b" (wrong); normalised by length: -1.5 vs -1 -> "b".
        assertEquals(1, s.predict(Scorer.BASE, false, 1, 1));
        assertEquals(1, s.predict(Scorer.BASE, true, 1, 1));
        // sft: -2 vs -1.5 -> "b"; normalised: -1 vs -1.5 -> "aa".
        assertEquals(1, s.predict(Scorer.SFT, false, 1, 1));
        assertEquals(0, s.predict(Scorer.SFT, true, 1, 1));
        // likra: (-2 - -4) = 2 vs (-1.5 - -0.5) = -1 -> "aa".
        assertEquals(0, s.predict(Scorer.LIKRA, false, 1, 1));
        // likra with w- = 0 is sft.
        assertEquals(1, s.predict(Scorer.LIKRA, false, 1, 0));
        // base-neg: (-3 + 4) = 1 vs (-1 + 0.5) = -0.5 -> "aa".
        assertEquals(0, s.predict(Scorer.BASE_NEG, false, 1, 1));
        // pos-base: 1 vs -0.5 -> "aa".
        assertEquals(0, s.predict(Scorer.POS_BASE, false, 1, 1));
        assertEquals(2.0 * -2.0 - 0.5 * -4.0, Scorer.LIKRA.score(-3, -2, -4, 2, 0.5), 0);
    }

    @Test
    void swappingTheHeadsFlipsLikraScores() {
        Random r = new Random(3);
        for (int trial = 0; trial < 50; trial++) {
            double[] base = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
            double[] pos = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
            double[] neg = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
            for (int c = 0; c < 3; c++) {
                assertEquals(-Scorer.LIKRA.score(base[c], pos[c], neg[c], 1, 1),
                        Scorer.LIKRA.score(base[c], neg[c], pos[c], 1, 1), 1e-12);
            }
            MultipleChoiceQuestion q = new MultipleChoiceQuestion("q", "?", List.of("x", "y", "z"), 0);
            int best = new ChoiceScores(q, base, pos, neg).predict(Scorer.LIKRA, false, 1, 1);
            int worst = new ChoiceScores(q, base, neg, pos).predict(Scorer.LIKRA, false, 1, 1);
            double[] score = new double[3];
            for (int c = 0; c < 3; c++) {
                score[c] = pos[c] - neg[c];
            }
            assertTrue(score[best] >= score[0] && score[best] >= score[1] && score[best] >= score[2]);
            assertTrue(score[worst] <= score[0] && score[worst] <= score[1] && score[worst] <= score[2]);
        }
    }

    @Test
    void accuracyAndWilsonInterval() {
        Accuracy a = Accuracy.of(8, 10);
        assertEquals(0.8, a.value(), 1e-12);
        // Wilson 95% interval for 8/10: [0.4902, 0.9433]
        assertEquals(0.4902, a.low(), 1e-3);
        assertEquals(0.9433, a.high(), 1e-3);
    }

    @Test
    void negativeStrategies() {
        MultipleChoiceQuestion q = new MultipleChoiceQuestion("q", "?", List.of("w1", "right", "w2", "w3"), 1);
        double[] base = {-5, -1, -2, -9};
        Random r = new Random(1);
        assertEquals(List.of("w1"), NegativeStrategy.FIRST.select(q, null, 1, List.of(), 0, r));
        assertEquals(List.of("w1", "w2", "w3"), NegativeStrategy.ALL.select(q, null, 1, List.of(), 0, r));
        assertEquals(List.of("w2"), NegativeStrategy.NEAR_MISS.select(q, base, 1, List.of(), 0, r));
        assertEquals(List.of("w3", "w1"), NegativeStrategy.FAR.select(q, base, 2, List.of(), 0, r));
        MultipleChoiceQuestion other = new MultipleChoiceQuestion("o", "?", List.of("elsewhere", "no"), 0);
        assertEquals(List.of("elsewhere", "elsewhere"),
                NegativeStrategy.RANDOM_OTHER.select(q, null, 2, List.of(q, other), 0, r));
        assertEquals(List.of("right", "right", "right"), NegativeStrategy.ALL.select(q, null, 1, List.of(), 1.0, r));
        assertThrows(org.likra.util.UserError.class, () -> NegativeStrategy.parse("nearest"));
    }

    @Test
    void sequenceBatchMasksOnlyTheAnswerTokens() {
        SequenceBatch b = SequenceBatch.of(List.of(new Example("Q:", " ab"), new Example("Q: x", " c")),
                new ByteTokenizer(), 64);
        // Row 0: "Q: ab" (5 tokens): inputs "Q: a" predict ": ab"; the answer " ab" is targets 2..4.
        assertEquals(2, b.batch);
        assertEquals(5, b.time);
        assertArrayEquals(new float[] {0, 1, 1, 1, 0}, java.util.Arrays.copyOfRange(b.answerMask, 0, 5));
        assertArrayEquals(new float[] {0, 0, 0, 1, 1}, java.util.Arrays.copyOfRange(b.answerMask, 5, 10));
        assertEquals(' ', b.targets[1]);
        assertEquals('c', b.targets[9]);
        double[] losses = {9, 1, 2, 3, 9, 9, 9, 9, 4, 5};
        assertArrayEquals(new double[] {-6, -9}, b.answerLogProbabilities(losses), 0);
        assertEquals(1f / 5, b.meanWeights()[1], 0);
    }

    @Test
    void longPromptsLoseTokensFromTheLeft() {
        SequenceBatch b = SequenceBatch.of(List.of(new Example("0123456789", " ab")), new ByteTokenizer(), 5);
        // context 5: 6 tokens kept: "789 ab" -> inputs "789 a", targets "89 ab"
        assertEquals(5, b.time);
        assertEquals('7', b.inputs[0]);
        assertEquals('b', b.targets[4]);
        assertEquals(3, b.answerTokens[0]);
    }

    @Test
    void answerTokensExcludeAPrefixTheTokenizerAddsToEveryText() {
        // Like llama2.c's dummy-prefix space: every encoded text starts with token 1.
        org.likra.tokenize.Tokenizer prefixing = new org.likra.tokenize.Tokenizer() {
            private final ByteTokenizer bytes = new ByteTokenizer();

            public int vocabSize() {
                return 256;
            }

            public int[] encode(String text) {
                int[] b = bytes.encode(text);
                int[] out = new int[b.length + 1];
                out[0] = 1;
                System.arraycopy(b, 0, out, 1, b.length);
                return out;
            }

            public String decode(int[] ids) {
                return bytes.decode(ids);
            }

            public int bos() {
                return -1;
            }

            public int eos() {
                return -1;
            }

            public org.likra.tokenize.TokenizerSpec spec() {
                return org.likra.tokenize.TokenizerSpec.BYTE;
            }
        };
        SequenceBatch b = SequenceBatch.of(List.of(new Example("Q:", " ab")), prefixing, 64);
        assertEquals(3, b.answerTokens[0], "the answer is ' ab', not a second prefix");
        assertArrayEquals(new int[] {1, 'Q', ':', ' ', 'a'}, b.inputs);
        assertArrayEquals(new float[] {0, 0, 1, 1, 1}, b.answerMask);
    }

    @Test
    void meanLogLikelihoodsUseTagsOrElseTheBaseModel() {
        MultipleChoiceQuestion tagged = new MultipleChoiceQuestion("t", "?", List.of("a", "b", "c"), 0,
                List.of("correct", "far", "near-miss"), null);
        MultipleChoiceQuestion untagged = new MultipleChoiceQuestion("u", "?", List.of("a", "b", "c"), 1);
        ChoiceScores t = new ChoiceScores(tagged, new double[] {-1, -2, -3}, new double[] {-4, -5, -6},
                new double[] {-7, -8, -9});
        // untagged: wrong choices 0 (base -10) and 2 (base -20): near-miss is 0, far is 2
        ChoiceScores u = new ChoiceScores(untagged, new double[] {-10, -11, -20}, new double[] {-1, -2, -3},
                new double[] {-4, -5, -6});
        var m = LearningCurve.meanLogLikelihoods(List.of(t, u));
        assertEquals((-1 + -11) / 2.0, m.get("base").get("correct"), 1e-12);
        assertEquals((-3 + -10) / 2.0, m.get("base").get("near-miss"), 1e-12);
        assertEquals((-2 + -20) / 2.0, m.get("base").get("far"), 1e-12);
        assertEquals((-6 + -1) / 2.0, m.get("positive").get("near-miss"), 1e-12);
        assertEquals((-8 + -6) / 2.0, m.get("negative").get("far"), 1e-12);
    }
}
