package org.likra.engine.reference;

import org.likra.engine.Tensor;

import static org.likra.engine.reference.ReferenceEngine.a;

/**
 * RMSNorm and LayerNorm, forward and backward, of the {@link ReferenceEngine}: plain scalar loops in double, each
 * stored value rounded to the engine's precision ({@code docs/math.md}, sections on the norms).
 */
final class ReferenceNorms {
    private final ReferenceEngine engine;

    ReferenceNorms(ReferenceEngine engine) {
        this.engine = engine;
    }

    private double st(double x) {
        return engine.st(x);
    }

    void rmsNormForward(Tensor out, Tensor rstd, Tensor x, Tensor weight, int n, int c, float eps) {
        double[] o = a(out), r = a(rstd), xs = a(x), w = a(weight);
        for (int i = 0; i < n; i++) {
            int row = x.offset() + i * c;
            double meanSquare = 0;
            for (int j = 0; j < c; j++) {
                meanSquare += xs[row + j] * xs[row + j];
            }
            meanSquare /= c;
            double rs = st(1.0 / Math.sqrt(meanSquare + eps));
            r[rstd.offset() + i] = rs;
            for (int j = 0; j < c; j++) {
                o[out.offset() + i * c + j] = st(xs[row + j] * rs * w[weight.offset() + j]);
            }
        }
    }

    void rmsNormBackward(Tensor dx, Tensor dWeight, Tensor dOut, Tensor x, Tensor weight, Tensor rstd, int n,
                         int c) {
        double[] xs = a(x), w = a(weight), r = a(rstd), dout = a(dOut);
        for (int i = 0; i < n; i++) {
            int row = x.offset() + i * c;
            int drow = dOut.offset() + i * c;
            double rs = r[rstd.offset() + i];
            // dot = sum_k dOut_k w_k x_k; dx_j = rs w_j dOut_j - rs^3 x_j dot / c
            double dot = 0;
            for (int j = 0; j < c; j++) {
                dot += dout[drow + j] * w[weight.offset() + j] * xs[row + j];
            }
            if (dx != null) {
                double[] d = a(dx);
                for (int j = 0; j < c; j++) {
                    int at = dx.offset() + i * c + j;
                    double g = rs * w[weight.offset() + j] * dout[drow + j] - rs * rs * rs * xs[row + j] * dot / c;
                    d[at] = st(d[at] + g);
                }
            }
            if (dWeight != null) {
                double[] dw = a(dWeight);
                for (int j = 0; j < c; j++) {
                    int at = dWeight.offset() + j;
                    dw[at] = st(dw[at] + dout[drow + j] * xs[row + j] * rs);
                }
            }
        }
    }

    void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, int n,
                          int c, float eps) {
        double[] o = a(out), mu = a(mean), r = a(rstd), xs = a(x), w = a(weight), bs = a(bias);
        for (int i = 0; i < n; i++) {
            int row = x.offset() + i * c;
            double m = 0;
            for (int j = 0; j < c; j++) {
                m += xs[row + j];
            }
            m /= c;
            double var = 0;
            for (int j = 0; j < c; j++) {
                double d = xs[row + j] - m;
                var += d * d;
            }
            var /= c;
            double rs = st(1.0 / Math.sqrt(var + eps));
            m = st(m);
            mu[mean.offset() + i] = m;
            r[rstd.offset() + i] = rs;
            for (int j = 0; j < c; j++) {
                double norm = (xs[row + j] - m) * rs;
                o[out.offset() + i * c + j] = st(norm * w[weight.offset() + j] + bs[bias.offset() + j]);
            }
        }
    }

    void layerNormBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight,
                           Tensor mean, Tensor rstd, int n, int c) {
        double[] xs = a(x), w = a(weight), mu = a(mean), r = a(rstd), dout = a(dOut);
        for (int i = 0; i < n; i++) {
            int row = x.offset() + i * c;
            int drow = dOut.offset() + i * c;
            double m = mu[mean.offset() + i];
            double rs = r[rstd.offset() + i];
            // dnorm = dOut * w; dx = rs (dnorm - mean(dnorm) - norm * mean(dnorm * norm))
            double meanDnorm = 0;
            double meanDnormNorm = 0;
            for (int j = 0; j < c; j++) {
                double norm = (xs[row + j] - m) * rs;
                double dnorm = dout[drow + j] * w[weight.offset() + j];
                meanDnorm += dnorm;
                meanDnormNorm += dnorm * norm;
            }
            meanDnorm /= c;
            meanDnormNorm /= c;
            for (int j = 0; j < c; j++) {
                double norm = (xs[row + j] - m) * rs;
                double dnorm = dout[drow + j] * w[weight.offset() + j];
                if (dx != null) {
                    int at = dx.offset() + i * c + j;
                    a(dx)[at] = st(a(dx)[at] + rs * (dnorm - meanDnorm - norm * meanDnormNorm));
                }
                if (dWeight != null) {
                    int at = dWeight.offset() + j;
                    a(dWeight)[at] = st(a(dWeight)[at] + dout[drow + j] * norm);
                }
                if (dBias != null) {
                    int at = dBias.offset() + j;
                    a(dBias)[at] = st(a(dBias)[at] + dout[drow + j]);
                }
            }
        }
    }
}
