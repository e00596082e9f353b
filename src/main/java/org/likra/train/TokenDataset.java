package org.likra.train;

import org.likra.util.UserError;

import java.util.SplittableRandom;

/**
 * A tokenized corpus split into a training part (the first {@code 1 - valFraction}) and a held-out part (the
 * rest), with batches of random windows for training and fixed, evenly spaced windows for evaluation.
 */
public final class TokenDataset {
    private final int[] tokens;
    private final int trainEnd;

    public TokenDataset(int[] tokens, double valFraction, int windowTokens, String where) {
        this.tokens = tokens;
        this.trainEnd = (int) Math.round(tokens.length * (1 - valFraction));
        if (trainEnd < windowTokens + 2 || tokens.length - trainEnd < windowTokens + 2) {
            throw new UserError(where + ": the corpus has " + tokens.length + " tokens, too few for windows of "
                    + windowTokens + " with " + Math.round(valFraction * 100) + "% held out; give a larger corpus "
                    + "or a shorter --seq");
        }
    }

    public int size() {
        return tokens.length;
    }

    public int trainTokens() {
        return trainEnd;
    }

    public int validationTokens() {
        return tokens.length - trainEnd;
    }

    /** One batch: inputs and next-token targets for {@code batch} windows of {@code time} tokens. */
    public record Batch(int[] inputs, int[] targets, int batch, int time) {
    }

    /**
     * The training batch of step {@code step}: random windows from a generator seeded by (seed, step) alone, so a
     * resumed run draws exactly the batches an uninterrupted run would.
     */
    public Batch trainingBatch(long seed, int step, int batch, int time) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        int[] inputs = new int[batch * time];
        int[] targets = new int[batch * time];
        for (int b = 0; b < batch; b++) {
            int start = random.nextInt(trainEnd - time);
            System.arraycopy(tokens, start, inputs, b * time, time);
            System.arraycopy(tokens, start + 1, targets, b * time, time);
        }
        return new Batch(inputs, targets, batch, time);
    }

    /** The {@code index}-th of {@code count} evenly spaced held-out batches. */
    public Batch validationBatch(int index, int count, int batch, int time) {
        int[] inputs = new int[batch * time];
        int[] targets = new int[batch * time];
        int span = tokens.length - trainEnd - time - 1;
        int windows = count * batch;
        for (int b = 0; b < batch; b++) {
            int w = index * batch + b;
            int start = trainEnd + (int) ((long) span * w / Math.max(1, windows - 1));
            System.arraycopy(tokens, start, inputs, b * time, time);
            System.arraycopy(tokens, start + 1, targets, b * time, time);
        }
        return new Batch(inputs, targets, batch, time);
    }

    /** Entropy in nats of the unigram distribution of the training part: the loss of a model that ignores context. */
    public double unigramEntropy(int vocab) {
        long[] counts = new long[vocab];
        for (int i = 0; i < trainEnd; i++) {
            counts[tokens[i]]++;
        }
        double h = 0;
        for (long c : counts) {
            if (c > 0) {
                double p = (double) c / trainEnd;
                h -= p * Math.log(p);
            }
        }
        return h;
    }
}
