package org.likra.experiment;

import org.likra.tokenize.Tokenizer;

import java.util.List;

/**
 * (prompt, answer) pairs as one padded batch for causal-LM scoring and training: each row is
 * [BOS] prompt answer, inputs are its tokens but the last, targets are its tokens but the first, and only the
 * positions that predict answer tokens count. Prompts that do not fit the context lose tokens from the left.
 */
public final class SequenceBatch {
    public final int[] inputs;
    public final int[] targets;
    /** 1 where the target is an answer token, else 0. */
    public final float[] answerMask;
    public final int batch;
    public final int time;
    /** Answer tokens per row. */
    public final int[] answerTokens;

    private SequenceBatch(int[] inputs, int[] targets, float[] mask, int batch, int time, int[] answerTokens) {
        this.inputs = inputs;
        this.targets = targets;
        this.answerMask = mask;
        this.batch = batch;
        this.time = time;
        this.answerTokens = answerTokens;
    }

    public static SequenceBatch of(List<Example> examples, Tokenizer tokenizer, int context) {
        int rows = examples.size();
        int[][] sequences = new int[rows][];
        int[] answerStart = new int[rows];
        int[] answerTokens = new int[rows];
        int maxLength = 0;
        for (int r = 0; r < rows; r++) {
            // Tokenize prompt + answer as one text (as the model reads it), and take as answer tokens what follows
            // the longest prefix shared with the prompt's own tokens: this keeps tokenizers that add a prefix (llama2.c's
            // dummy space) or merge across the boundary from scoring text that is not the answer's.
            String promptText = examples.get(r).prompt();
            int[] whole = tokenizer.encode(promptText + examples.get(r).answer());
            int[] promptOnly = tokenizer.encode(promptText);
            int shared = 0;
            while (shared < promptOnly.length && shared < whole.length && promptOnly[shared] == whole[shared]) {
                shared++;
            }
            if (shared == whole.length) {
                throw new org.likra.util.UserError("an empty answer cannot be scored (prompt: "
                        + promptText.strip() + ")");
            }
            int[] prompt = java.util.Arrays.copyOf(whole, shared);
            int[] answer = java.util.Arrays.copyOfRange(whole, shared, whole.length);
            int bos = tokenizer.bos() >= 0 ? 1 : 0;
            // Keep the whole answer and as much of the prompt's end as fits in context + 1 tokens.
            int answerKept = Math.min(answer.length, context);
            int promptKept = Math.min(prompt.length + bos, context + 1 - answerKept);
            int[] seq = new int[promptKept + answerKept];
            int promptFrom = prompt.length + bos - promptKept;
            for (int i = 0; i < promptKept; i++) {
                int at = promptFrom + i;
                seq[i] = (bos == 1 && at == 0) ? tokenizer.bos() : prompt[at - bos];
            }
            System.arraycopy(answer, 0, seq, promptKept, answerKept);
            sequences[r] = seq;
            answerStart[r] = promptKept;
            answerTokens[r] = answerKept;
            maxLength = Math.max(maxLength, seq.length);
        }
        int time = Math.max(1, maxLength - 1);
        int[] inputs = new int[rows * time];
        int[] targets = new int[rows * time];
        float[] mask = new float[rows * time];
        for (int r = 0; r < rows; r++) {
            int[] seq = sequences[r];
            for (int t = 0; t < seq.length - 1; t++) {
                inputs[r * time + t] = seq[t];
                targets[r * time + t] = seq[t + 1];
                // position t predicts token t + 1; answer tokens are seq[answerStart ..]
                mask[r * time + t] = t + 1 >= answerStart[r] ? 1f : 0f;
            }
        }
        return new SequenceBatch(inputs, targets, mask, rows, time, answerTokens);
    }

    /** Loss weights that make the loss the mean over all answer tokens of the batch. */
    public float[] meanWeights() {
        int count = 0;
        for (int a : answerTokens) {
            count += a;
        }
        float[] w = new float[answerMask.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = answerMask[i] / count;
        }
        return w;
    }

    /**
     * Sum of log p(answer tokens | prompt) per row, from the per-position losses (-log p) of a forward pass.
     */
    public double[] answerLogProbabilities(double[] positionLosses) {
        double[] sums = new double[batch];
        for (int r = 0; r < batch; r++) {
            double s = 0;
            for (int t = 0; t < time; t++) {
                if (answerMask[r * time + t] != 0) {
                    s -= positionLosses[r * time + t];
                }
            }
            sums[r] = s;
        }
        return sums;
    }
}
