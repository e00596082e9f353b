package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.likra.engine.IntTensor;
import org.likra.engine.Tensor;

import static org.likra.engine.cpu.CpuEngine.f;
import static org.likra.engine.cpu.CpuEngine.ints;

/**
 * Softmax cross-entropy, forward and backward, row-parallel: each row is computed by one thread, with {@link Simd}'s
 * fixed-order sums and exp, so its bits do not depend on the thread count or on whether the code is compiled.
 *
 * <p>Not thread-safe: the arguments of the call in progress live in fields, so that no per-call objects are made.
 */
final class Losses {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;

    private final WorkPool pool;
    private final WorkPool.Body crossEntropyForwardBody = this::crossEntropyForwardRows;
    private final WorkPool.Body crossEntropyBackwardBody = this::crossEntropyBackwardRows;

    // Arguments of the call in progress.
    private Tensor out, x, dx, losses, weights;
    private IntTensor targets;
    private int cols;

    Losses(WorkPool pool) {
        this.pool = pool;
    }

    private void clear() {
        out = x = dx = losses = weights = null;
        targets = null;
    }

    /**
     * probs[i, :] = softmax(logits[i, :]); losses[i] = log sum_j exp(logits[i, j] - max) + max - logits[i, t_i].
     * Three passes over a row (max; exp, store and sum; scale by 1 / sum), each over a row that stays in cache.
     * (x = logits, out = probs)
     */
    void crossEntropyForward(Tensor losses, Tensor probs, Tensor logits, IntTensor targets, int n, int vocab) {
        this.losses = losses;
        this.out = probs;
        this.x = logits;
        this.targets = targets;
        this.cols = vocab;
        pool.run(n, CpuEngine.rowGrain(vocab), crossEntropyForwardBody);
        clear();
    }

    private void crossEntropyForwardRows(int start, int end, int worker) {
        float[] l = f(losses), p = f(out), z = f(x);
        int[] tg = ints(targets);
        for (int i = start; i < end; i++) {
            int row = x.offset() + i * cols, prow = out.offset() + i * cols;
            float max = Simd.max(z, row, cols);
            double sum = Simd.expShifted(z, row, max, p, prow, cols);
            Simd.scale(p, prow, (float) (1.0 / sum), cols);
            int target = tg[targets.offset() + i];
            l[losses.offset() + i] = (float) (Math.log(sum) + max - z[row + target]);
        }
    }

    /**
     * dLogits[i, :] = weights[i] (probs[i, :] - onehot(targets[i])); overwrites dLogits, which may be probs itself
     * (in place: a row's target probability is read before the row is written). (dx = dLogits)
     */
    void crossEntropyBackward(Tensor dLogits, Tensor probs, IntTensor targets, Tensor weights, int n, int vocab) {
        this.dx = dLogits;
        this.out = probs;
        this.targets = targets;
        this.weights = weights;
        this.cols = vocab;
        pool.run(n, CpuEngine.rowGrain(vocab), crossEntropyBackwardBody);
        clear();
    }

    private void crossEntropyBackwardRows(int start, int end, int worker) {
        float[] d = f(dx), p = f(out), w = f(weights);
        int[] tg = ints(targets);
        for (int i = start; i < end; i++) {
            float wi = w[weights.offset() + i];
            int prow = out.offset() + i * cols, drow = dx.offset() + i * cols;
            int target = tg[targets.offset() + i];
            float targetProb = p[prow + target]; // before the row is written: dLogits may be probs
            FloatVector vw = FloatVector.broadcast(F, wi);
            int j = 0;
            for (int bound = F.loopBound(cols); j < bound; j += L) {
                FloatVector.fromArray(F, p, prow + j).mul(vw).intoArray(d, drow + j);
            }
            for (; j < cols; j++) {
                d[drow + j] = p[prow + j] * wi;
            }
            d[drow + target] = wi * (targetProb - 1f);
        }
    }
}
