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
 */
public record AdamWSettings(float beta1, float beta2, float eps, float weightDecay, float maxGradNorm) {
}
