package org.likra.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Softmax cross-entropy, forward and backward. {@code @Parallel} loops; also plain Java. */
public final class Losses {
    private Losses() {
    }

    /** probs = softmax(logits); losses[i] = log(sum) + max - logits[i, target]; one thread per row. */
    public static void crossEntropyForward(FloatArray losses, int lOff, FloatArray probs, int pOff, FloatArray logits,
                                           int zOff, IntArray targets, int tOff, int n, int vocab) {
        for (@Parallel int i = 0; i < n; i++) {
            int row = zOff + i * vocab;
            float max = -3.4e38f;
            for (int j = 0; j < vocab; j++) {
                max = TornadoMath.max(max, logits.get(row + j));
            }
            float sum = 0f;
            for (int j = 0; j < vocab; j++) {
                sum += TornadoMath.exp(logits.get(row + j) - max);
            }
            float inv = 1f / sum;
            for (int j = 0; j < vocab; j++) {
                probs.set(pOff + i * vocab + j, TornadoMath.exp(logits.get(row + j) - max) * inv);
            }
            int target = targets.get(tOff + i);
            losses.set(lOff + i, TornadoMath.log(sum) + max - logits.get(row + target));
        }
    }

    /** dLogits[i, j] = weights[i] (probs[i, j] - [j == target]) (overwrites); one thread per element. */
    public static void crossEntropyBackward(FloatArray dLogits, int dOff, FloatArray probs, int pOff,
                                            IntArray targets, int tOff, FloatArray weights, int wOff, int n,
                                            int vocab) {
        for (@Parallel int i = 0; i < n; i++) {
            for (@Parallel int j = 0; j < vocab; j++) {
                float indicator = 0f;
                if (j == targets.get(tOff + i)) {
                    indicator = 1f;
                }
                dLogits.set(dOff + i * vocab + j, weights.get(wOff + i) * (probs.get(pOff + i * vocab + j) - indicator));
            }
        }
    }

    /**
     * {@link #crossEntropyBackward} with dLogits and probs in one array (dOff and pOff into it; the engine passes
     * the same tensor, dOff = pOff): a task given one array as two parameters stalled TornadoVM 5.2's graph
     * compiler (minutes in its scheduling). Each thread reads its element before it writes it.
     */
    public static void crossEntropyBackwardInPlace(FloatArray values, int dOff, int pOff, IntArray targets, int tOff,
                                                   FloatArray weights, int wOff, int n, int vocab) {
        for (@Parallel int i = 0; i < n; i++) {
            for (@Parallel int j = 0; j < vocab; j++) {
                float indicator = 0f;
                if (j == targets.get(tOff + i)) {
                    indicator = 1f;
                }
                float p = values.get(pOff + i * vocab + j);
                values.set(dOff + i * vocab + j, weights.get(wOff + i) * (p - indicator));
            }
        }
    }
}
