package org.likra.engine.reference;

import org.likra.engine.Tensor;

import static org.likra.engine.reference.ReferenceEngine.a;

/**
 * Causal grouped-query attention, forward and backward, of the {@link ReferenceEngine}: plain scalar loops in double,
 * each stored value rounded to the engine's precision ({@code docs/math.md}, section 7).
 */
final class ReferenceAttention {
    private final ReferenceEngine engine;

    ReferenceAttention(ReferenceEngine engine) {
        this.engine = engine;
    }

    private double st(double x) {
        return engine.st(x);
    }

    void attentionForward(Tensor out, Tensor probs, Tensor q, Tensor k, Tensor v, int batch, int time,
                          int heads, int kvHeads, int headDim) {
        double[] o = a(out), p = a(probs), qs = a(q), ks = a(k), vs = a(v);
        int group = heads / kvHeads;
        double scale = 1.0 / Math.sqrt(headDim);
        double[] scores = new double[time];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / group;
                for (int t = 0; t < time; t++) {
                    int qAt = q.offset() + ((b * time + t) * heads + h) * headDim;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        int kAt = k.offset() + ((b * time + s) * kvHeads + g) * headDim;
                        double dot = 0;
                        for (int i = 0; i < headDim; i++) {
                            dot += qs[qAt + i] * ks[kAt + i];
                        }
                        scores[s] = dot * scale;
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) {
                        scores[s] = Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    int pRow = probs.offset() + ((b * heads + h) * time + t) * time;
                    for (int s = 0; s < time; s++) {
                        p[pRow + s] = s <= t ? st(scores[s] / sum) : 0.0;
                    }
                    int oAt = out.offset() + ((b * time + t) * heads + h) * headDim;
                    for (int i = 0; i < headDim; i++) {
                        double acc = 0;
                        for (int s = 0; s <= t; s++) {
                            acc += p[pRow + s] * vs[v.offset() + ((b * time + s) * kvHeads + g) * headDim + i];
                        }
                        o[oAt + i] = st(acc);
                    }
                }
            }
        }
    }

    void attentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dOut, Tensor q, Tensor k, Tensor v,
                           Tensor probs, int batch, int time, int heads, int kvHeads, int headDim) {
        double[] p = a(probs), qs = a(q), ks = a(k), vs = a(v), dout = a(dOut);
        double[] dqs = a(dq), dks = a(dk), dvs = a(dv);
        int group = heads / kvHeads;
        double scale = 1.0 / Math.sqrt(headDim);
        double[] dProbs = new double[time];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / group;
                for (int t = 0; t < time; t++) {
                    int pRow = probs.offset() + ((b * heads + h) * time + t) * time;
                    int doAt = dOut.offset() + ((b * time + t) * heads + h) * headDim;
                    int qAt = q.offset() + ((b * time + t) * heads + h) * headDim;
                    // dP[s] = dOut[t] . v[s];  dv[s] += P[s] dOut[t]
                    double weighted = 0;
                    for (int s = 0; s <= t; s++) {
                        int vAt = ((b * time + s) * kvHeads + g) * headDim;
                        double dot = 0;
                        for (int i = 0; i < headDim; i++) {
                            dot += dout[doAt + i] * vs[v.offset() + vAt + i];
                            int at = dv.offset() + vAt + i;
                            dvs[at] = st(dvs[at] + p[pRow + s] * dout[doAt + i]);
                        }
                        dProbs[s] = dot;
                        weighted += p[pRow + s] * dot;
                    }
                    // dScore[s] = P[s] (dP[s] - sum_s' P[s'] dP[s']); dq += scale dScore k; dk += scale dScore q
                    for (int s = 0; s <= t; s++) {
                        double dScore = p[pRow + s] * (dProbs[s] - weighted) * scale;
                        int kAt = ((b * time + s) * kvHeads + g) * headDim;
                        for (int i = 0; i < headDim; i++) {
                            int qi = dq.offset() + ((b * time + t) * heads + h) * headDim + i;
                            dqs[qi] = st(dqs[qi] + dScore * ks[k.offset() + kAt + i]);
                            int ki = dk.offset() + kAt + i;
                            dks[ki] = st(dks[ki] + dScore * qs[qAt + i]);
                        }
                    }
                }
            }
        }
    }
}
