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
