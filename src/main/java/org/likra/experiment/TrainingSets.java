package org.likra.experiment;

import org.likra.data.MultipleChoiceQuestion;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The training data of the three heads, grouped by question: (question, correct answer) for the positive head,
 * (question, negative) for the negative head, and (question, correct, negative) pairs for DPO.
 */
public record TrainingSets(List<List<Example>> positives, List<List<Example>> negatives,
                           List<List<DpoTrainer.Pair>> pairs) {

    /**
     * @param baseScores log p_base of each question's choices (for near-miss / far), or null entries otherwise
     */
    public static TrainingSets build(List<MultipleChoiceQuestion> questions, List<double[]> baseScores,
                                     PromptFormat format, NegativeSelection selection, long seed) {
        Random random = new Random(seed ^ 0x5DEECE66DL);
        List<List<Example>> positives = new ArrayList<>();
        List<List<Example>> negatives = new ArrayList<>();
        List<List<DpoTrainer.Pair>> pairs = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            MultipleChoiceQuestion q = questions.get(i);
            String prompt = format.prompt(q);
            String correct = format.answer(q.correctChoice());
            positives.add(List.of(new Example(prompt, correct)));
            List<Example> neg = new ArrayList<>();
            List<DpoTrainer.Pair> pair = new ArrayList<>();
            for (String wrong : selection.strategy().select(q, baseScores.get(i), selection.perQuestion(), questions,
                    selection.contamination(), random)) {
                neg.add(new Example(prompt, format.answer(wrong)));
                pair.add(new DpoTrainer.Pair(prompt, correct, format.answer(wrong)));
            }
            negatives.add(neg);
            pairs.add(pair);
        }
        return new TrainingSets(positives, negatives, pairs);
    }

    /**
     * The training questions of `train` and `curve`: all of them in the order of {@code seed}, the first
     * {@code maxTrain} of that order when {@code maxTrain} is positive.
     */
    public static List<MultipleChoiceQuestion> order(List<MultipleChoiceQuestion> questions, int maxTrain,
                                                     long seed) {
        List<MultipleChoiceQuestion> shuffled = org.likra.data.QuestionSets.shuffle(questions, seed);
        return maxTrain > 0 && shuffled.size() > maxTrain ? shuffled.subList(0, maxTrain) : shuffled;
    }

    /** The seed of one head ({@code positive}, {@code negative}, {@code dpo}) of `train` and `curve`. */
    public static long headSeed(long seed, String head) {
        return org.likra.util.Seeds.derive(seed, head);
    }

    /** The items of the first {@code n} questions, in order. */
    public static <T> List<T> firstQuestions(List<List<T>> perQuestion, int n) {
        if (n > perQuestion.size()) {
            throw new IllegalArgumentException("N = " + n + " exceeds the " + perQuestion.size() + " questions");
        }
        List<T> out = new ArrayList<>();
        perQuestion.subList(0, n).forEach(out::addAll);
        return out;
    }

    /** Whether a strategy needs the base model's scores of the training questions. */
    public static boolean needsBaseScores(NegativeStrategy strategy) {
        return strategy == NegativeStrategy.NEAR_MISS || strategy == NegativeStrategy.FAR;
    }
}
