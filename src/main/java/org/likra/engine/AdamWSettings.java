package org.likra.engine;

/**
 * The hyper-parameters of AdamW that stay the same from one update to the next; the learning rate and the update's
 * number come with each {@link Engine#adamw} call. Update number {@code step} (1-based) with learning rate lr:
 *
 * <pre>
 *   g  = clip * grad,            clip = min(1, maxGradNorm / ||grad||)   (1 when maxGradNorm &lt;= 0)
 *   m  = beta1 m + (1 - beta1) g
 *   v  = beta2 v + (1 - beta2) g^2
 *   p -= lr * ( (m / (1 - beta1^step)) / (sqrt(v / (1 - beta2^step)) + eps) + weightDecay * p )
 * </pre>
 *
 * The engines compute in float32, so each hyper-parameter is a float.
 */
public record AdamWSettings(float beta1, float beta2, float eps, float weightDecay, float maxGradNorm) {
    /** Pretraining's (the {@code pretrain} command's defaults and the benchmarks' full step). */
    public static final AdamWSettings PRETRAINING = new AdamWSettings(0.9f, 0.95f, 1e-8f, 0.1f, 1f);
    /** A LoRA head's (the Hugging Face Trainer's defaults with its gradient clipping; no weight decay). */
    public static final AdamWSettings ADAPTER = new AdamWSettings(0.9f, 0.999f, 1e-8f, 0f, 1f);

    public AdamWSettings withBetas(float newBeta1, float newBeta2) {
        return new AdamWSettings(newBeta1, newBeta2, eps, weightDecay, maxGradNorm);
    }

    public AdamWSettings withEps(float newEps) {
        return new AdamWSettings(beta1, beta2, newEps, weightDecay, maxGradNorm);
    }

    public AdamWSettings withWeightDecay(float newWeightDecay) {
        return new AdamWSettings(beta1, beta2, eps, newWeightDecay, maxGradNorm);
    }

    /** These settings clipping the gradient norm to {@code newMaxGradNorm} (0: no clipping). */
    public AdamWSettings withMaxGradNorm(float newMaxGradNorm) {
        return new AdamWSettings(beta1, beta2, eps, weightDecay, newMaxGradNorm);
    }
}
