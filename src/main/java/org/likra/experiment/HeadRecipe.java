package org.likra.experiment;

import org.likra.lora.LoraConfig;
import org.likra.util.UserError;

import java.util.List;
import java.util.Locale;

/**
 * How one LoRA head is trained on the examples of its first N questions: {@code epochs} passes in a seeded random
 * order, batches of {@code batch} examples, AdamW (beta 0.9 / 0.999, eps 1e-8, no weight decay) with the learning
 * rate following {@code schedule} from {@code lr} over all updates (no warm-up), and the global gradient norm
 * clipped to {@code gradClip} (0: no clipping), as the authors' Hugging Face Trainer does by default.
 *
 * @param lora     the adapter's shape (rank, alpha, target projections)
 * @param lr       peak learning rate
 * @param schedule {@code constant}, {@code linear} (to 0; Hugging Face's default) or {@code cosine} (to 0)
 * @param epochs   passes over the examples
 * @param batch    examples per update
 * @param gradClip largest global gradient norm (0: none)
 * @param dpoBeta  DPO's beta (used by DPO heads only)
 */
public record HeadRecipe(LoraConfig lora, double lr, String schedule, int epochs, int batch, double gradClip,
                         double dpoBeta) {
    public static final List<String> SCHEDULES = List.of("constant", "linear", "cosine");

    // The default recipe's parts as constants, so that option annotations (`train`, `curve`) can name them.
    public static final int DEFAULT_RANK = 8;
    public static final double DEFAULT_ALPHA = 8.0;
    public static final String DEFAULT_TARGETS = "gate_proj,up_proj,down_proj";
    public static final double DEFAULT_LR = 1e-2;
    public static final String DEFAULT_SCHEDULE = "linear";
    public static final int DEFAULT_EPOCHS = 2;
    public static final int DEFAULT_BATCH = 16;
    public static final double DEFAULT_GRAD_CLIP = 1.0;
    public static final double DEFAULT_DPO_BETA = 0.1;

    /**
     * The one default recipe: `train` and `curve` train with it unless told otherwise, and a study plan's heads
     * take its rank, alpha, targets, batch, schedule and clipping where the plan names none (the demo plan's grid
     * holds its learning rate and epochs; StudyPlanTest checks both). LoRA rank 8, alpha 8 on the MLP projections,
     * lr 1e-2 decaying linearly to 0, 2 epochs, batch 16, gradient norm clipped to 1, DPO beta 0.1: on the demo
     * study the validation split chose lr 1e-2 for the positive head and 3e-3 for the negative one, whose Likra
     * accuracy differed by 0.008 between the two (docs/results.md).
     */
    public static final HeadRecipe DEFAULT = new HeadRecipe(new LoraConfig(DEFAULT_RANK, DEFAULT_ALPHA,
            List.of(DEFAULT_TARGETS.split(","))), DEFAULT_LR, DEFAULT_SCHEDULE, DEFAULT_EPOCHS, DEFAULT_BATCH,
            DEFAULT_GRAD_CLIP, DEFAULT_DPO_BETA);

    public HeadRecipe {
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new UserError("a head's learning rate must be a positive number, got " + lr);
        }
        schedule = schedule.toLowerCase(Locale.ROOT);
        if (!SCHEDULES.contains(schedule)) {
            throw new UserError("a head's schedule must be one of " + SCHEDULES + ", got '" + schedule + "'");
        }
        if (epochs < 1 || epochs > 100) {
            throw new UserError("a head's epochs must be within 1..100, got " + epochs);
        }
        if (batch < 1 || batch > 4096) {
            throw new UserError("a head's batch must be within 1..4096, got " + batch);
        }
        if (!(gradClip >= 0) || !Double.isFinite(gradClip)) {
            throw new UserError("a head's gradient clipping must be 0 (none) or positive, got " + gradClip);
        }
        if (!(dpoBeta > 0) || !Double.isFinite(dpoBeta)) {
            throw new UserError("DPO's beta must be positive, got " + dpoBeta);
        }
    }

    /** The number of updates that train a head on {@code items} examples (or pairs): epochs x ceil(items / batch). */
    public int updates(int items) {
        return epochs * ((items + batch - 1) / batch);
    }

    /** This recipe with another learning rate and number of epochs. */
    public HeadRecipe with(double newLr, int newEpochs) {
        return new HeadRecipe(lora, newLr, schedule, newEpochs, batch, gradClip, dpoBeta);
    }

    /** The learning rate of update {@code step} (0-based) of {@code total}. */
    public double lrAt(int step, int total) {
        double progress = total <= 1 ? 0 : (double) step / total;
        return switch (schedule) {
            case "linear" -> lr * (1 - progress);
            case "cosine" -> lr * 0.5 * (1 + Math.cos(Math.PI * progress));
            default -> lr;
        };
    }
}
