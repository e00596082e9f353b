package org.likra.train;

import org.likra.io.SafeTensors;
import org.likra.model.ParameterSpec;
import org.likra.model.Transformer;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The gradient, for every parameter of a model, of the mean cross-entropy over the unmasked targets of several token
 * sequences (position t of a sequence predicts token t+1): {@code loss} = sum over sequences s and targets t of
 * mask[s][t] * loss[s][t] / {@code targets}, and {@code values} its gradient in the model's parameter layout.
 */
public record SequenceGradient(double loss, int targets, float[] values) {

    /**
     * Runs each sequence through {@code net} as a batch of one whose loss weights are mask / {@code targets}, so that
     * the sum of the per-sequence losses and gradients (in double) is the overall mean's.
     *
     * @param masks   one 0/1 per target of each sequence, or null: every target counts
     * @param targets the number of unmasked targets over all sequences (positive)
     * @param where   the file the sequences came from, for messages
     */
    public static SequenceGradient of(Transformer net, List<int[]> sequences, List<int[]> masks, int targets,
                                      String where) {
        int total = net.layout().total();
        double[] gradSum = new double[total];
        double[] grad = new double[total];
        double lossSum = 0;
        for (int i = 0; i < sequences.size(); i++) {
            int[] seq = sequences.get(i);
            int t = seq.length - 1;
            float[] weights = new float[t];
            for (int j = 0; j < t; j++) {
                int m = masks == null ? 1 : masks.get(i)[j];
                weights[j] = (float) ((double) m / targets);
            }
            try {
                net.setInputs(Arrays.copyOf(seq, t), Arrays.copyOfRange(seq, 1, seq.length), weights, 1, t);
            } catch (UserError e) {
                throw new UserError(where + ": line " + (i + 1) + ": " + e.getMessage());
            }
            net.forward();
            net.backward();
            lossSum += net.loss();
            net.engine().download(net.gradients(), grad, 0);
            for (int j = 0; j < total; j++) {
                gradSum[j] += grad[j];
            }
        }
        if (!Double.isFinite(lossSum)) {
            throw new UserError("the loss is " + lossSum + " for these tokens; the checkpoint holds non-finite "
                    + "weights or the model overflows");
        }
        float[] values = new float[total];
        for (int j = 0; j < total; j++) {
            values[j] = (float) gradSum[j];
        }
        return new SequenceGradient(lossSum, targets, values);
    }

    /**
     * Writes the gradient as safetensors (float32, one tensor per parameter under its checkpoint name), with the loss
     * and the number of targets in the metadata.
     */
    public void write(Path out, List<ParameterSpec> parameters) throws IOException {
        List<SafeTensors.Output> outputs = new ArrayList<>();
        for (ParameterSpec spec : parameters) {
            outputs.add(new SafeTensors.Output(spec.name(), spec.shape(), values, spec.offset()));
        }
        SafeTensors.write(out, outputs, Map.of("loss", Double.toString(loss), "targets", Integer.toString(targets)));
    }
}
