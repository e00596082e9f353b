package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.likra.engine.Tensor;

import java.util.Arrays;

import static org.likra.engine.cpu.CpuEngine.f;

/**
 * RMSNorm and LayerNorm over rows of c elements, forward and backward, row-parallel in the pool's chunks of rows.
 * The weight and bias gradients, which every row adds into, are summed in the same pass: each chunk of rows sums
 * its rows in order into its own partial row ({@link #partials}), and the caller then adds the chunks' partial rows
 * in chunk order. Chunk boundaries depend only on n and c ({@link WorkPool#chunkSize}), so no two threads write one
 * element and the order of every sum is fixed whatever the thread count. (Reading x and dOut once, by rows, instead
 * of a second column-parallel pass that split every row between the threads: 3x faster on two threads.)
 *
 * <p>Not thread-safe: the arguments of the call in progress live in fields, so that no per-call objects are made.
 */
final class Norms {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;

    private final WorkPool pool;
    private final WorkPool.Body rmsForwardBody = this::rmsForwardRows;
    private final WorkPool.Body rmsBackwardBody = this::rmsBackwardRows;
    private final WorkPool.Body layerForwardBody = this::layerForwardRows;
    private final WorkPool.Body layerBackwardBody = this::layerBackwardRows;

    // Arguments of the call in progress.
    private Tensor out, dx, dOut, x, weight, bias, mean, rstd;
    private int c;
    private float eps;
    /** Partial weight (and bias) gradient rows, one block of {@code 2 c} per chunk of rows; grown as needed. */
    private float[] partials = new float[0];
    /** Rows per chunk of the backward pass in progress, and whether it sums weight (and bias) gradients. */
    private int chunkRows;
    private boolean sumWeights;

    Norms(WorkPool pool) {
        this.pool = pool;
    }

    private void clear() {
        out = dx = dOut = x = weight = bias = mean = rstd = null;
    }

    // ------------------------------------------------------------------------------------------------ RMSNorm

    /** rstd[i] = 1 / sqrt(mean_j x[i, j]^2 + eps); out[i, j] = x[i, j] rstd[i] weight[j]. x, out (n, c). */
    void rmsForward(Tensor out, Tensor rstd, Tensor x, Tensor weight, int n, int c, float eps) {
        this.out = out;
        this.rstd = rstd;
        this.x = x;
        this.weight = weight;
        this.c = c;
        this.eps = eps;
        pool.run(n, CpuEngine.rowGrain(c), rmsForwardBody);
        clear();
    }

    private void rmsForwardRows(int start, int end, int worker) {
        float[] o = f(out), r = f(rstd), xs = f(x), w = f(weight);
        int wo = weight.offset();
        for (int i = start; i < end; i++) {
            int row = x.offset() + i * c, orow = out.offset() + i * c;
            double meanSquare = Simd.dot(xs, row, xs, row, c) / (double) c;
            float rs = (float) (1.0 / Math.sqrt(meanSquare + eps));
            r[rstd.offset() + i] = rs;
            FloatVector vrs = FloatVector.broadcast(F, rs);
            int j = 0;
            for (int bound = F.loopBound(c); j < bound; j += L) {
                FloatVector.fromArray(F, xs, row + j).mul(vrs).mul(FloatVector.fromArray(F, w, wo + j))
                        .intoArray(o, orow + j);
            }
            for (; j < c; j++) {
                o[orow + j] = xs[row + j] * rs * w[wo + j];
            }
        }
    }

    /**
     * With dot_i = sum_j dOut[i, j] w[j] x[i, j]: dx[i, j] += rs w[j] dOut[i, j] - rs^3 x[i, j] dot_i / c;
     * dWeight[j] += sum_i dOut[i, j] x[i, j] rs_i. Either gradient may be null.
     */
    void rmsBackward(Tensor dx, Tensor dWeight, Tensor dOut, Tensor x, Tensor weight, Tensor rstd, int n, int c) {
        this.dx = dx;
        this.dOut = dOut;
        this.x = x;
        this.weight = weight;
        this.rstd = rstd;
        this.c = c;
        if (dx != null || dWeight != null) {
            int chunks = startBackward(n, c, dWeight != null);
            pool.run(n, CpuEngine.rowGrain(c), rmsBackwardBody);
            if (sumWeights) {
                addPartials(chunks, 0, f(dWeight), dWeight.offset());
            }
        }
        clear();
    }

    /** Sets up a backward pass over n rows of c; returns its number of chunks (partials zeroed per chunk). */
    private int startBackward(int n, int c, boolean sumWeights) {
        this.sumWeights = sumWeights;
        this.chunkRows = WorkPool.chunkSize(n, CpuEngine.rowGrain(c));
        int chunks = (n + chunkRows - 1) / chunkRows;
        if (sumWeights && partials.length < chunks * 2 * c) {
            partials = new float[chunks * 2 * c];
        }
        return chunks;
    }

    /** dst[j] += ((part_0[j] + part_1[j]) + ...) for j &lt; c: the chunks' partial rows at {@code at} in order. */
    private void addPartials(int chunks, int at, float[] dst, int dstOff) {
        int stride = 2 * c;
        int j = 0;
        for (int bound = F.loopBound(c); j < bound; j += L) {
            FloatVector sum = FloatVector.fromArray(F, partials, at + j);
            for (int k = 1; k < chunks; k++) {
                sum = sum.add(FloatVector.fromArray(F, partials, k * stride + at + j));
            }
            FloatVector.fromArray(F, dst, dstOff + j).add(sum).intoArray(dst, dstOff + j);
        }
        for (; j < c; j++) {
            float sum = partials[at + j];
            for (int k = 1; k < chunks; k++) {
                sum += partials[k * stride + at + j];
            }
            dst[dstOff + j] += sum;
        }
    }

    private void rmsBackwardRows(int start, int end, int worker) {
        float[] xs = f(x), w = f(weight), r = f(rstd), dout = f(dOut);
        float[] d = dx == null ? null : f(dx);
        float[] part = partials;
        int wo = weight.offset();
        int pw = sumWeights ? start / chunkRows * 2 * c : 0; // this chunk's partial dWeight row
        if (sumWeights) {
            Arrays.fill(part, pw, pw + c, 0f);
        }
        for (int i = start; i < end; i++) {
            int row = x.offset() + i * c, drow = dOut.offset() + i * c;
            float rs = r[rstd.offset() + i];
            if (sumWeights) { // partial dWeight[j] += dOut[i, j] x[i, j] rs, rows in order
                FloatVector vrs = FloatVector.broadcast(F, rs);
                int j = 0;
                for (int bound = F.loopBound(c); j < bound; j += L) {
                    FloatVector.fromArray(F, dout, drow + j).mul(FloatVector.fromArray(F, xs, row + j))
                            .fma(vrs, FloatVector.fromArray(F, part, pw + j)).intoArray(part, pw + j);
                }
                for (; j < c; j++) {
                    part[pw + j] = Math.fma(dout[drow + j] * xs[row + j], rs, part[pw + j]);
                }
            }
            if (d == null) {
                continue;
            }
            int dxrow = dx.offset() + i * c;
            FloatVector acc = FloatVector.zero(F);
            int j = 0;
            for (int bound = F.loopBound(c); j < bound; j += L) {
                acc = FloatVector.fromArray(F, dout, drow + j).mul(FloatVector.fromArray(F, w, wo + j))
                        .fma(FloatVector.fromArray(F, xs, row + j), acc);
            }
            float dot = Simd.sumLanes(acc);
            for (; j < c; j++) {
                dot = Math.fma(dout[drow + j] * w[wo + j], xs[row + j], dot);
            }
            float coef = rs * rs * rs * dot / c;
            FloatVector vrs = FloatVector.broadcast(F, rs), vcoef = FloatVector.broadcast(F, -coef);
            j = 0;
            for (int bound = F.loopBound(c); j < bound; j += L) {
                FloatVector g = FloatVector.fromArray(F, w, wo + j).mul(vrs)
                        .mul(FloatVector.fromArray(F, dout, drow + j))
                        .add(FloatVector.fromArray(F, xs, row + j).mul(vcoef));
                g.add(FloatVector.fromArray(F, d, dxrow + j)).intoArray(d, dxrow + j);
            }
            for (; j < c; j++) {
                d[dxrow + j] += w[wo + j] * rs * dout[drow + j] + xs[row + j] * -coef;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ LayerNorm

    /**
     * mean[i] = mean_j x[i, j]; rstd[i] = 1 / sqrt(mean_j (x[i, j] - mean[i])^2 + eps);
     * out[i, j] = (x[i, j] - mean[i]) rstd[i] weight[j] + bias[j].
     */
    void layerForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, int n, int c,
                      float eps) {
        this.out = out;
        this.mean = mean;
        this.rstd = rstd;
        this.x = x;
        this.weight = weight;
        this.bias = bias;
        this.c = c;
        this.eps = eps;
        pool.run(n, CpuEngine.rowGrain(c), layerForwardBody);
        clear();
    }

    private void layerForwardRows(int start, int end, int worker) {
        float[] o = f(out), mu = f(mean), r = f(rstd), xs = f(x), w = f(weight), bs = f(bias);
        int wo = weight.offset(), bo = bias.offset();
        for (int i = start; i < end; i++) {
            int row = x.offset() + i * c, orow = out.offset() + i * c;
            float m = Simd.sum(xs, row, c) / c;
            FloatVector vm = FloatVector.broadcast(F, m);
            FloatVector acc = FloatVector.zero(F);
            int j = 0;
            for (int bound = F.loopBound(c); j < bound; j += L) {
                FloatVector dv = FloatVector.fromArray(F, xs, row + j).sub(vm);
                acc = dv.fma(dv, acc);
            }
            float var = Simd.sumLanes(acc);
            for (; j < c; j++) {
                float dv = xs[row + j] - m;
                var = Math.fma(dv, dv, var);
            }
            float rs = (float) (1.0 / Math.sqrt((double) var / c + eps));
            mu[mean.offset() + i] = m;
            r[rstd.offset() + i] = rs;
            FloatVector vrs = FloatVector.broadcast(F, rs);
            j = 0;
            for (int bound = F.loopBound(c); j < bound; j += L) {
                FloatVector.fromArray(F, xs, row + j).sub(vm).mul(vrs)
                        .fma(FloatVector.fromArray(F, w, wo + j), FloatVector.fromArray(F, bs, bo + j))
                        .intoArray(o, orow + j);
            }
            for (; j < c; j++) {
                o[orow + j] = Math.fma((xs[row + j] - m) * rs, w[wo + j], bs[bo + j]);
            }
        }
    }

    /**
     * norm = (x - mean) rstd, dnorm = dOut w: dx += rstd (dnorm - mean_j dnorm - norm mean_j(dnorm norm));
     * dWeight[j] += sum_i dOut[i, j] norm[i, j]; dBias[j] += sum_i dOut[i, j]. Any gradient may be null.
     */
    void layerBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight, Tensor mean,
                       Tensor rstd, int n, int c) {
        this.dx = dx;
        this.dOut = dOut;
        this.x = x;
        this.weight = weight;
        this.mean = mean;
        this.rstd = rstd;
        this.c = c;
        if (dx != null || dWeight != null || dBias != null) {
            int chunks = startBackward(n, c, dWeight != null || dBias != null);
            pool.run(n, CpuEngine.rowGrain(c), layerBackwardBody);
            if (dWeight != null) {
                addPartials(chunks, 0, f(dWeight), dWeight.offset());
            }
            if (dBias != null) {
                addPartials(chunks, c, f(dBias), dBias.offset());
            }
        }
        clear();
    }

    private void layerBackwardRows(int start, int end, int worker) {
        float[] xs = f(x), w = f(weight), mu = f(mean), r = f(rstd), dout = f(dOut);
        float[] d = dx == null ? null : f(dx);
        float[] part = partials;
        int wo = weight.offset();
        int pw = sumWeights ? start / chunkRows * 2 * c : 0, pb = pw + c; // this chunk's partial dWeight, dBias rows
        if (sumWeights) {
            Arrays.fill(part, pw, pw + 2 * c, 0f);
        }
        for (int i = start; i < end; i++) {
            int row = x.offset() + i * c, drow = dOut.offset() + i * c;
            float m = mu[mean.offset() + i], rs = r[rstd.offset() + i];
            FloatVector vm = FloatVector.broadcast(F, m), vrs = FloatVector.broadcast(F, rs);
            if (sumWeights) { // partial dWeight[j] += dOut[i, j] norm[i, j]; partial dBias[j] += dOut[i, j]
                int j = 0;
                for (int bound = F.loopBound(c); j < bound; j += L) {
                    FloatVector norm = FloatVector.fromArray(F, xs, row + j).sub(vm).mul(vrs);
                    FloatVector g = FloatVector.fromArray(F, dout, drow + j);
                    g.fma(norm, FloatVector.fromArray(F, part, pw + j)).intoArray(part, pw + j);
                    FloatVector.fromArray(F, part, pb + j).add(g).intoArray(part, pb + j);
                }
                for (; j < c; j++) {
                    part[pw + j] = Math.fma(dout[drow + j], (xs[row + j] - m) * rs, part[pw + j]);
                    part[pb + j] += dout[drow + j];
                }
            }
            if (d == null) {
                continue;
            }
            int dxrow = dx.offset() + i * c;
            FloatVector accD = FloatVector.zero(F), accDN = FloatVector.zero(F);
            int j = 0;
            for (int bound = F.loopBound(c); j < bound; j += L) {
                FloatVector norm = FloatVector.fromArray(F, xs, row + j).sub(vm).mul(vrs);
                FloatVector dnorm = FloatVector.fromArray(F, dout, drow + j).mul(FloatVector.fromArray(F, w, wo + j));
                accD = accD.add(dnorm);
                accDN = dnorm.fma(norm, accDN);
            }
            float sumD = Simd.sumLanes(accD);
            float sumDN = Simd.sumLanes(accDN);
            for (; j < c; j++) {
                float norm = (xs[row + j] - m) * rs, dnorm = dout[drow + j] * w[wo + j];
                sumD += dnorm;
                sumDN = Math.fma(dnorm, norm, sumDN);
            }
            float meanD = sumD / c, meanDN = sumDN / c;
            FloatVector vmd = FloatVector.broadcast(F, meanD), vmdn = FloatVector.broadcast(F, meanDN);
            j = 0;
            for (int bound = F.loopBound(c); j < bound; j += L) {
                FloatVector norm = FloatVector.fromArray(F, xs, row + j).sub(vm).mul(vrs);
                FloatVector dnorm = FloatVector.fromArray(F, dout, drow + j).mul(FloatVector.fromArray(F, w, wo + j));
                FloatVector g = dnorm.sub(vmd).sub(norm.mul(vmdn)).mul(vrs);
                g.add(FloatVector.fromArray(F, d, dxrow + j)).intoArray(d, dxrow + j);
            }
            for (; j < c; j++) {
                float norm = (xs[row + j] - m) * rs, dnorm = dout[drow + j] * w[wo + j];
                d[dxrow + j] += (dnorm - meanD - norm * meanDN) * rs;
            }
        }
    }
}
