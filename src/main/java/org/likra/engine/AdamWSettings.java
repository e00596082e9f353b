package org.likra.engine;

/**
 * One AdamW update's hyper-parameters.
 *
 * <pre>
 *   g  = clip * grad,            clip = min(1, maxGradNorm / ||grad||)   (1 when maxGradNorm &lt;= 0)
 *   m  = beta1 m + (1 - beta1) g
 *   v  = beta2 v + (1 - beta2) g^2
 *   p -= lr * ( (m / (1 - beta1^step)) / (sqrt(v / (1 - beta2^step)) + eps) + weightDecay * p )
 * </pre>
 *
 * @param step the 1-based number of this update (for bias correction)
 */
public record AdamWSettings(float lr, float beta1, float beta2, float eps, float weightDecay, float maxGradNorm,
                            int step) {
}
