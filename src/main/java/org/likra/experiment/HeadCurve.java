package org.likra.experiment;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.lora.LoraAdapter;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;
import org.likra.train.AdamW;
import org.likra.util.UserError;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A head's learning curve on a frozen base model: for each N, a fresh LoRA adapter (its A drawn from the head's
 * own seed, B = 0) is trained by a {@link HeadRecipe} on the examples of the first N questions, and then every
 * choice of the evaluation questions is scored with it (summed answer log-likelihood). Training each N from
 * scratch makes a point of the curve mean "a head trained on N questions", whatever the number of epochs.
 */
public final class HeadCurve {
    /** Receives the evaluation scores (one array of choice log-likelihoods per question) of the head at N. */
    @FunctionalInterface
    public interface Sink {
        void accept(int n, List<double[]> scores);
    }

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final AnswerLikelihood likelihood;
    private final int rowsPerBatch;

    public HeadCurve(Transformer model, Tokenizer tokenizer, PromptFormat format, int rowsPerBatch) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.likelihood = new AnswerLikelihood(model, tokenizer, format);
        this.rowsPerBatch = rowsPerBatch;
    }

    /**
     * A language-model head (positive or negative): cross-entropy on answer tokens, mean over the batch's answer
     * tokens.
     *
     * @param perQuestion examples grouped by question, in training order
     * @param ns          the numbers of questions to train on (each at most perQuestion.size(); N = 0 is skipped)
     * @param onUpdate    called after every update (for progress)
     */
    public void languageModel(List<List<Example>> perQuestion, int[] ns, HeadRecipe recipe, long seed,
                              List<MultipleChoiceQuestion> eval, Sink sink, Runnable onUpdate) {
        for (int n : ns) {
            if (n == 0) {
                continue;
            }
            List<Example> items = flatten(perQuestion, n);
            LoraAdapter adapter = new LoraAdapter(model, recipe.lora());
            adapter.initialize(seed);
            train(adapter, items, recipe, seed, batch -> HeadTrainer.lossAndGradient(model, tokenizer, batch),
                    onUpdate);
            sink.accept(n, likelihood.choices(eval, adapter, rowsPerBatch, () -> { }));
        }
    }

    /** A DPO head against the frozen base as reference; otherwise as {@link #languageModel}. */
    public void dpo(List<List<DpoTrainer.Pair>> perQuestion, int[] ns, HeadRecipe recipe, long seed,
                    List<MultipleChoiceQuestion> eval, Sink sink, Runnable onUpdate) {
        DpoTrainer dpo = new DpoTrainer(model, tokenizer, null, recipe.dpoBeta());
        for (int n : ns) {
            if (n == 0) {
                continue;
            }
            List<DpoTrainer.Pair> items = flatten(perQuestion, n);
            LoraAdapter adapter = new LoraAdapter(model, recipe.lora());
            adapter.initialize(seed);
            train(adapter, items, recipe, seed, batch -> dpo.lossAndGradient(adapter, batch), onUpdate);
            sink.accept(n, likelihood.choices(eval, adapter, rowsPerBatch, () -> { }));
        }
    }

    /** The loss of one batch, with its gradient left in the attached adapter's gradient buffer. */
    private interface Objective<T> {
        double lossAndGradient(List<T> batch);
    }

    private <T> void train(LoraAdapter adapter, List<T> items, HeadRecipe recipe, long seed, Objective<T> objective,
                           Runnable onUpdate) {
        AdamW adam = new AdamW(model.engine(), adapter.parameters(), adapter.gradients(), 0, 0.9f, 0.999f, 1e-8f,
                0f, (float) recipe.gradClip());
        int perEpoch = (items.size() + recipe.batch() - 1) / recipe.batch();
        int total = perEpoch * recipe.epochs();
        Random order = new Random(seed * 0x9E3779B97F4A7C15L + 17);
        LoraAdapter previous = model.adapter();
        model.attach(adapter);
        adapter.training(true, seed);
        try {
            int step = 0;
            for (int epoch = 0; epoch < recipe.epochs(); epoch++) {
                List<T> shuffled = new ArrayList<>(items);
                java.util.Collections.shuffle(shuffled, order);
                for (int from = 0; from < shuffled.size(); from += recipe.batch()) {
                    List<T> batch = shuffled.subList(from, Math.min(shuffled.size(), from + recipe.batch()));
                    double loss = objective.lossAndGradient(batch);
                    if (!Double.isFinite(loss)) {
                        throw new UserError("a head's training loss became " + loss + " at update " + (step + 1)
                                + "; lower its learning rate");
                    }
                    adam.step(step + 1, (float) recipe.lrAt(step, total));
                    step++;
                    onUpdate.run();
                }
            }
        } finally {
            adapter.training(false, 0);
            model.attach(previous);
        }
    }

    private static <T> List<T> flatten(List<List<T>> perQuestion, int n) {
        if (n > perQuestion.size()) {
            throw new IllegalArgumentException("N = " + n + " exceeds the " + perQuestion.size() + " questions");
        }
        List<T> out = new ArrayList<>();
        perQuestion.subList(0, n).forEach(out::addAll);
        return out;
    }
}
