package org.likra.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Softmax cross-entropy, forward and backward. {@code @Parallel} loops (also plain Java), and the forward pass with
 * one work-group per row ({@link #crossEntropyForwardRows}) for devices with many threads.
 */
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

    /** Threads per row of {@link #crossEntropyForwardRows} (a power of two). */
    public static final int ROW_THREADS = 256;

    /**
     * {@link #crossEntropyForward} with one work-group of ROW_THREADS threads per row (group i = row i): each thread
     * takes the logits j = t, t + ROW_THREADS, ...; the group reduces their maximum, then the sum of exp(z - max), in
     * a fixed tree in local memory; every thread writes its probabilities, thread 0 the loss. Launch: global
     * n ROW_THREADS, local ROW_THREADS.
     */
    public static void crossEntropyForwardRows(KernelContext ctx, FloatArray losses, int lOff, FloatArray probs,
                                               int pOff, FloatArray logits, int zOff, IntArray targets, int tOff,
                                               int n, int vocab) {
        int i = ctx.groupIdx;
        int t = ctx.localIdx;
        float[] parts = ctx.allocateFloatLocalArray(ROW_THREADS);
        int row = zOff + i * vocab;
        float max = -3.4e38f;
        for (int j = t; j < vocab; j += ROW_THREADS) {
            max = TornadoMath.max(max, logits.get(row + j));
        }
        max = GroupReductions.max(ctx, parts, ROW_THREADS, t, max);
        float sum = 0f;
        for (int j = t; j < vocab; j += ROW_THREADS) {
            sum += TornadoMath.exp(logits.get(row + j) - max);
        }
        sum = GroupReductions.sum(ctx, parts, ROW_THREADS, t, sum);
        float inv = 1f / sum;
        for (int j = t; j < vocab; j += ROW_THREADS) {
            probs.set(pOff + i * vocab + j, TornadoMath.exp(logits.get(row + j) - max) * inv);
        }
        if (t == 0) {
            int target = targets.get(tOff + i);
            losses.set(lOff + i, TornadoMath.log(sum) + max - logits.get(row + target));
        }
    }
}
