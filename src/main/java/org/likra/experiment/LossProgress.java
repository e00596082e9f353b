package org.likra.experiment;

import org.likra.util.Progress;

import java.util.Locale;
import java.util.function.DoubleConsumer;

/**
 * A head's training shown on a {@link Progress} stage: the updates done so far and the loss, as an exponential moving
 * average of the batches' mean losses (weight 0.1 on the newest batch, so roughly the last ten batches), since one
 * batch's loss jumps about too much to read. Pass it as {@link HeadTrainer}'s {@code onUpdate}.
 */
public final class LossProgress implements DoubleConsumer {
    private final Progress progress;
    private long done;
    private double average = Double.NaN;

    /** Opens the stage {@code stage} of {@code updates} updates. */
    public LossProgress(Progress progress, String stage, long updates) {
        this.progress = progress;
        progress.stage(stage, updates, "updates");
    }

    /** After one update whose batch had the mean loss {@code loss}. */
    @Override
    public void accept(double loss) {
        done++;
        average = Double.isNaN(average) ? loss : 0.9 * average + 0.1 * loss;
        progress.stepTo(done, String.format(Locale.ROOT, "loss %.4f", average));
    }
}
