package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Causal self-attention with grouped key/value heads, forward and backward, on row-major float arrays.
 *
 * <pre>
 *   q, out, dq, dOut (B, T, H, d);  k, v, dk, dv (B, T, KV, d);  probs (B, H, T, T);  g = h / (H / KV)
 *   forward:  probs[b,h,t,s] = softmax_{s &lt;= t}(q[b,t,h] . k[b,s,g] / sqrt(d)), 0 for s &gt; t
 *             out[b,t,h]     = sum_{s &lt;= t} probs[b,h,t,s] v[b,s,g]
 *   backward: dP[t,s] = dOut[t] . v[s];  dS[t,s] = P[t,s] (dP[t,s] - sum_s' P[t,s'] dP[t,s']) / sqrt(d)
 *             dq[t] += sum_s dS[t,s] k[s];  dk[s] += sum_t dS[t,s] q[t];  dv[s] += sum_t P[t,s] dOut[t]
 * </pre>
 *
 * <p>The causal mask is applied by blocks: each query row t touches only keys s &lt;= t (whole vectors of keys
 * past the diagonal are never computed). Keys (forward) and values (backward) of one (b, g) are first gathered
 * into a [d][T] scratch panel so that a row of scores is a sum of d vector AXPYs along s; every AXPY chain is done
 * four terms per pass over its output ({@link Simd#axpy4}), in a fixed order. The forward pass is parallel over
 * (b, h); the backward pass over (b, g), since heads of one group write the same dk and dv.
 */
final class Attention {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;

    private final WorkPool pool;
    private final WorkPool.Body forwardBody = this::forwardHeads;
    private final WorkPool.Body backwardBody = this::backwardGroups;
    /** Per-worker scratch: a [d][T] panel and a [T][T] matrix of score gradients. */
    private float[][] panels = new float[0][];
    private float[][] squares = new float[0][];

    // Arguments of the call in progress.
    private float[] out, probs, q, k, v, dq, dk, dv, dOut;
    private int outOff, probsOff, qOff, kOff, vOff, dqOff, dkOff, dvOff, dOutOff;
    private int time, heads, kvHeads, headDim;
    private float scale;

    Attention(WorkPool pool) {
        this.pool = pool;
        ensureScratch(1, 1, false);
    }

    private void ensureScratch(int panelSize, int squareSize, boolean needSquares) {
        int workers = pool.threads();
        if (panels.length < workers) {
            panels = Arrays.copyOf(panels, workers);
            squares = Arrays.copyOf(squares, workers);
        }
        for (int w = 0; w < workers; w++) {
            if (panels[w] == null || panels[w].length < panelSize) {
                panels[w] = new float[panelSize];
            }
            if (needSquares && (squares[w] == null || squares[w].length < squareSize)) {
                squares[w] = new float[squareSize];
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ forward

    void forward(float[] out, int outOff, float[] probs, int probsOff, float[] q, int qOff, float[] k, int kOff,
                 float[] v, int vOff, int batch, int time, int heads, int kvHeads, int headDim) {
        this.out = out;
        this.outOff = outOff;
        this.probs = probs;
        this.probsOff = probsOff;
        this.q = q;
        this.qOff = qOff;
        this.k = k;
        this.kOff = kOff;
        this.v = v;
        this.vOff = vOff;
        setShape(time, heads, kvHeads, headDim);
        ensureScratch(headDim * time, 0, false);
        pool.run(batch * heads, 1, forwardBody);
        clear();
    }

    private void forwardHeads(int start, int end, int worker) {
        float[] kt = panels[worker];
        int d = headDim, T = time, group = heads / kvHeads;
        for (int bh = start; bh < end; bh++) {
            int b = bh / heads, h = bh % heads, g = h / group;
            gather(kt, k, kOff, b, g);
            for (int t = 0; t < T; t++) {
                int pRow = probsOff + (bh * T + t) * T;
                int qAt = qOff + ((b * T + t) * heads + h) * d;
                int len = t + 1; // keys s <= t only
                // scores[s] = sum_i (q[t, i] scale) kt[i, s]
                Arrays.fill(probs, pRow, pRow + len, 0f);
                panelProduct(q, qAt, scale, kt, probs, pRow, len);
                float max = Simd.max(probs, pRow, len);
                double sum = Simd.expShifted(probs, pRow, max, probs, pRow, len);
                Simd.scale(probs, pRow, (float) (1.0 / sum), len);
                Arrays.fill(probs, pRow + len, pRow + T, 0f);
                // out[t] = sum_{s <= t} P[t, s] v[s]
                int oAt = outOff + ((b * T + t) * heads + h) * d;
                Arrays.fill(out, oAt, oAt + d, 0f);
                rowsProduct(probs, pRow, len, v, vOff + (b * T * kvHeads + g) * d, out, oAt);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ backward

    void backward(float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff, float[] dOut, int dOutOff,
                  float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] probs, int probsOff,
                  int batch, int time, int heads, int kvHeads, int headDim) {
        this.dq = dq;
        this.dqOff = dqOff;
        this.dk = dk;
        this.dkOff = dkOff;
        this.dv = dv;
        this.dvOff = dvOff;
        this.dOut = dOut;
        this.dOutOff = dOutOff;
        this.q = q;
        this.qOff = qOff;
        this.k = k;
        this.kOff = kOff;
        this.v = v;
        this.vOff = vOff;
        this.probs = probs;
        this.probsOff = probsOff;
        setShape(time, heads, kvHeads, headDim);
        ensureScratch(headDim * time, time * time, true);
        pool.run(batch * kvHeads, 1, backwardBody);
        clear();
    }

    private void backwardGroups(int start, int end, int worker) {
        float[] vt = panels[worker];
        float[] ds = squares[worker];
        int d = headDim, T = time, group = heads / kvHeads;
        for (int bg = start; bg < end; bg++) {
            int b = bg / kvHeads, g = bg % kvHeads;
            gather(vt, v, vOff, b, g);
            for (int h = g * group; h < (g + 1) * group; h++) {
                int pBase = probsOff + ((b * heads + h) * T) * T;
                for (int t = 0; t < T; t++) {
                    int len = t + 1;
                    int row = t * T;
                    int pRow = pBase + row;
                    int doAt = dOutOff + ((b * T + t) * heads + h) * d;
                    // dP[s] = dOut[t] . v[s] for s <= t
                    Arrays.fill(ds, row, row + len, 0f);
                    panelProduct(dOut, doAt, 1f, vt, ds, row, len);
                    // dS[s] = P[s] (dP[s] - sum_s' P[s'] dP[s']) scale
                    float weighted = Simd.dot(probs, pRow, ds, row, len);
                    scoreGradient(ds, row, probs, pRow, weighted, len);
                    // dq[t] += sum_s dS[t, s] k[s]
                    if (dq != null) {
                        int dqAt = dqOff + ((b * T + t) * heads + h) * d;
                        rowsProduct(ds, row, len, k, kOff + (b * T * kvHeads + g) * d, dq, dqAt);
                    }
                }
                // dk[s] += sum_{t >= s} dS[t, s] q[t];  dv[s] += sum_{t >= s} P[t, s] dOut[t]
                int qStride = heads * d;
                for (int s = 0; s < T; s++) {
                    int kvAt = ((b * T + s) * kvHeads + g) * d;
                    int q0 = ((b * T) * heads + h) * d;
                    if (dk != null) {
                        columnProduct(ds, s * T + s, T, T - s, q, qOff + q0 + s * qStride, qStride, dk, dkOff + kvAt);
                    }
                    if (dv != null) {
                        columnProduct(probs, pBase + s * T + s, T, T - s, dOut, dOutOff + q0 + s * qStride, qStride,
                                dv, dvOff + kvAt);
                    }
                }
            }
        }
    }

    /**
     * y[yo + s] += sum_i (x[xAt + i] alpha) panel[i T + s] for s &lt; len, i &lt; d: a row of scores (q . k[s]) from
     * the [d][T] panel, four rows of the panel per pass over y, i in order.
     */
    private void panelProduct(float[] x, int xAt, float alpha, float[] panel, float[] y, int yo, int len) {
        int d = headDim, T = time, i = 0;
        for (; i + 4 <= d; i += 4) {
            Simd.axpy4(x[xAt + i] * alpha, x[xAt + i + 1] * alpha, x[xAt + i + 2] * alpha, x[xAt + i + 3] * alpha,
                    panel, i * T, (i + 1) * T, (i + 2) * T, (i + 3) * T, y, yo, len);
        }
        for (; i < d; i++) {
            Simd.axpy(x[xAt + i] * alpha, panel, i * T, y, yo, len);
        }
    }

    /**
     * y[yo + j] += sum_{s &lt; len} w[wAt + s] m[mAt + s kvHeads d + j] for j &lt; d: a weighted sum of rows s of a
     * (B, T, KV, d) tensor (values or keys of one group), four rows per pass over y, s in order.
     */
    private void rowsProduct(float[] w, int wAt, int len, float[] m, int mAt, float[] y, int yo) {
        int d = headDim, stride = kvHeads * d, s = 0;
        for (; s + 4 <= len; s += 4) {
            int r = mAt + s * stride;
            Simd.axpy4(w[wAt + s], w[wAt + s + 1], w[wAt + s + 2], w[wAt + s + 3], m, r, r + stride, r + 2 * stride,
                    r + 3 * stride, y, yo, d);
        }
        for (; s < len; s++) {
            Simd.axpy(w[wAt + s], m, mAt + s * stride, y, yo, d);
        }
    }

    /**
     * y[yo + j] += sum_{u &lt; count} c[cAt + u cStride] m[mAt + u mStride + j] for j &lt; d: a column of weights
     * (dS or P down the rows t &gt;= s) times rows of q or dOut, four rows per pass over y, u in order.
     */
    private void columnProduct(float[] c, int cAt, int cStride, int count, float[] m, int mAt, int mStride, float[] y,
                               int yo) {
        int d = headDim, u = 0;
        for (; u + 4 <= count; u += 4) {
            int cu = cAt + u * cStride, r = mAt + u * mStride;
            Simd.axpy4(c[cu], c[cu + cStride], c[cu + 2 * cStride], c[cu + 3 * cStride], m, r, r + mStride,
                    r + 2 * mStride, r + 3 * mStride, y, yo, d);
        }
        for (; u < count; u++) {
            Simd.axpy(c[cAt + u * cStride], m, mAt + u * mStride, y, yo, d);
        }
    }

    /** ds[row + s] = p[pRow + s] (ds[row + s] - weighted) scale for s &lt; len. */
    private void scoreGradient(float[] ds, int row, float[] p, int pRow, float weighted, int len) {
        FloatVector w = FloatVector.broadcast(F, weighted);
        FloatVector sc = FloatVector.broadcast(F, scale);
        int s = 0;
        for (int bound = F.loopBound(len); s < bound; s += L) {
            FloatVector.fromArray(F, ds, row + s).sub(w).mul(FloatVector.fromArray(F, p, pRow + s)).mul(sc)
                    .intoArray(ds, row + s);
        }
        for (; s < len; s++) {
            ds[row + s] = p[pRow + s] * (ds[row + s] - weighted) * scale;
        }
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    /** panel[i * T + s] = src[b, s, g, i]: keys or values of one (b, g) as a [d][T] panel. */
    private void gather(float[] panel, float[] src, int srcOff, int b, int g) {
        int d = headDim, T = time;
        for (int s = 0; s < T; s++) {
            int at = srcOff + ((b * T + s) * kvHeads + g) * d;
            for (int i = 0; i < d; i++) {
                panel[i * T + s] = src[at + i];
            }
        }
    }

    private void setShape(int time, int heads, int kvHeads, int headDim) {
        this.time = time;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    private void clear() {
        out = probs = q = k = v = dq = dk = dv = dOut = null;
    }
}
