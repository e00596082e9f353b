package org.likra.experiment;

import org.likra.lora.LoraAdapter;
import org.likra.model.Adapter;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * LoRA fine-tuning with the DPO sigmoid loss (Rafailov et al.), the reference model being the frozen base:
 * <pre>
 *   z    = beta * ((log pi(c) - log ref(c)) - (log pi(r) - log ref(r)))
 *   loss = mean over pairs of -log sigmoid(z)
 * </pre>
 * with log-probabilities summed over answer tokens. Its gradient reaches the model through the cross-entropy
 * weights: d loss / d log pi(c) = -beta sigmoid(-z) / B, so chosen tokens get weight beta sigmoid(-z) / B and
 * rejected tokens -beta sigmoid(-z) / B in L = sum_t w_t (-log p_t).
 */
public final class DpoTrainer {
    /** One preference pair. */
    public record Pair(String prompt, String chosen, String rejected) {
    }

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final double beta;

    public DpoTrainer(Transformer model, Tokenizer tokenizer, double beta) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.beta = beta;
    }

    /** The mean DPO loss of {@code pairs}; leaves its gradient in the adapter's gradient buffer. */
    public double lossAndGradient(LoraAdapter adapter, List<Pair> pairs) {
        int b = pairs.size();
        List<Example> rows = new ArrayList<>(2 * b);
        for (Pair p : pairs) {
            rows.add(new Example(p.prompt(), p.chosen()));
        }
        for (Pair p : pairs) {
            rows.add(new Example(p.prompt(), p.rejected()));
        }
        SequenceBatch batch = SequenceBatch.of(rows, tokenizer, model.config().context());
        Adapter previous = model.adapter();
        try {
            model.attach(null);
            model.setInputs(batch.inputs, batch.targets, null, batch.batch, batch.time);
            model.forward();
            double[] reference = batch.answerLogProbabilities(model.positionLosses());
            model.attach(adapter);
            model.forward();
            double[] policy = batch.answerLogProbabilities(model.positionLosses());
            float[] weights = new float[batch.inputs.length];
            double loss = 0;
            for (int i = 0; i < b; i++) {
                double z = beta * ((policy[i] - reference[i]) - (policy[b + i] - reference[b + i]));
                loss += softplus(-z) / b;
                double coefficient = beta * sigmoid(-z) / b;
                for (int t = 0; t < batch.time; t++) {
                    weights[i * batch.time + t] = (float) (coefficient * batch.answerMask[i * batch.time + t]);
                    weights[(b + i) * batch.time + t] = (float) (-coefficient
                            * batch.answerMask[(b + i) * batch.time + t]);
                }
            }
            model.setLossWeights(weights);
            model.backward();
            return loss;
        } finally {
            model.attach(previous);
        }
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** log(1 + e^x), stable: -log sigmoid(z) = softplus(-z). */
    static double softplus(double x) {
        return x > 30 ? x : Math.log1p(Math.exp(x));
    }
}
