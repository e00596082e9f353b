package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.likra.engine.IntTensor;
import org.likra.engine.Tensor;

import static org.likra.engine.cpu.CpuEngine.f;
import static org.likra.engine.cpu.CpuEngine.ints;

/**
 * Row softmax (forward and backward) and softmax cross-entropy (forward and backward), row-parallel: each row is
 * computed by one thread, with {@link Simd}'s fixed-order sums and exp, so its bits do not depend on the thread
 * count or on whether the code is compiled.
 *
 * <p>Not thread-safe: the arguments of the call in progress live in fields, so that no per-call objects are made.
 */
final class Losses {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;

    private final WorkPool pool;
    private final WorkPool.Body softmaxForwardBody = this::softmaxForwardRows;
    private final WorkPool.Body softmaxBackwardBody = this::softmaxBackwardRows;
    private final WorkPool.Body crossEntropyForwardBody = this::crossEntropyForwardRows;
    private final WorkPool.Body crossEntropyBackwardBody = this::crossEntropyBackwardRows;

    // Arguments of the call in progress.
    private Tensor out, x, dx, dOut, losses, weights;
    private IntTensor targets;
    private int cols;

    Losses(WorkPool pool) {
        this.pool = pool;
    }

    private void clear() {
        out = x = dx = dOut = losses = weights = null;
        targets = null;
    }

    /** out[i, :] = exp(x[i, :] - max_i) / sum_j exp(x[i, j] - max_i). x, out (rows, cols). */
    void softmaxForward(Tensor out, Tensor x, int rows, int cols) {
        this.out = out;
        this.x = x;
        this.cols = cols;
        pool.run(rows, CpuEngine.rowGrain(cols), softmaxForwardBody);
        clear();
    }

    private void softmaxForwardRows(int start, int end, int worker) {
        float[] o = f(out), xs = f(x);
        for (int r = start; r < end; r++) {
            int row = x.offset() + r * cols, orow = out.offset() + r * cols;
            float max = Simd.max(xs, row, cols);
            double sum = Simd.expShifted(xs, row, max, o, orow, cols);
            Simd.scale(o, orow, (float) (1.0 / sum), cols);
        }
    }

    /** dx[i, j] += out[i, j] (dOut[i, j] - sum_k dOut[i, k] out[i, k]). */
    void softmaxBackward(Tensor dx, Tensor dOut, Tensor out, int rows, int cols) {
        this.dx = dx;
        this.dOut = dOut;
        this.out = out;
        this.cols = cols;
        pool.run(rows, CpuEngine.rowGrain(cols), softmaxBackwardBody);
        clear();
    }

    private void softmaxBackwardRows(int start, int end, int worker) {
        float[] d = f(dx), dout = f(dOut), o = f(out);
        for (int r = start; r < end; r++) {
            int orow = out.offset() + r * cols, drow = dOut.offset() + r * cols, dxrow = dx.offset() + r * cols;
            float dotS = Simd.dot(dout, drow, o, orow, cols);
            FloatVector dot = FloatVector.broadcast(F, dotS);
            int j = 0;
            for (int bound = F.loopBound(cols); j < bound; j += L) {
                FloatVector.fromArray(F, dout, drow + j).sub(dot).mul(FloatVector.fromArray(F, o, orow + j))
                        .add(FloatVector.fromArray(F, d, dxrow + j)).intoArray(d, dxrow + j);
            }
            for (; j < cols; j++) {
                d[dxrow + j] = (dout[drow + j] - dotS) * o[orow + j] + d[dxrow + j];
            }
        }
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
