package org.likra.experiment;

import org.likra.util.Progress;

import java.util.List;
import java.util.Locale;

/**
 * A head's training shown on a {@link Progress} stage: the items trained on so far (examples, or DPO pairs) and the
 * loss, as an exponential moving average of the batches' mean losses (weight 0.1 on the newest batch, so roughly the
 * last ten batches), since one batch's loss jumps about too much to read.
 */
final class LossProgress {
    private final Progress progress;
    private long done;
    private double average = Double.NaN;

    /** Opens the stage {@code stage}, counting the items of {@code perQuestion} in {@code unit}. */
    LossProgress(Progress progress, String stage, List<? extends List<?>> perQuestion, String unit) {
        this.progress = progress;
        long total = 0;
        for (List<?> items : perQuestion) {
            total += items.size();
        }
        progress.stage(stage, total, unit);
    }

    /** After one update on {@code items} items whose mean loss was {@code loss}. */
    void step(int items, double loss) {
        done += items;
        average = Double.isNaN(average) ? loss : 0.9 * average + 0.1 * loss;
        progress.stepTo(done, String.format(Locale.ROOT, "loss %.4f", average));
    }
}
