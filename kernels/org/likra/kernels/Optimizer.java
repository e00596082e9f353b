package org.likra.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** AdamW. {@code @Parallel} loop; also plain Java. */
public final class Optimizer {
    private Optimizer() {
    }

    /** Slots of the hyper-parameter array, written by the host before every launch (so one compiled graph serves every step). */
    public static final int LR = 0, BETA1 = 1, BETA2 = 2, EPS = 3, DECAY = 4, MAX_NORM = 5, CORRECTION1 = 6,
            CORRECTION2 = 7, HYPER_SIZE = 8;

    /**
     * One AdamW update of n parameters, the first {@code decayed} of them with the weight decay hyper[DECAY] and the
     * rest without (a whole parameter buffer, matrices first, in one launch); the clip factor
     * min(1, maxNorm / sqrt(norm2[nOff])) is computed on the device from the squared global gradient norm (no host
     * round trip). maxNorm &lt;= 0 disables clipping.
     */
    public static void adamw(FloatArray p, int pOff, FloatArray g, int gOff, FloatArray m, int mOff, FloatArray v,
                             int vOff, FloatArray norm2, int nOff, FloatArray hyper, int n, int decayed) {
        for (@Parallel int i = 0; i < n; i++) {
            float lr = hyper.get(LR);
            float beta1 = hyper.get(BETA1);
            float beta2 = hyper.get(BETA2);
            float maxNorm = hyper.get(MAX_NORM);
            float clip = 1f;
            if (maxNorm > 0f) {
                float norm = TornadoMath.sqrt(norm2.get(nOff));
                if (norm > maxNorm) {
                    clip = maxNorm / norm;
                }
            }
            float grad = g.get(gOff + i) * clip;
            float mi = beta1 * m.get(mOff + i) + (1f - beta1) * grad;
            float vi = beta2 * v.get(vOff + i) + (1f - beta2) * grad * grad;
            m.set(mOff + i, mi);
            v.set(vOff + i, vi);
            float mHat = mi / hyper.get(CORRECTION1);
            float vHat = vi / hyper.get(CORRECTION2);
            float pi = p.get(pOff + i);
            float decay = 0f;
            if (i < decayed) {
                decay = hyper.get(DECAY);
            }
            p.set(pOff + i, pi - lr * (mHat / (TornadoMath.sqrt(vHat) + hyper.get(EPS)) + decay * pi));
        }
    }
}
