package org.likra.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * RMSNorm and LayerNorm, forward and backward, in two forms. The {@code @Parallel} loops (also plain Java) give a
 * row's statistics to one thread and a weight or bias gradient's column to one thread summing over all rows. The
 * {@code Rows}/{@code Partials} forms are for devices with many threads: a work-group of ROW_THREADS threads per row,
 * each summing a strided part of the row and the work-group adding the parts in a fixed tree in local memory; and
 * the weight and bias gradients as per-block column sums ({@link #columnPartials}, BLOCK_ROWS rows a block) that
 * {@link #finishColumns} adds up block by block. No atomics anywhere, so every result is deterministic.
 */
public final class Norms {
    private Norms() {
    }

    /** rstd[i] = 1 / sqrt(mean x^2 + eps); out = x rstd w. */
    public static void rmsForward(FloatArray out, int oOff, FloatArray rstd, int rOff, FloatArray x, int xOff,
                                  FloatArray w, int wOff, int n, int c, float eps) {
        for (@Parallel int i = 0; i < n; i++) {
            int row = xOff + i * c;
            float ms = 0f;
            for (int j = 0; j < c; j++) {
                float v = x.get(row + j);
                ms += v * v;
            }
            float rs = 1f / TornadoMath.sqrt(ms / c + eps);
            rstd.set(rOff + i, rs);
            for (int j = 0; j < c; j++) {
                out.set(oOff + i * c + j, x.get(row + j) * rs * w.get(wOff + j));
            }
        }
    }

    /** dx += rs w dOut - rs^3 x (sum_k dOut_k w_k x_k) / c. */
    public static void rmsBackwardInput(FloatArray dx, int dxOff, FloatArray dOut, int doOff, FloatArray x, int xOff,
                                        FloatArray w, int wOff, FloatArray rstd, int rOff, int n, int c) {
        for (@Parallel int i = 0; i < n; i++) {
            int row = xOff + i * c;
            int drow = doOff + i * c;
            float rs = rstd.get(rOff + i);
            float dot = 0f;
            for (int j = 0; j < c; j++) {
                dot += dOut.get(drow + j) * w.get(wOff + j) * x.get(row + j);
            }
            float k = rs * rs * rs * dot / c;
            for (int j = 0; j < c; j++) {
                int at = dxOff + i * c + j;
                dx.set(at, dx.get(at) + rs * w.get(wOff + j) * dOut.get(drow + j) - k * x.get(row + j));
            }
        }
    }

    /** dWeight[j] += sum_i dOut[i, j] x[i, j] rstd[i]. */
    public static void rmsBackwardWeight(FloatArray dw, int dwOff, FloatArray dOut, int doOff, FloatArray x, int xOff,
                                         FloatArray rstd, int rOff, int n, int c) {
        for (@Parallel int j = 0; j < c; j++) {
            float sum = 0f;
            for (int i = 0; i < n; i++) {
                sum += dOut.get(doOff + i * c + j) * x.get(xOff + i * c + j) * rstd.get(rOff + i);
            }
            dw.set(dwOff + j, dw.get(dwOff + j) + sum);
        }
    }

    /** mean, rstd = 1 / sqrt(biased var + eps); out = (x - mean) rstd w + b. */
    public static void layerForward(FloatArray out, int oOff, FloatArray mean, int mOff, FloatArray rstd, int rOff,
                                    FloatArray x, int xOff, FloatArray w, int wOff, FloatArray bias, int bOff, int n,
                                    int c, float eps) {
        for (@Parallel int i = 0; i < n; i++) {
            int row = xOff + i * c;
            float m = 0f;
            for (int j = 0; j < c; j++) {
                m += x.get(row + j);
            }
            m = m / c;
            float var = 0f;
            for (int j = 0; j < c; j++) {
                float d = x.get(row + j) - m;
                var += d * d;
            }
            float rs = 1f / TornadoMath.sqrt(var / c + eps);
            mean.set(mOff + i, m);
            rstd.set(rOff + i, rs);
            for (int j = 0; j < c; j++) {
                out.set(oOff + i * c + j, (x.get(row + j) - m) * rs * w.get(wOff + j) + bias.get(bOff + j));
            }
        }
    }

    /** dx += rs (dnorm - mean(dnorm) - norm mean(dnorm norm)), dnorm = dOut w. */
    public static void layerBackwardInput(FloatArray dx, int dxOff, FloatArray dOut, int doOff, FloatArray x,
                                          int xOff, FloatArray w, int wOff, FloatArray mean, int mOff,
                                          FloatArray rstd, int rOff, int n, int c) {
        for (@Parallel int i = 0; i < n; i++) {
            int row = xOff + i * c;
            int drow = doOff + i * c;
            float m = mean.get(mOff + i);
            float rs = rstd.get(rOff + i);
            float meanDnorm = 0f;
            float meanDnormNorm = 0f;
            for (int j = 0; j < c; j++) {
                float norm = (x.get(row + j) - m) * rs;
                float dnorm = dOut.get(drow + j) * w.get(wOff + j);
                meanDnorm += dnorm;
                meanDnormNorm += dnorm * norm;
            }
            meanDnorm = meanDnorm / c;
            meanDnormNorm = meanDnormNorm / c;
            for (int j = 0; j < c; j++) {
                float norm = (x.get(row + j) - m) * rs;
                float dnorm = dOut.get(drow + j) * w.get(wOff + j);
                int at = dxOff + i * c + j;
                dx.set(at, dx.get(at) + rs * (dnorm - meanDnorm - norm * meanDnormNorm));
            }
        }
    }

    /** dWeight[j] += sum_i dOut[i, j] norm[i, j]. */
    public static void layerBackwardWeight(FloatArray dw, int dwOff, FloatArray dOut, int doOff, FloatArray x,
                                           int xOff, FloatArray mean, int mOff, FloatArray rstd, int rOff, int n,
                                           int c) {
        for (@Parallel int j = 0; j < c; j++) {
            float sum = 0f;
            for (int i = 0; i < n; i++) {
                float norm = (x.get(xOff + i * c + j) - mean.get(mOff + i)) * rstd.get(rOff + i);
                sum += dOut.get(doOff + i * c + j) * norm;
            }
            dw.set(dwOff + j, dw.get(dwOff + j) + sum);
        }
    }

    /**
     * dBias[j] (+)= sum_i dOut[i, j] (also the bias gradient of a linear layer, with c = outDim); accumulate 1 adds
     * to dBias, 0 overwrites it.
     */
    public static void columnSums(FloatArray db, int dbOff, FloatArray dOut, int doOff, int n, int c, int accumulate) {
        for (@Parallel int j = 0; j < c; j++) {
            float sum = 0f;
            for (int i = 0; i < n; i++) {
                sum += dOut.get(doOff + i * c + j);
            }
            if (accumulate == 1) {
                sum += db.get(dbOff + j);
            }
            db.set(dbOff + j, sum);
        }
    }

    /** Threads per row of the work-group forms (a power of two). */
    public static final int ROW_THREADS = 128;
    /** Rows per block of {@link #columnPartials}. */
    public static final int BLOCK_ROWS = 32;

    /** The kinds of {@link #columnPartials}: a bias gradient, LayerNorm's weight and bias, RMSNorm's weight. */
    public static final int COLUMNS_PLAIN = 0, COLUMNS_LAYER_WEIGHT = 1, COLUMNS_RMS_WEIGHT = 2;

    /** Blocks of BLOCK_ROWS rows covering n rows. */
    public static int blocks(int n) {
        return (n + BLOCK_ROWS - 1) / BLOCK_ROWS;
    }

    /**
     * {@link #layerForward} with one work-group of ROW_THREADS threads per row (group i = row i): the mean, then the
     * variance about it, each summed by the group. Launch: global n ROW_THREADS, local ROW_THREADS.
     */
    public static void layerForwardRows(KernelContext ctx, FloatArray out, int oOff, FloatArray mean, int mOff,
                                        FloatArray rstd, int rOff, FloatArray x, int xOff, FloatArray w, int wOff,
                                        FloatArray bias, int bOff, int n, int c, float eps) {
        int i = ctx.groupIdx;
        int t = ctx.localIdx;
        float[] parts = ctx.allocateFloatLocalArray(ROW_THREADS);
        int row = xOff + i * c;
        float s = 0f;
        for (int j = t; j < c; j += ROW_THREADS) {
            s += x.get(row + j);
        }
        float sTotal = GroupReductions.sum(ctx, parts, ROW_THREADS, t, s);
        float m = sTotal / c;
        float v = 0f;
        for (int j = t; j < c; j += ROW_THREADS) {
            float d = x.get(row + j) - m;
            v += d * d;
        }
        float vTotal = GroupReductions.sum(ctx, parts, ROW_THREADS, t, v);
        float rs = 1f / TornadoMath.sqrt(vTotal / c + eps);
        if (t == 0) {
            mean.set(mOff + i, m);
            rstd.set(rOff + i, rs);
        }
        for (int j = t; j < c; j += ROW_THREADS) {
            out.set(oOff + i * c + j, (x.get(row + j) - m) * rs * w.get(wOff + j) + bias.get(bOff + j));
        }
    }

    /** {@link #rmsForward} with one work-group per row, as {@link #layerForwardRows}. */
    public static void rmsForwardRows(KernelContext ctx, FloatArray out, int oOff, FloatArray rstd, int rOff,
                                      FloatArray x, int xOff, FloatArray w, int wOff, int n, int c, float eps) {
        int i = ctx.groupIdx;
        int t = ctx.localIdx;
        float[] parts = ctx.allocateFloatLocalArray(ROW_THREADS);
        int row = xOff + i * c;
        float s = 0f;
        for (int j = t; j < c; j += ROW_THREADS) {
            float v = x.get(row + j);
            s += v * v;
        }
        float sTotal = GroupReductions.sum(ctx, parts, ROW_THREADS, t, s);
        float rs = 1f / TornadoMath.sqrt(sTotal / c + eps);
        if (t == 0) {
            rstd.set(rOff + i, rs);
        }
        for (int j = t; j < c; j += ROW_THREADS) {
            out.set(oOff + i * c + j, x.get(row + j) * rs * w.get(wOff + j));
        }
    }

    /**
     * {@link #layerBackwardInput} with one work-group per row: both row means summed by the group, one after the
     * other.
     */
    public static void layerBackwardInputRows(KernelContext ctx, FloatArray dx, int dxOff, FloatArray dOut, int doOff,
                                              FloatArray x, int xOff, FloatArray w, int wOff, FloatArray mean,
                                              int mOff, FloatArray rstd, int rOff, int n, int c) {
        int i = ctx.groupIdx;
        int t = ctx.localIdx;
        float[] parts = ctx.allocateFloatLocalArray(ROW_THREADS);
        int row = xOff + i * c;
        int drow = doOff + i * c;
        float m = mean.get(mOff + i);
        float rs = rstd.get(rOff + i);
        float sumDnorm = 0f;
        float sumDnormNorm = 0f;
        for (int j = t; j < c; j += ROW_THREADS) {
            float norm = (x.get(row + j) - m) * rs;
            float dnorm = dOut.get(drow + j) * w.get(wOff + j);
            sumDnorm += dnorm;
            sumDnormNorm += dnorm * norm;
        }
        float meanDnorm = GroupReductions.sum(ctx, parts, ROW_THREADS, t, sumDnorm) / c;
        float meanDnormNorm = GroupReductions.sum(ctx, parts, ROW_THREADS, t, sumDnormNorm) / c;
        for (int j = t; j < c; j += ROW_THREADS) {
            float norm = (x.get(row + j) - m) * rs;
            float dnorm = dOut.get(drow + j) * w.get(wOff + j);
            int at = dxOff + i * c + j;
            dx.set(at, dx.get(at) + rs * (dnorm - meanDnorm - norm * meanDnormNorm));
        }
    }

    /** {@link #rmsBackwardInput} with one work-group per row. */
    public static void rmsBackwardInputRows(KernelContext ctx, FloatArray dx, int dxOff, FloatArray dOut, int doOff,
                                            FloatArray x, int xOff, FloatArray w, int wOff, FloatArray rstd, int rOff,
                                            int n, int c) {
        int i = ctx.groupIdx;
        int t = ctx.localIdx;
        float[] parts = ctx.allocateFloatLocalArray(ROW_THREADS);
        int row = xOff + i * c;
        int drow = doOff + i * c;
        float rs = rstd.get(rOff + i);
        float dot = 0f;
        for (int j = t; j < c; j += ROW_THREADS) {
            dot += dOut.get(drow + j) * w.get(wOff + j) * x.get(row + j);
        }
        float dotTotal = GroupReductions.sum(ctx, parts, ROW_THREADS, t, dot);
        float k = rs * rs * rs * dotTotal / c;
        for (int j = t; j < c; j += ROW_THREADS) {
            int at = dxOff + i * c + j;
            dx.set(at, dx.get(at) + rs * w.get(wOff + j) * dOut.get(drow + j) - k * x.get(row + j));
        }
    }

    /**
     * Per-block column sums for the column reductions: over the rows i of block b (BLOCK_ROWS rows), kind 0 (a bias
     * gradient): partials[b c + j] = sum dOut[i, j]; kind 1 (LayerNorm's weight and bias gradients): partials[b c + j]
     * = sum dOut[i, j] norm[i, j], norm = (x[i, j] - mean[i]) rstd[i], and partials[(blocks + b) c + j] = sum
     * dOut[i, j]; kind 2 (RMSNorm's weight gradient): partials[b c + j] = sum dOut[i, j] x[i, j] rstd[i]. One thread
     * per (block, column); blocks = {@link #blocks}(n).
     */
    public static void columnPartials(FloatArray partials, FloatArray dOut, int doOff, FloatArray x, int xOff,
                                      FloatArray mean, int mOff, FloatArray rstd, int rOff, int kind, int n, int c,
                                      int blocks) {
        for (@Parallel int b = 0; b < blocks; b++) {
            for (@Parallel int j = 0; j < c; j++) {
                int end = TornadoMath.min(n, (b + 1) * BLOCK_ROWS);
                float sum = 0f;
                float plain = 0f;
                for (int i = b * BLOCK_ROWS; i < end; i++) {
                    float d = dOut.get(doOff + i * c + j);
                    if (kind == 1) {
                        sum += d * (x.get(xOff + i * c + j) - mean.get(mOff + i)) * rstd.get(rOff + i);
                        plain += d;
                    } else if (kind == 2) {
                        sum += d * x.get(xOff + i * c + j) * rstd.get(rOff + i);
                    } else {
                        sum += d;
                    }
                }
                partials.set(b * c + j, sum);
                if (kind == 1) {
                    partials.set((blocks + b) * c + j, plain);
                }
            }
        }
    }

    /**
     * out[j] (+)= sum over the blocks b, in order, of partials[(first + b) c + j] (first = 0, or blocks for
     * LayerNorm's bias partials); accumulate 1 adds, 0 overwrites. One thread per column.
     */
    public static void finishColumns(FloatArray out, int outOff, FloatArray partials, int first, int blocks, int c,
                                     int accumulate) {
        for (@Parallel int j = 0; j < c; j++) {
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                sum += partials.get((first + b) * c + j);
            }
            if (accumulate == 1) {
                sum += out.get(outOff + j);
            }
            out.set(outOff + j, sum);
        }
    }
}
