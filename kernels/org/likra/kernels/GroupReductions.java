package org.likra.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;

/**
 * Reductions over the threads of one work-group of {@code threads} threads (a power of two), for the kernels that run
 * one work-group per row ({@link Norms}, {@link Losses}): thread t puts its value in parts[t] (a local array of
 * {@code threads} floats), a fixed tree of halving strides combines them (the same order on every run: no atomics), and
 * every thread gets the result. Each ends with a barrier after reading parts[0], so the caller may reuse parts at
 * once. TornadoVM inlines these into the calling kernel.
 */
public final class GroupReductions {
    private GroupReductions() {
    }

    /** The sum of value over the work-group's threads. */
    public static float sum(KernelContext ctx, float[] parts, int threads, int t, float value) {
        parts[t] = value;
        for (int stride = threads / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (t < stride) {
                parts[t] += parts[t + stride];
            }
        }
        ctx.localBarrier();
        float total = parts[0];
        ctx.localBarrier();
        return total;
    }

    /** The largest value over the work-group's threads. */
    public static float max(KernelContext ctx, float[] parts, int threads, int t, float value) {
        parts[t] = value;
        for (int stride = threads / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (t < stride) {
                parts[t] = TornadoMath.max(parts[t], parts[t + stride]);
            }
        }
        ctx.localBarrier();
        float largest = parts[0];
        ctx.localBarrier();
        return largest;
    }
}
