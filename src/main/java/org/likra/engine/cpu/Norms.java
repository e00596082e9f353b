package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.likra.engine.Tensor;

import static org.likra.engine.cpu.CpuEngine.f;

/**
 * RMSNorm and LayerNorm over rows of c elements, forward and backward. Row quantities (the input gradient, the
 * statistics) are computed row-parallel, one row per thread at a time; the weight and bias gradients, which every
 * row adds into, column-parallel (each thread owns a range of columns and adds the rows in order), so no two
 * threads write one element and the order of every sum is fixed.
 *
 * <p>Not thread-safe: the arguments of the call in progress live in fields, so that no per-call objects are made.
 */
final class Norms {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;

    private final WorkPool pool;
    private final WorkPool.Body rmsForwardBody = this::rmsForwardRows;
    private final WorkPool.Body rmsBackwardBody = this::rmsBackwardRows;
    private final WorkPool.Body rmsWeightBody = this::rmsWeightColumns;
    private final WorkPool.Body layerForwardBody = this::layerForwardRows;
    private final WorkPool.Body layerBackwardBody = this::layerBackwardRows;
    private final WorkPool.Body layerWeightBody = this::layerWeightColumns;

    // Arguments of the call in progress.
    private Tensor out, dx, dWeight, dBias, dOut, x, weight, bias, mean, rstd;
    private int n, c;
    private float eps;

    Norms(WorkPool pool) {
        this.pool = pool;
    }

    private void clear() {
        out = dx = dWeight = dBias = dOut = x = weight = bias = mean = rstd = null;
    }

    // ------------------------------------------------------------------------------------------------ RMSNorm

    /** rstd[i] = 1 / sqrt(mean_j x[i, j]^2 + eps); out[i, j] = x[i, j] rstd[i] weight[j]. x, out (n, c). */
    void rmsForward(Tensor out, Tensor rstd, Tensor x, Tensor weight, int n, int c, float eps) {
        this.out = out;
        this.rstd = rstd;
        this.x = x;
        this.weight = weight;
        this.n = n;
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
        this.dWeight = dWeight;
        this.dOut = dOut;
        this.x = x;
        this.weight = weight;
        this.rstd = rstd;
        this.n = n;
        this.c = c;
        if (dx != null) {
            pool.run(n, CpuEngine.rowGrain(c), rmsBackwardBody);
        }
        if (dWeight != null) {
            pool.run(c, CpuEngine.columnGrain(n), rmsWeightBody);
        }
        clear();
    }

    private void rmsBackwardRows(int start, int end, int worker) {
        float[] xs = f(x), w = f(weight), r = f(rstd), dout = f(dOut), d = f(dx);
        int wo = weight.offset();
        for (int i = start; i < end; i++) {
            int row = x.offset() + i * c, drow = dOut.offset() + i * c, dxrow = dx.offset() + i * c;
            float rs = r[rstd.offset() + i];
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

    private void rmsWeightColumns(int j0, int j1, int worker) {
        float[] xs = f(x), r = f(rstd), dout = f(dOut), dw = f(dWeight);
        int dwo = dWeight.offset();
        for (int i = 0; i < n; i++) {
            float rs = r[rstd.offset() + i];
            int row = x.offset() + i * c, drow = dOut.offset() + i * c;
            FloatVector vrs = FloatVector.broadcast(F, rs);
            int j = j0;
            for (int bound = j0 + F.loopBound(j1 - j0); j < bound; j += L) {
                FloatVector.fromArray(F, dout, drow + j).mul(FloatVector.fromArray(F, xs, row + j))
                        .fma(vrs, FloatVector.fromArray(F, dw, dwo + j)).intoArray(dw, dwo + j);
            }
            for (; j < j1; j++) {
                dw[dwo + j] = Math.fma(dout[drow + j] * xs[row + j], rs, dw[dwo + j]);
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
        this.n = n;
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
        this.dWeight = dWeight;
        this.dBias = dBias;
        this.dOut = dOut;
        this.x = x;
        this.weight = weight;
        this.mean = mean;
        this.rstd = rstd;
        this.n = n;
        this.c = c;
        if (dx != null) {
            pool.run(n, CpuEngine.rowGrain(c), layerBackwardBody);
        }
        if (dWeight != null || dBias != null) {
            pool.run(c, CpuEngine.columnGrain(n), layerWeightBody);
        }
        clear();
    }

    private void layerBackwardRows(int start, int end, int worker) {
        float[] xs = f(x), w = f(weight), mu = f(mean), r = f(rstd), dout = f(dOut), d = f(dx);
        int wo = weight.offset();
        for (int i = start; i < end; i++) {
            int row = x.offset() + i * c, drow = dOut.offset() + i * c, dxrow = dx.offset() + i * c;
            float m = mu[mean.offset() + i], rs = r[rstd.offset() + i];
            FloatVector vm = FloatVector.broadcast(F, m), vrs = FloatVector.broadcast(F, rs);
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

    private void layerWeightColumns(int j0, int j1, int worker) {
        float[] xs = f(x), mu = f(mean), r = f(rstd), dout = f(dOut);
        float[] dw = dWeight == null ? null : f(dWeight), db = dBias == null ? null : f(dBias);
        int dwo = dWeight == null ? 0 : dWeight.offset(), dbo = dBias == null ? 0 : dBias.offset();
        for (int i = 0; i < n; i++) {
            int row = x.offset() + i * c, drow = dOut.offset() + i * c;
            float m = mu[mean.offset() + i], rs = r[rstd.offset() + i];
            if (dw != null) {
                FloatVector vm = FloatVector.broadcast(F, m), vrs = FloatVector.broadcast(F, rs);
                int j = j0;
                for (int bound = j0 + F.loopBound(j1 - j0); j < bound; j += L) {
                    FloatVector norm = FloatVector.fromArray(F, xs, row + j).sub(vm).mul(vrs);
                    FloatVector.fromArray(F, dout, drow + j).fma(norm, FloatVector.fromArray(F, dw, dwo + j))
                            .intoArray(dw, dwo + j);
                }
                for (; j < j1; j++) {
                    dw[dwo + j] = Math.fma(dout[drow + j], (xs[row + j] - m) * rs, dw[dwo + j]);
                }
            }
            if (db != null) {
                Simd.addInto(dout, drow + j0, db, dbo + j0, j1 - j0);
            }
        }
    }
}
