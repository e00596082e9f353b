package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.likra.engine.Tensor;

import static org.likra.engine.cpu.CpuEngine.f;

/**
 * The optimizer's operations: the squared gradient norm (a parallel reduction over fixed blocks whose sums are
 * added in block order, so the result does not depend on the thread count) and the element-wise AdamW update
 * (vector body and a scalar tail with the same operations in the same order).
 *
 * <p>Not thread-safe: the arguments of the call in progress live in fields, so that no per-call objects are made.
 */
final class Optimizer {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;
    /** Block of the parallel sum of squares. */
    private static final int SUM_BLOCK = 1 << 16;

    private final WorkPool pool;
    private final int grain;
    private final WorkPool.Body squaresBody = this::squareBlocks;
    private final WorkPool.Body adamwBody = this::adamwRange;
    private double[] partials = new double[0];

    // Arguments of the call in progress.
    private float[] p, g, ms, vs;
    private int po, go, mo, vo, n;
    private float clip, b1, b2, c1, c2, invCorr1, invCorr2, lr, eps, decay;

    /** grain: elements per chunk unit of the AdamW update, a multiple of the vector length. */
    Optimizer(WorkPool pool, int grain) {
        this.pool = pool;
        this.grain = grain / L * L;
    }

    /** out[0] = sum_i x[i]^2: float sums of fixed blocks of {@link #SUM_BLOCK}, block sums added in order in double. */
    void sumOfSquares(Tensor out, Tensor x, int n) {
        int blocks = (n + SUM_BLOCK - 1) / SUM_BLOCK;
        if (partials.length < blocks) {
            partials = new double[blocks];
        }
        this.g = f(x);
        this.go = x.offset();
        this.n = n;
        pool.run(blocks, 1, squaresBody);
        g = null;
        double total = 0;
        for (int blk = 0; blk < blocks; blk++) {
            total += partials[blk];
        }
        f(out)[out.offset()] = (float) total;
    }

    private void squareBlocks(int start, int end, int worker) {
        for (int blk = start; blk < end; blk++) {
            int from = blk * SUM_BLOCK;
            partials[blk] = Simd.dotDouble(g, go + from, null, 0, Math.min(SUM_BLOCK, n - from));
        }
    }

    /**
     * g = clip grad, clip = min(1, maxGradNorm / sqrt(gradNormSquared[0])); m = b1 m + (1 - b1) g;
     * v = b2 v + (1 - b2) g^2; p -= lr (m / (1 - b1^step) / (sqrt(v / (1 - b2^step)) + eps) + weightDecay p).
     */
    void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor gradNormSquared, float lr, float beta1,
               float beta2, float eps, float weightDecay, float maxGradNorm, int step, int n) {
        double clipD = 1.0;
        if (maxGradNorm > 0 && gradNormSquared != null) {
            double norm = Math.sqrt(f(gradNormSquared)[gradNormSquared.offset()]);
            if (norm > maxGradNorm) {
                clipD = maxGradNorm / norm;
            }
        }
        clip = (float) clipD;
        b1 = beta1;
        b2 = beta2;
        c1 = (float) (1.0 - b1);
        c2 = (float) (1.0 - b2);
        invCorr1 = (float) (1.0 / (1.0 - Math.pow(b1, step)));
        invCorr2 = (float) (1.0 / (1.0 - Math.pow(b2, step)));
        this.lr = lr;
        this.eps = eps;
        this.decay = weightDecay;
        this.p = f(params);
        this.g = f(grads);
        this.ms = f(m);
        this.vs = f(v);
        po = params.offset();
        go = grads.offset();
        mo = m.offset();
        vo = v.offset();
        pool.run(n, grain, adamwBody);
        this.p = this.g = this.ms = this.vs = null;
    }

    private void adamwRange(int start, int end, int worker) {
        int i = start;
        for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
            FloatVector grad = FloatVector.fromArray(F, g, go + i).mul(clip);
            FloatVector mi = FloatVector.fromArray(F, ms, mo + i).mul(b1).add(grad.mul(c1));
            FloatVector vi = FloatVector.fromArray(F, vs, vo + i).mul(b2).add(grad.mul(grad).mul(c2));
            mi.intoArray(ms, mo + i);
            vi.intoArray(vs, vo + i);
            FloatVector pi = FloatVector.fromArray(F, p, po + i);
            FloatVector step = mi.mul(invCorr1).div(vi.mul(invCorr2).lanewise(VectorOperators.SQRT).add(eps))
                    .add(pi.mul(decay));
            pi.sub(step.mul(lr)).intoArray(p, po + i);
        }
        for (; i < end; i++) {
            float grad = g[go + i] * clip;
            float mi = ms[mo + i] * b1 + grad * c1;
            float vi = vs[vo + i] * b2 + grad * grad * c2;
            ms[mo + i] = mi;
            vs[vo + i] = vi;
            float pi = p[po + i];
            float step = mi * invCorr1 / ((float) Math.sqrt(vi * invCorr2) + eps) + pi * decay;
            p[po + i] = pi - step * lr;
        }
    }
}
