package org.likra.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Causal attention with grouped key/value heads (query head h reads kv head h / (heads / kvHeads)).
 * Layouts: q, out (batch, time, heads, d); k, v (batch, time, kvHeads, d); lse, delta (batch, heads, time).
 *
 * <p>The forward pass keeps no probabilities: it computes each query row's softmax online (a running maximum m and
 * sum l, rescaling the output accumulated so far by exp(m_old - m_new) whenever the maximum grows) and stores the
 * row's log-sum-exp lse[t] = m + log l, so that P[t, s] = exp(q_t . k_s / sqrt(d) - lse[t]). {@link #forwardRows}
 * runs one thread per query row ({@code @Parallel}, also plain Java); {@link #forwardTiled} one work-group per
 * (batch, head, tile of query rows), staging a tile of keys and values at a time in local memory. The backward
 * pass runs in two kernels so that no output is written by two threads, both recomputing the probabilities from q,
 * k and lse: {@link #backwardQuery} (one thread per query row) accumulates dq and keeps delta[t] = sum_s P[t, s]
 * dP[t, s]; {@link #backwardKeyValue} (one thread per key row) sums over the query rows and heads that read it. So
 * attention keeps B H T floats per layer (lse) and B H T of scratch (delta) where it would keep B H T^2
 * probabilities.
 */
public final class Attention {
    private Attention() {
    }

    /** Threads per work-group of {@link #forwardTiled}: d columns by TILED_THREADS / d query rows. */
    public static final int TILED_THREADS = 256;
    /**
     * Largest head dimension {@link #forwardTiled} takes: at d = 128 (Llama-2-7B, Mistral-7B, Llama-3.2-3B) its
     * local memory is 32 staged keys and values of 129 + 128 floats plus 2 x 256 floats, 34 KiB.
     */
    public static final int MAX_TILED_DIM = 128;
    /** Most keys {@link #forwardTiled} stages at a time: the key tile is min(d, MAX_KEY_TILE) wide. */
    public static final int MAX_KEY_TILE = 64;

    /** Query rows per work-group of {@link #forwardTiled} for head dimension d. */
    public static int tiledRows(int d) {
        return Math.max(1, TILED_THREADS / d);
    }

    /**
     * Keys per tile of {@link #forwardTiled} for head dimension d: d up to 64 (one key per thread of a row), 32 above
     * (the staged keys and values, 2 x keys x d floats, then stay within 34 KiB).
     */
    public static int keyTile(int d) {
        return d <= MAX_KEY_TILE ? d : MAX_KEY_TILE / 2;
    }

    /**
     * One thread per (b, h, t): for s &lt;= t, score = q_t . k_s / sqrt(d), m' = max(m, score), l = l exp(m - m') +
     * exp(score - m'), out_t = out_t exp(m - m') + exp(score - m') v_s; then out_t /= l and lse[t] = m + log l.
     * The output row itself holds the running sum (no other thread touches it).
     */
    public static void forwardRows(FloatArray out, int oOff, FloatArray lse, int lOff, FloatArray q, int qOff,
                                   FloatArray k, int kOff, FloatArray v, int vOff, int batch, int time, int heads,
                                   int kvHeads, int d) {
        float scale = 1f / TornadoMath.sqrt((float) d);
        for (@Parallel int b = 0; b < batch; b++) {
            for (@Parallel int h = 0; h < heads; h++) {
                for (@Parallel int t = 0; t < time; t++) {
                    int g = h / (heads / kvHeads);
                    int qAt = qOff + ((b * time + t) * heads + h) * d;
                    int oAt = oOff + ((b * time + t) * heads + h) * d;
                    for (int i = 0; i < d; i++) {
                        out.set(oAt + i, 0f);
                    }
                    float max = -3.4e38f;
                    float sum = 0f;
                    for (int s = 0; s <= t; s++) {
                        int kAt = kOff + ((b * time + s) * kvHeads + g) * d;
                        int vAt = vOff + ((b * time + s) * kvHeads + g) * d;
                        float dot = dot(q, qAt, k, kAt, d) * scale;
                        float grown = TornadoMath.max(max, dot);
                        float rescale = TornadoMath.exp(max - grown);
                        float p = TornadoMath.exp(dot - grown);
                        sum = sum * rescale + p;
                        for (int i = 0; i < d; i++) {
                            out.set(oAt + i, out.get(oAt + i) * rescale + p * v.get(vAt + i));
                        }
                        max = grown;
                    }
                    float inv = 1f / sum;
                    for (int i = 0; i < d; i++) {
                        out.set(oAt + i, out.get(oAt + i) * inv);
                    }
                    lse.set(lOff + (b * heads + h) * time + t, max + TornadoMath.log(sum));
                }
            }
        }
    }

    /**
     * The tiled form of {@link #forwardRows}. Work-group y-index = ((b heads + h) tiles + tile) with tiles =
     * ceil(time / rows); thread (i, r) (i &lt; d, r &lt; rows = {@link #tiledRows}(d)) owns output element i of query
     * row t = tile rows + r. The group walks the keys {@code keys} = {@link #keyTile}(d) at a time up to its last row:
     * it stages keys and values s0 .. s0 + keys - 1 in ks (padded rows of d + 1, so the threads of a row read distinct
     * banks) and vs, thread (i, r) with i &lt; keys computes the score of key s0 + i for its row (masked beyond t),
     * the row's threads read the row's scores for the new maximum, then its probabilities for the sum and for their
     * output element; the rescaling is that of {@link #forwardRows}. Needs d &lt;= {@link #MAX_TILED_DIM}. Launch:
     * global (d, rows tiles batch heads), local (d, rows).
     */
    public static void forwardTiled(KernelContext ctx, FloatArray out, int oOff, FloatArray lse, int lOff,
                                    FloatArray q, int qOff, FloatArray k, int kOff, FloatArray v, int vOff, int time,
                                    int heads, int kvHeads, int d, int rows, int keys) {
        // TornadoVM compiles the kernel for the values of d and keys it is launched with, so the local arrays have a
        // size
        float[] ks = ctx.allocateFloatLocalArray(keys * (d + 1));
        float[] vs = ctx.allocateFloatLocalArray(keys * d);
        float[] qs = ctx.allocateFloatLocalArray(TILED_THREADS);
        float[] ps = ctx.allocateFloatLocalArray(TILED_THREADS);
        int i = ctx.localIdx;
        int r = ctx.localIdy;
        int tiles = (time + rows - 1) / rows;
        int tile = ctx.groupIdy % tiles;
        int bh = ctx.groupIdy / tiles;
        int h = bh % heads;
        int b = bh / heads;
        int g = h / (heads / kvHeads);
        int t = tile * rows + r;
        float scale = 1f / TornadoMath.sqrt((float) d);
        float qv = 0f;
        if (t < time) {
            qv = q.get(qOff + ((b * time + t) * heads + h) * d + i);
        }
        qs[r * d + i] = qv * scale;
        int last = TornadoMath.min(tile * rows + rows, time) - 1;
        int padded = d + 1;
        float max = -3.4e38f;
        float sum = 0f;
        float acc = 0f;
        for (int s0 = 0; s0 <= last; s0 += keys) {
            ctx.localBarrier();
            for (int c = r; c < keys; c += rows) {
                float kv = 0f;
                float vv = 0f;
                if (s0 + c < time) {
                    int at = ((b * time + s0 + c) * kvHeads + g) * d + i;
                    kv = k.get(kOff + at);
                    vv = v.get(vOff + at);
                }
                ks[c * padded + i] = kv;
                vs[c * d + i] = vv;
            }
            ctx.localBarrier();
            float score = -3.4e38f;
            if (i < keys && s0 + i <= t) {
                score = 0f;
                for (int p = 0; p < d; p++) {
                    score += qs[r * d + p] * ks[i * padded + p];
                }
            }
            if (i < keys) {
                ps[r * keys + i] = score;
            }
            ctx.localBarrier();
            float grown = max;
            for (int c = 0; c < keys; c++) {
                grown = TornadoMath.max(grown, ps[r * keys + c]);
            }
            ctx.localBarrier();
            if (i < keys) {
                ps[r * keys + i] = TornadoMath.exp(score - grown);
            }
            ctx.localBarrier();
            float rescale = TornadoMath.exp(max - grown);
            float tileSum = 0f;
            float weighted = 0f;
            for (int c = 0; c < keys; c++) {
                float p = ps[r * keys + c];
                tileSum += p;
                weighted += p * vs[c * d + i];
            }
            sum = sum * rescale + tileSum;
            acc = acc * rescale + weighted;
            max = grown;
        }
        if (t < time) {
            out.set(oOff + ((b * time + t) * heads + h) * d + i, acc / sum);
            if (i == 0) {
                lse.set(lOff + (b * heads + h) * time + t, max + TornadoMath.log(sum));
            }
        }
    }

    /**
     * One thread per (b, h, t), in two passes over s &lt;= t that recompute P[s] = exp(q_t . k_s / sqrt(d) - lse[t])
     * and dP[s] = dOut[t] . v[s]: the first sums delta[t] = sum_s P[s] dP[s] and stores it (B H T floats, for
     * {@link #backwardKeyValue}); the second adds dS[s] k[s] to dq[t], dS[s] = P[s] (dP[s] - delta[t]) / sqrt(d).
     * Nothing of size T^2 is stored: each score is computed twice here instead.
     */
    public static void backwardQuery(FloatArray dq, int dqOff, FloatArray delta, FloatArray dOut, int doOff,
                                     FloatArray q, int qOff, FloatArray k, int kOff, FloatArray v, int vOff,
                                     FloatArray lse, int lOff, int batch, int time, int heads, int kvHeads, int d) {
        float scale = 1f / TornadoMath.sqrt((float) d);
        for (@Parallel int b = 0; b < batch; b++) {
            for (@Parallel int h = 0; h < heads; h++) {
                for (@Parallel int t = 0; t < time; t++) {
                    int g = h / (heads / kvHeads);
                    int qAt = qOff + ((b * time + t) * heads + h) * d;
                    int doAt = doOff + ((b * time + t) * heads + h) * d;
                    int dqAt = dqOff + ((b * time + t) * heads + h) * d;
                    float logSum = lse.get(lOff + (b * heads + h) * time + t);
                    float weighted = 0f;
                    for (int s = 0; s <= t; s++) {
                        int kAt = kOff + ((b * time + s) * kvHeads + g) * d;
                        int vAt = vOff + ((b * time + s) * kvHeads + g) * d;
                        float score = dot(q, qAt, k, kAt, d);
                        float dot = dot(dOut, doAt, v, vAt, d);
                        weighted += TornadoMath.exp(score * scale - logSum) * dot;
                    }
                    delta.set((b * heads + h) * time + t, weighted);
                    for (int s = 0; s <= t; s++) {
                        int kAt = kOff + ((b * time + s) * kvHeads + g) * d;
                        int vAt = vOff + ((b * time + s) * kvHeads + g) * d;
                        float score = dot(q, qAt, k, kAt, d);
                        float dot = dot(dOut, doAt, v, vAt, d);
                        float dS = TornadoMath.exp(score * scale - logSum) * (dot - weighted) * scale;
                        for (int i = 0; i < d; i++) {
                            dq.set(dqAt + i, dq.get(dqAt + i) + dS * k.get(kAt + i));
                        }
                    }
                }
            }
        }
    }

    /**
     * One thread per (b, s, g) (b and s fused), after {@link #backwardQuery}: for each query head h of group g and
     * each t &gt;= s it recomputes P[t, s] and dP[t, s] as backwardQuery does, dS[t, s] = P (dP - delta[t]) / sqrt(d),
     * and adds dS q[t, h] to dk[s] and P dOut[t, h] to dv[s] (rows no other thread writes).
     */
    public static void backwardKeyValue(FloatArray dk, int dkOff, FloatArray dv, int dvOff, FloatArray delta,
                                        FloatArray dOut, int doOff, FloatArray q, int qOff, FloatArray k, int kOff,
                                        FloatArray v, int vOff, FloatArray lse, int lOff, int batch, int time,
                                        int heads, int kvHeads, int d) {
        float scale = 1f / TornadoMath.sqrt((float) d);
        for (@Parallel int bs = 0; bs < batch * time; bs++) {
            for (@Parallel int g = 0; g < kvHeads; g++) {
                int b = bs / time;
                int s = bs % time;
                int group = heads / kvHeads;
                int kAt = kOff + (bs * kvHeads + g) * d;
                int vAt = vOff + (bs * kvHeads + g) * d;
                int dkAt = dkOff + (bs * kvHeads + g) * d;
                int dvAt = dvOff + (bs * kvHeads + g) * d;
                for (int hh = 0; hh < group; hh++) {
                    int h = g * group + hh;
                    for (int t = s; t < time; t++) {
                        int qAt = qOff + ((b * time + t) * heads + h) * d;
                        int doAt = doOff + ((b * time + t) * heads + h) * d;
                        float score = dot(q, qAt, k, kAt, d);
                        float dot = dot(dOut, doAt, v, vAt, d);
                        int rowAt = (b * heads + h) * time + t;
                        float p = TornadoMath.exp(score * scale - lse.get(lOff + rowAt));
                        float dS = p * (dot - delta.get(rowAt)) * scale;
                        for (int i = 0; i < d; i++) {
                            dk.set(dkAt + i, dk.get(dkAt + i) + dS * q.get(qAt + i));
                            dv.set(dvAt + i, dv.get(dvAt + i) + p * dOut.get(doAt + i));
                        }
                    }
                }
            }
        }
    }

    /** sum_i a[aAt + i] b[bAt + i] over i &lt; d (TornadoVM inlines it into the kernels). */
    private static float dot(FloatArray a, int aAt, FloatArray b, int bAt, int d) {
        float sum = 0f;
        for (int i = 0; i < d; i++) {
            sum += a.get(aAt + i) * b.get(bAt + i);
        }
        return sum;
    }
}
