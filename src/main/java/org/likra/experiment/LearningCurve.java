package org.likra.experiment;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.lora.LoraAdapter;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;
import org.likra.util.Progress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The learning-curve experiment: on one frozen base model, a positive head trained on (question, correct answer),
 * a negative head on (question, incorrect answer) and optionally a DPO head, each in one pass over the training
 * questions with snapshots at N = 32, 64, ...; every scorer evaluated on the test questions at every N, with both
 * heads having seen the same N questions.
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
        List<MultipleChoiceQuestion> train = org.likra.data.QuestionSets.shuffle(trainAll, settings.seed());
        if (settings.maxTrain() > 0 && train.size() > settings.maxTrain()) {
            train = train.subList(0, settings.maxTrain());
        }
        if (train.isEmpty() || test.isEmpty()) {
            throw new org.likra.util.UserError("a learning curve needs training and test questions (got "
                    + train.size() + " and " + test.size() + ")");
        }
        int[] checkpoints = CurveSettings.checkpoints(train.size());
        AnswerLikelihood likelihood = new AnswerLikelihood(model, tokenizer, format);

        // Base scores: of the test set (every scorer needs them) and of the training set (near-miss / far).
        boolean needTrainScores = TrainingSets.needsBaseScores(settings.negatives());
        progress.stage("base model scores", test.size() + (needTrainScores ? train.size() : 0), "questions");
        List<double[]> testBase = likelihood.choices(test, null, ROWS_PER_BATCH, progress::step);
        List<double[]> trainBase = needTrainScores
                ? likelihood.choices(train, null, ROWS_PER_BATCH, progress::step)
                : java.util.Collections.nCopies(train.size(), null);

        TrainingSets sets = TrainingSets.build(train, trainBase, format, settings.negatives(),
                settings.negativesPerQuestion(), settings.contamination(), settings.seed());
        List<List<Example>> positives = sets.positives();
        List<List<Example>> negatives = sets.negatives();
        List<List<DpoTrainer.Pair>> pairs = sets.pairs();

        HeadTrainer.Settings head = new HeadTrainer.Settings(settings.lora(), settings.lr(), settings.batch(),
                settings.seed());
        Map<Integer, float[]> posSnapshots = new LinkedHashMap<>();
        Map<Integer, float[]> negSnapshots = new LinkedHashMap<>();
        Map<Integer, float[]> dpoSnapshots = new LinkedHashMap<>();
        LoraAdapter pos = new HeadTrainer(model, tokenizer, head).showing(progress, "positive head")
                .train(positives, checkpoints, posSnapshots::put);
        LoraAdapter neg = new HeadTrainer(model, tokenizer, head).showing(progress, "negative head")
                .train(negatives, checkpoints, negSnapshots::put);
        LoraAdapter dpo = null;
        if (settings.dpo()) {
            HeadTrainer.Settings dpoHead = new HeadTrainer.Settings(settings.lora(), settings.dpoLr(),
                    settings.batch(), settings.seed());
            dpo = new DpoTrainer(model, tokenizer, dpoHead, settings.dpoBeta()).showing(progress, "DPO head")
                    .train(pairs, checkpoints, dpoSnapshots::put);
        }

        List<CurvePoint> points = new ArrayList<>();
        // Every head scores every test question at every N: 2 passes per N (3 with DPO).
        int passes = dpo == null ? 2 : 3;
        progress.stage("evaluation", (long) checkpoints.length * passes * test.size(), "questions");
        for (int n : checkpoints) {
            progress.message("N=" + n);
            pos.load(posSnapshots.get(n));
            neg.load(negSnapshots.get(n));
            if (dpo != null) {
                dpo.load(dpoSnapshots.get(n));
            }
            List<double[]> p = likelihood.choices(test, pos, ROWS_PER_BATCH, progress::step);
            List<double[]> m = likelihood.choices(test, neg, ROWS_PER_BATCH, progress::step);
            List<double[]> d = dpo == null ? null : likelihood.choices(test, dpo, ROWS_PER_BATCH, progress::step);
            List<ChoiceScores> scored = new ArrayList<>();
            List<ChoiceScores> dpoScored = new ArrayList<>();
            for (int i = 0; i < test.size(); i++) {
                MultipleChoiceQuestion q = test.get(i);
                scored.add(new ChoiceScores(q, testBase.get(i), p.get(i), m.get(i)));
                if (dpo != null) {
                    dpoScored.add(new ChoiceScores(q, testBase.get(i), d.get(i), null));
                }
            }
            Map<String, Evaluation> evaluations = new LinkedHashMap<>();
            for (Scorer s : Scorer.values()) {
                evaluations.put(s.label(), Evaluation.of(s, scored, settings.positiveWeight(),
                        settings.negativeWeight()));
            }
            if (dpo != null) {
                // DPO is evaluated like the base scorer, on the tuned model (its adapter plays the positive head).
                evaluations.put("dpo", Evaluation.of(Scorer.SFT, dpoScored, 1, 1));
            }
            points.add(new CurvePoint(n, evaluations, meanLogLikelihoods(scored)));
        }
        progress.done();
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
