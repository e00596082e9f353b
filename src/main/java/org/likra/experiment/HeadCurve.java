package org.likra.experiment;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.lora.LoraAdapter;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;

import java.util.List;

/**
 * A head's learning curve on a frozen base model: for each N, a fresh LoRA adapter is trained by a
 * {@link HeadTrainer} with a {@link HeadRecipe} on the examples of the first N questions, and then every choice of
 * the evaluation questions is scored with it (summed answer log-likelihood). Training each N from scratch makes a
 * point of the curve mean "a head trained on N questions", whatever the number of epochs.
 */
public final class HeadCurve {
    /** Receives the evaluation scores (one array of choice log-likelihoods per question) of the head at N. */
    @FunctionalInterface
    public interface Sink {
        void accept(int n, List<double[]> scores, LoraAdapter head);
    }

    private final HeadTrainer trainer;
    private final AnswerLikelihood likelihood;
    private final int rowsPerBatch;

    public HeadCurve(Transformer model, Tokenizer tokenizer, PromptFormat format, int rowsPerBatch) {
        this.trainer = new HeadTrainer(model, tokenizer);
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
            if (n > 0) {
                LoraAdapter adapter = trainer.languageModel(TrainingSets.firstQuestions(perQuestion, n), recipe,
                        seed, loss -> onUpdate.run());
                sink.accept(n, likelihood.choices(eval, adapter, rowsPerBatch, () -> { }), adapter);
            }
        }
    }

    /** A DPO head against the frozen base as reference; otherwise as {@link #languageModel}. */
    public void dpo(List<List<DpoTrainer.Pair>> perQuestion, int[] ns, HeadRecipe recipe, long seed,
                    List<MultipleChoiceQuestion> eval, Sink sink, Runnable onUpdate) {
        for (int n : ns) {
            if (n > 0) {
                LoraAdapter adapter = trainer.dpo(TrainingSets.firstQuestions(perQuestion, n), recipe, seed,
                        loss -> onUpdate.run());
                sink.accept(n, likelihood.choices(eval, adapter, rowsPerBatch, () -> { }), adapter);
            }
        }
    }

    /** The updates of a whole curve: the recipe's updates at every N > 0 (for progress bars). */
    public static <T> long updates(List<List<T>> perQuestion, int[] ns, HeadRecipe recipe) {
        long total = 0;
        for (int n : ns) {
            if (n > 0) {
                total += recipe.updates(TrainingSets.firstQuestions(perQuestion, n).size());
            }
        }
        return total;
    }
}
