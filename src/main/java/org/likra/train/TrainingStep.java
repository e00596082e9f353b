package org.likra.train;

import org.likra.model.Transformer;
import org.likra.util.UserError;

import java.util.function.DoubleSupplier;

/**
 * One optimisation step of a model, or of the adapter attached to it (the buffers its {@link AdamW} was made
 * over):
 * <pre>
 *   loss = L(batch)                 forward pass (the language-model loss, or another objective's)
 *   g    = d loss / d theta         backward pass, into the trained gradient buffer
 *   n    = ||g||_2                  on the engine; read back with the loss
 *   theta <- AdamW(theta, g, lr, t) clipped by n
 * </pre>
 * The loss and the gradient norm are checked before the update: a NaN or infinite one throws {@link Diverged}
 * and leaves the parameters and the moments as they were. Allocates nothing on an engine that does not.
 */
public final class TrainingStep {
    private final Transformer model;
    private final AdamW optimizer;
    private double gradientNorm = Double.NaN;

    public TrainingStep(Transformer model, AdamW optimizer) {
        this.model = model;
        this.optimizer = optimizer;
    }

    /** What the step trains: the model's parameters, or its attached adapter's. */
    public Transformer model() {
        return model;
    }

    /**
     * Step {@code step} (1-based) at learning rate {@code lr} on the language-model loss of one batch: the
     * weighted mean of -log p(target) over {@code batch} x {@code time} positions ({@code lossWeights} null: 1 / N
     * each). Returns the loss, computed before the update.
     */
    public double run(int step, float lr, int[] tokens, int[] targets, float[] lossWeights, int batch, int time) {
        model.setInputs(tokens, targets, lossWeights, batch, time);
        model.forward();
        model.backward();
        return update(step, lr, model.loss());
    }

    /**
     * Step {@code step} at learning rate {@code lr} on another objective: {@code lossAndGradient} runs the forward
     * and backward passes, leaves the gradient in the trained buffer and returns the loss. Returns that loss.
     */
    public double run(int step, float lr, DoubleSupplier lossAndGradient) {
        return update(step, lr, lossAndGradient.getAsDouble());
    }

    /** The global gradient norm of the last step, before clipping (NaN before the first). */
    public double gradientNorm() {
        return gradientNorm;
    }

    private double update(int step, float lr, double loss) {
        gradientNorm = optimizer.gradientNorm();
        if (!Double.isFinite(loss) || !Double.isFinite(gradientNorm)) {
            throw new Diverged(step, lr, loss, gradientNorm);
        }
        optimizer.update(step, lr);
        return loss;
    }

    /** A step whose loss or gradient norm was NaN or infinite; it was not applied. */
    public static final class Diverged extends UserError {
        private static final long serialVersionUID = 1L;
        private final int step;
        private final String what;

        Diverged(int step, float lr, double loss, double gradientNorm) {
            this(step, lr, Double.isFinite(loss) ? "the gradient norm became " + gradientNorm + " (loss " + loss + ")"
                    : "the training loss became " + loss);
        }

        private Diverged(int step, float lr, String what) {
            super(String.format(java.util.Locale.ROOT, "the training diverged at step %d (lr %.3g): %s; the step "
                    + "was not applied", step, lr, what));
            this.step = step;
            this.what = what;
        }

        /** The step that was not applied (1-based). */
        public int step() {
            return step;
        }

        /** What became non-finite: "the training loss became NaN" or "the gradient norm became ... (loss ...)". */
        public String what() {
            return what;
        }
    }
}
