package org.likra.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * RMSNorm and LayerNorm, forward and backward. Row statistics: one thread per row. Weight and bias gradients: one
 * thread per column summing over all rows (no atomics). {@code @Parallel} loops; also plain Java.
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

    /** dBias[j] += sum_i dOut[i, j] (also the bias gradient of a linear layer, with c = outDim). */
    public static void columnSums(FloatArray db, int dbOff, FloatArray dOut, int doOff, int n, int c) {
        for (@Parallel int j = 0; j < c; j++) {
            float sum = 0f;
            for (int i = 0; i < n; i++) {
                sum += dOut.get(doOff + i * c + j);
            }
            db.set(dbOff + j, db.get(dbOff + j) + sum);
        }
    }
}
