package org.likra.experiment;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;
import org.likra.util.Progress;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The learning-curve experiment: on one frozen base model, a positive head trained on (question, correct answer),
 * a negative head on (question, incorrect answer) and optionally a DPO head, each trained from scratch by its
 * {@link HeadRecipe} on the first N = 32, 64, ... training questions (both heads on the same N questions); every
 * scorer evaluated on the test questions at every N.
 */
public final class LearningCurve {
    /** Choices scored together in one forward pass. */
    static final int ROWS_PER_BATCH = 32;

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final PromptFormat format;
    private final CurveSettings settings;
    private final Progress progress;

    public LearningCurve(Transformer model, Tokenizer tokenizer, PromptFormat format, CurveSettings settings,
                         Progress progress) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.format = format;
        this.settings = settings;
        this.progress = progress;
    }

    public List<CurvePoint> run(List<MultipleChoiceQuestion> trainAll, List<MultipleChoiceQuestion> test) {
        List<MultipleChoiceQuestion> train = TrainingSets.order(trainAll, settings.maxTrain(), settings.seed());
        if (train.isEmpty() || test.isEmpty()) {
            throw new org.likra.util.UserError("a learning curve needs training and test questions (got "
                    + train.size() + " and " + test.size() + ")");
        }
        int[] checkpoints = CurveSettings.checkpoints(train.size());
        AnswerLikelihood likelihood = new AnswerLikelihood(model, tokenizer, format);

        // Base scores: of the test set (every scorer needs them) and of the training set (near-miss / far).
        boolean needTrainScores = TrainingSets.needsBaseScores(settings.negatives().strategy());
        progress.stage("base model scores", test.size() + (needTrainScores ? train.size() : 0));
        List<double[]> testBase = likelihood.choices(test, null, ROWS_PER_BATCH, progress::step);
        List<double[]> trainBase = needTrainScores
                ? likelihood.choices(train, null, ROWS_PER_BATCH, progress::step)
                : java.util.Collections.nCopies(train.size(), null);

        TrainingSets sets = TrainingSets.build(train, trainBase, format, settings.negatives(), settings.seed());
        HeadCurve curve = new HeadCurve(model, tokenizer, format, ROWS_PER_BATCH);
        Map<Integer, List<double[]>> pos = new HashMap<>();
        Map<Integer, List<double[]>> neg = new HashMap<>();
        Map<Integer, List<double[]>> dpo = new HashMap<>();
        progress.stage("positive heads", HeadCurve.updates(sets.positives(), checkpoints, settings.heads()));
        curve.languageModel(sets.positives(), checkpoints, settings.heads(),
                TrainingSets.headSeed(settings.seed(), "positive"), test, (n, s, head) -> pos.put(n, s),
                progress::step);
        progress.stage("negative heads", HeadCurve.updates(sets.negatives(), checkpoints, settings.heads()));
        curve.languageModel(sets.negatives(), checkpoints, settings.heads(),
                TrainingSets.headSeed(settings.seed(), "negative"), test, (n, s, head) -> neg.put(n, s),
                progress::step);
        if (settings.dpo() != null) {
            progress.stage("DPO heads", HeadCurve.updates(sets.pairs(), checkpoints, settings.dpo()));
            curve.dpo(sets.pairs(), checkpoints, settings.dpo(), TrainingSets.headSeed(settings.seed(), "dpo"), test,
                    (n, s, head) -> dpo.put(n, s), progress::step);
        }
        progress.done();
        return points(checkpoints, test, testBase, pos, neg, dpo);
    }

    /**
     * Every scorer evaluated on the test questions at each N, from the base model's scores and those of the heads
     * trained on the first N questions.
     */
    private List<CurvePoint> points(int[] checkpoints, List<MultipleChoiceQuestion> test, List<double[]> testBase,
                                    Map<Integer, List<double[]>> pos, Map<Integer, List<double[]>> neg,
                                    Map<Integer, List<double[]>> dpo) {
        List<CurvePoint> points = new ArrayList<>();
        for (int n : checkpoints) {
            List<ChoiceScores> scored = new ArrayList<>();
            List<ChoiceScores> dpoScored = new ArrayList<>();
            for (int i = 0; i < test.size(); i++) {
                MultipleChoiceQuestion q = test.get(i);
                scored.add(new ChoiceScores(q, testBase.get(i), pos.get(n).get(i), neg.get(n).get(i)));
                if (settings.dpo() != null) {
                    dpoScored.add(new ChoiceScores(q, testBase.get(i), dpo.get(n).get(i), null));
                }
            }
            Map<String, Evaluation> evaluations = new LinkedHashMap<>();
            for (Scorer s : Scorer.values()) {
                evaluations.put(s.label(), Evaluation.of(s, scored, settings.positiveWeight(),
                        settings.negativeWeight()));
            }
            if (settings.dpo() != null) {
                // DPO is evaluated like the SFT scorer, on the tuned model (its adapter plays the positive head).
                evaluations.put("dpo", Evaluation.of(Scorer.SFT, dpoScored, 1, 1));
            }
            points.add(new CurvePoint(n, evaluations, meanLogLikelihoods(scored)));
        }
        return points;
    }

    /**
     * Mean summed log-likelihood of correct answers and of near-miss and far distractors, per model state: by tag
     * where questions are tagged, else by the base model's likelihood.
     */
    static Map<String, Map<String, Double>> meanLogLikelihoods(List<ChoiceScores> scored) {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        String[] states = {"base", "positive", "negative"};
        for (int s = 0; s < states.length; s++) {
            double[] sum = new double[3];
            int[] count = new int[3];
            for (ChoiceScores cs : scored) {
                double[] values = s == 0 ? cs.base() : s == 1 ? cs.positive() : cs.negative();
                MultipleChoiceQuestion q = cs.question();
                int nearest = -1;
                int farthest = -1;
                if (!q.hasTags()) {
                    // Untagged questions (ARC, MMLU): the wrong choice the base model finds most likely is the
                    // near-miss, the least likely the far one, as the negative strategies define them.
                    for (int c = 0; c < q.choiceCount(); c++) {
                        if (c == q.answer()) {
                            continue;
                        }
                        if (nearest < 0 || cs.base()[c] > cs.base()[nearest]) {
                            nearest = c;
                        }
                        if (farthest < 0 || cs.base()[c] < cs.base()[farthest]) {
                            farthest = c;
                        }
                    }
                }
                for (int c = 0; c < q.choiceCount(); c++) {
                    int kind;
                    if (c == q.answer()) {
                        kind = 0;
                    } else if (q.hasTags() ? MultipleChoiceQuestion.TAG_NEAR_MISS.equals(q.tags().get(c))
                            : c == nearest) {
                        kind = 1;
                    } else if (q.hasTags() ? MultipleChoiceQuestion.TAG_FAR.equals(q.tags().get(c)) : c == farthest) {
                        kind = 2;
                    } else {
                        continue;
                    }
                    sum[kind] += values[c];
                    count[kind]++;
                }
            }
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("correct", count[0] == 0 ? Double.NaN : sum[0] / count[0]);
            m.put("near-miss", count[1] == 0 ? Double.NaN : sum[1] / count[1]);
            m.put("far", count[2] == 0 ? Double.NaN : sum[2] / count[2]);
            out.put(states[s], m);
        }
        return out;
    }
}
