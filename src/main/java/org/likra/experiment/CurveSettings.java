package org.likra.experiment;

import org.likra.lora.LoraConfig;
import org.likra.util.UserError;

/**
 * A learning-curve run's settings (the paper's defaults: LoRA rank 8, alpha 8 on the MLP projections, one pass,
 * batch 32, constant learning rate).
 *
 * @param maxTrain             use at most this many training questions (0: all)
 * @param negatives            which incorrect answers the negative head trains on
 * @param negativesPerQuestion negatives per question (ignored by {@code all})
 * @param contamination        fraction of negatives swapped for the correct answer
 * @param lora                 the adapters' shape
 * @param lr                   the heads' learning rate
 * @param batch                examples per update
 * @param dpo                  also train and evaluate a DPO baseline
 * @param dpoBeta              DPO's beta
 * @param dpoLr                DPO's learning rate
 * @param positiveWeight       w+ of the likra scorer
 * @param negativeWeight       w- of the likra scorer
 * @param seed                 order of the training questions, adapter initialisation, random-other negatives
 */
public record CurveSettings(int maxTrain, NegativeStrategy negatives, int negativesPerQuestion, double contamination,
                            LoraConfig lora, double lr, int batch, boolean dpo, double dpoBeta, double dpoLr,
                            double positiveWeight, double negativeWeight, long seed) {
    public CurveSettings {
        if (negativesPerQuestion <= 0) {
            throw new UserError("--negatives-per-question must be positive");
        }
        if (contamination < 0 || contamination > 1) {
            throw new UserError("--contamination must be in [0, 1], got " + contamination);
        }
    }

    /** N = 32, 64, 128, ... up to {@code size}, plus {@code size} itself. */
    public static int[] checkpoints(int size) {
        java.util.List<Integer> points = new java.util.ArrayList<>();
        for (int n = 32; n < size; n *= 2) {
            points.add(n);
        }
        points.add(size);
        return points.stream().mapToInt(Integer::intValue).toArray();
    }
}
