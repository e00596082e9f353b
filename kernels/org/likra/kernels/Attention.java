package org.likra.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Causal attention with grouped key/value heads (query head h reads kv head h / (heads / kvHeads)).
 * Layouts: q, out (batch, time, heads, d); k, v (batch, time, kvHeads, d); probs, dScores (batch, heads, time, time).
 * The backward pass runs in two kernels so that no output is written by two threads: {@link #backwardQuery} (one
 * thread per query row) stores dScores and accumulates dq; {@link #backwardKeyValue} (one thread per key row and
 * dimension) sums over the query rows and heads that read it. {@code @Parallel} loops; also plain Java.
 */
public final class Attention {
    private Attention() {
    }

    /** One thread per (b, h, t): scores, softmax over s &lt;= t (zeros beyond), then out = probs v. */
    public static void forward(FloatArray out, int oOff, FloatArray probs, int pOff, FloatArray q, int qOff,
                               FloatArray k, int kOff, FloatArray v, int vOff, int batch, int time, int heads,
                               int kvHeads, int d) {
        float scale = 1f / TornadoMath.sqrt((float) d);
        for (@Parallel int b = 0; b < batch; b++) {
            for (@Parallel int h = 0; h < heads; h++) {
                for (@Parallel int t = 0; t < time; t++) {
                    int g = h / (heads / kvHeads);
                    int qAt = qOff + ((b * time + t) * heads + h) * d;
                    int pRow = pOff + ((b * heads + h) * time + t) * time;
                    float max = -3.4e38f;
                    for (int s = 0; s <= t; s++) {
                        int kAt = kOff + ((b * time + s) * kvHeads + g) * d;
                        float dot = 0f;
                        for (int i = 0; i < d; i++) {
                            dot += q.get(qAt + i) * k.get(kAt + i);
                        }
                        dot = dot * scale;
                        probs.set(pRow + s, dot);
                        max = TornadoMath.max(max, dot);
                    }
                    float sum = 0f;
                    for (int s = 0; s <= t; s++) {
                        float e = TornadoMath.exp(probs.get(pRow + s) - max);
                        probs.set(pRow + s, e);
                        sum += e;
                    }
                    float inv = 1f / sum;
                    for (int s = 0; s < time; s++) {
                        if (s <= t) {
                            probs.set(pRow + s, probs.get(pRow + s) * inv);
                        } else {
                            probs.set(pRow + s, 0f);
                        }
                    }
                    int oAt = oOff + ((b * time + t) * heads + h) * d;
                    for (int i = 0; i < d; i++) {
                        float acc = 0f;
                        for (int s = 0; s <= t; s++) {
                            acc += probs.get(pRow + s) * v.get(vOff + ((b * time + s) * kvHeads + g) * d + i);
                        }
                        out.set(oAt + i, acc);
                    }
                }
            }
        }
    }

    /**
     * One thread per (b, h, t): dP[s] = dOut[t] . v[s]; dS[s] = P[s] (dP[s] - sum P dP) / sqrt(d) stored in
     * dScores; dq[t] += sum_s dS[s] k[s].
     */
    public static void backwardQuery(FloatArray dq, int dqOff, FloatArray dScores, FloatArray dOut, int doOff,
                                     FloatArray k, int kOff, FloatArray v, int vOff, FloatArray probs, int pOff,
                                     int batch, int time, int heads, int kvHeads, int d) {
        float scale = 1f / TornadoMath.sqrt((float) d);
        for (@Parallel int b = 0; b < batch; b++) {
            for (@Parallel int h = 0; h < heads; h++) {
                for (@Parallel int t = 0; t < time; t++) {
                    int g = h / (heads / kvHeads);
                    int doAt = doOff + ((b * time + t) * heads + h) * d;
                    int pRow = pOff + ((b * heads + h) * time + t) * time;
                    int sRow = ((b * heads + h) * time + t) * time;
                    float weighted = 0f;
                    for (int s = 0; s <= t; s++) {
                        int vAt = vOff + ((b * time + s) * kvHeads + g) * d;
                        float dot = 0f;
                        for (int i = 0; i < d; i++) {
                            dot += dOut.get(doAt + i) * v.get(vAt + i);
                        }
                        dScores.set(sRow + s, dot);
                        weighted += probs.get(pRow + s) * dot;
                    }
                    for (int s = 0; s < time; s++) {
                        if (s <= t) {
                            dScores.set(sRow + s, probs.get(pRow + s) * (dScores.get(sRow + s) - weighted) * scale);
                        } else {
                            dScores.set(sRow + s, 0f);
                        }
                    }
                    int dqAt = dqOff + ((b * time + t) * heads + h) * d;
                    for (int i = 0; i < d; i++) {
                        float acc = 0f;
                        for (int s = 0; s <= t; s++) {
                            acc += dScores.get(sRow + s) * k.get(kOff + ((b * time + s) * kvHeads + g) * d + i);
                        }
                        dq.set(dqAt + i, dq.get(dqAt + i) + acc);
                    }
                }
            }
        }
    }

    /**
     * One thread per (b, s, g, i) (b and s fused): dk[s] += sum_{h in group g} sum_{t &gt;= s} dS[t, s] q[t, h];
     * dv[s] += sum_h sum_{t &gt;= s} P[t, s] dOut[t, h].
     */
    public static void backwardKeyValue(FloatArray dk, int dkOff, FloatArray dv, int dvOff, FloatArray dScores,
                                        FloatArray q, int qOff, FloatArray dOut, int doOff, FloatArray probs,
                                        int pOff, int batch, int time, int heads, int kvHeads, int d) {
        for (@Parallel int bs = 0; bs < batch * time; bs++) {
            for (@Parallel int g = 0; g < kvHeads; g++) {
                for (@Parallel int i = 0; i < d; i++) {
                    int b = bs / time;
                    int s = bs % time;
                    int group = heads / kvHeads;
                    float accK = 0f;
                    float accV = 0f;
                    for (int hh = 0; hh < group; hh++) {
                        int h = g * group + hh;
                        for (int t = s; t < time; t++) {
                            int at = ((b * heads + h) * time + t) * time + s;
                            int row = ((b * time + t) * heads + h) * d + i;
                            accK += dScores.get(at) * q.get(qOff + row);
                            accV += probs.get(pOff + at) * dOut.get(doOff + row);
                        }
                    }
                    int kvAt = ((b * time + s) * kvHeads + g) * d + i;
                    dk.set(dkOff + kvAt, dk.get(dkOff + kvAt) + accK);
                    dv.set(dvOff + kvAt, dv.get(dvOff + kvAt) + accV);
                }
            }
        }
    }
}
