package org.likra.generate;

import org.likra.model.Transformer;
import org.likra.util.UserError;

import java.util.Arrays;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * Autoregressive generation: temperature sampling with optional nucleus (top-p) truncation; temperature 0 takes
 * the most likely token (greedy). While the sequence fits the model's context, each new token runs through a
 * {@link CachedDecoder} (one row per token, attending over cached keys and values); past the context, each step runs
 * the model on the last {@code context} tokens (a sliding window, whose positions restart at 0, so no cache applies).
 */
public final class Sampler {
    private final Transformer model;
    private final double temperature;
    private final double topP;
    private final Random random;
    private boolean kvCache = true;

    public Sampler(Transformer model, double temperature, double topP, long seed) {
        if (temperature < 0 || !Double.isFinite(temperature)) {
            throw new UserError("--temperature must be >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new UserError("--top-p must be in (0, 1], got " + topP);
        }
        this.model = model;
        this.temperature = temperature;
        this.topP = topP;
        this.random = new Random(seed);
    }

    /**
     * With {@code false}, every step runs the whole window through {@link Transformer#forward} (the way without a
     * cache, for comparisons); the default is true.
     */
    public Sampler kvCache(boolean on) {
        this.kvCache = on;
        return this;
    }

    /**
     * Generates up to {@code steps} tokens after {@code prompt}.
     *
     * @param stopToken a token that ends generation (not emitted), or -1
     * @param onToken   called with each new token as it is chosen
     * @return the new tokens
     */
    public int[] generate(int[] prompt, int steps, int stopToken, IntConsumer onToken) {
        if (prompt.length == 0) {
            throw new UserError("the prompt is empty and the tokenizer has no BOS token; give a --prompt");
        }
        int context = model.config().context();
        int[] sequence = Arrays.copyOf(prompt, prompt.length + steps);
        int length = prompt.length;
        // A new decoder each time: it takes the model's weights (and attached adapter) as they are now.
        CachedDecoder decoder = kvCache ? new CachedDecoder(model) : null;
        for (int i = 0; i < steps; i++) {
            float[] logits = null;
            if (kvCache && length <= context) {
                // The prompt on the first step, then the token chosen last.
                while (decoder.length() < length) {
                    logits = decoder.next(sequence[decoder.length()]);
                }
            } else {
                int start = Math.max(0, length - context);
                int[] window = Arrays.copyOfRange(sequence, start, length);
                model.setInputs(window, null, null, 1, window.length);
                model.forward();
                logits = model.logitsAt(window.length - 1);
            }
            for (float z : logits) {
                if (!Float.isFinite(z)) {
                    throw new UserError("the model's logits for token " + (length + 1) + " hold " + z + " (its "
                            + "outputs overflow); use another model or an earlier checkpoint");
                }
            }
            int next = choose(logits);
            if (next == stopToken) {
                break;
            }
            sequence[length++] = next;
            onToken.accept(next);
        }
        return Arrays.copyOfRange(sequence, prompt.length, length);
    }

    /** Picks the next token from one row of logits. */
    public int choose(float[] logits) {
        if (temperature == 0) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float z : logits) {
            max = Math.max(max, z);
        }
        double[] probs = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            probs[i] = Math.exp((logits[i] - max) / temperature);
            sum += probs[i];
        }
        for (int i = 0; i < probs.length; i++) {
            probs[i] /= sum;
        }
        if (topP < 1) {
            Integer[] order = new Integer[probs.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(probs[b], probs[a]));
            double mass = 0;
            int keep = 0;
            while (keep < order.length && mass < topP) {
                mass += probs[order[keep++]];
            }
            double u = random.nextDouble() * mass;
            double acc = 0;
            for (int k = 0; k < keep; k++) {
                acc += probs[order[k]];
                if (u < acc) {
                    return order[k];
                }
            }
            return order[keep - 1];
        }
        double u = random.nextDouble();
        double acc = 0;
        for (int i = 0; i < probs.length; i++) {
            acc += probs[i];
            if (u < acc) {
                return i;
            }
        }
        return probs.length - 1;
    }
}
