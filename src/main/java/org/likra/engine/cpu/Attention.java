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
 * <p>Every product is register-blocked like {@link MatMul}'s: a block of {@link #MR} rows by two vectors of columns
 * (8 vector accumulators) summed over the depth in increasing order, one outer product per depth step. The score
 * products (q k^T and dOut v^T) read keys or values of one (b, g) from a [d][T'] panel (T' = T rounded up to whole
 * column blocks, zero-padded) and the query or dOut rows of the block from a small packed [d][MR] copy; the other
 * products read their operands in place through strides. The causal mask is applied by blocks: a block of query
 * rows t0..t0+3 computes scores only for key blocks that start at or before t0 + 3, and the products over keys stop
 * at t0 + 4 (the probabilities and score gradients past the diagonal are exact zeros, so they add nothing). The
 * forward pass is parallel over (b, h); the backward pass over (b, g), since heads of one group write the same dk and
 * dv. Every sum runs in an order fixed by the shapes, so the bits do not depend on the thread count.
 */
final class Attention {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;
    /** Rows per register block. */
    static final int MR = 4;
    /** Columns per register block (two vectors). */
    static final int NR = 2 * L;

    private final WorkPool pool;
    private final WorkPool.Body forwardBody = this::forwardHeads;
    private final WorkPool.Body backwardBody = this::backwardGroups;
    /**
     * Per-worker scratch: a [d][T'] panel of keys or values, a packed [d][MR] block of query or dOut rows, and a
     * [T rounded up to MR][T'] matrix of scores (forward) or score gradients (backward).
     */
    private float[][] panels = new float[0][];
    private float[][] rowBlocks = new float[0][];
    private float[][] squares = new float[0][];

    // Arguments of the call in progress.
    private float[] out, probs, q, k, v, dq, dk, dv, dOut;
    private int outOff, probsOff, qOff, kOff, vOff, dqOff, dkOff, dvOff, dOutOff;
    private int time, paddedTime, heads, kvHeads, headDim;
    private float scale;

    Attention(WorkPool pool) {
        this.pool = pool;
    }

    private void ensureScratch() {
        int workers = pool.threads();
        if (panels.length < workers) {
            panels = Arrays.copyOf(panels, workers);
            rowBlocks = Arrays.copyOf(rowBlocks, workers);
            squares = Arrays.copyOf(squares, workers);
        }
        int panelSize = headDim * paddedTime, blockSize = headDim * MR;
        int squareSize = ceilDiv(time, MR) * MR * paddedTime;
        for (int w = 0; w < workers; w++) {
            if (panels[w] == null || panels[w].length < panelSize) {
                panels[w] = new float[panelSize];
            }
            if (rowBlocks[w] == null || rowBlocks[w].length < blockSize) {
                rowBlocks[w] = new float[blockSize];
            }
            if (squares[w] == null || squares[w].length < squareSize) {
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
        ensureScratch();
        pool.run(batch * heads, 1, forwardBody);
        clear();
    }

    private void forwardHeads(int start, int end, int worker) {
        float[] kt = panels[worker], qs = rowBlocks[worker], scores = squares[worker];
        int d = headDim, T = time, Tp = paddedTime, group = heads / kvHeads;
        int qStride = heads * d, kvStride = kvHeads * d;
        for (int bh = start; bh < end; bh++) {
            int b = bh / heads, h = bh % heads, g = h / group;
            gather(kt, k, kOff, b, g);
            int vBase = vOff + (b * T * kvHeads + g) * d;
            for (int t0 = 0; t0 < T; t0 += MR) {
                int mr = Math.min(MR, T - t0);
                int keys = t0 + mr; // keys s < t0 + mr can be unmasked for some row of the block
                // scores[r, s] = sum_i (q[t0 + r, i] scale) kt[i, s]
                packRows(qs, q, qOff + ((b * T + t0) * heads + h) * d, qStride, mr, scale);
                for (int s0 = 0; s0 < keys; s0 += NR) {
                    block(MR, qs, 0, 1, MR, kt, s0, Tp, d, scores, s0, Tp, NR, false);
                }
                int pBlock = probsOff + (bh * T + t0) * T;
                for (int r = 0; r < mr; r++) {
                    int len = t0 + r + 1, pRow = pBlock + r * T, sRow = r * Tp;
                    float max = Simd.max(scores, sRow, len);
                    double sum = Simd.expShifted(scores, sRow, max, probs, pRow, len);
                    Simd.scale(probs, pRow, (float) (1.0 / sum), len);
                    Arrays.fill(probs, pRow + len, pRow + T, 0f);
                }
                // out[t] = sum_{s < keys} P[t, s] v[s]  (P[t, s] = 0 for s > t)
                block(mr, probs, pBlock, T, 1, v, vBase, kvStride, keys, out,
                        outOff + ((b * T + t0) * heads + h) * d, qStride, d, false);
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
        ensureScratch();
        pool.run(batch * kvHeads, 1, backwardBody);
        clear();
    }

    private void backwardGroups(int start, int end, int worker) {
        float[] vt = panels[worker], dos = rowBlocks[worker], ds = squares[worker];
        int d = headDim, T = time, Tp = paddedTime, group = heads / kvHeads;
        int qStride = heads * d, kvStride = kvHeads * d;
        for (int bg = start; bg < end; bg++) {
            int b = bg / kvHeads, g = bg % kvHeads;
            gather(vt, v, vOff, b, g);
            int kvBase = (b * T * kvHeads + g) * d;
            for (int h = g * group; h < (g + 1) * group; h++) {
                int pBase = probsOff + ((b * heads + h) * T) * T;
                int qBase = ((b * T) * heads + h) * d;
                for (int t0 = 0; t0 < T; t0 += MR) {
                    int mr = Math.min(MR, T - t0);
                    int keys = t0 + mr;
                    // dP[t, s] = dOut[t] . v[s] for the block's rows, key blocks up to the diagonal
                    packRows(dos, dOut, dOutOff + qBase + t0 * qStride, qStride, mr, 1f);
                    for (int s0 = 0; s0 < keys; s0 += NR) {
                        block(MR, dos, 0, 1, MR, vt, s0, Tp, d, ds, t0 * Tp + s0, Tp, NR, false);
                    }
                    // dS[t, s] = P[t, s] (dP[t, s] - sum_s' P[t, s'] dP[t, s']) scale; 0 past the diagonal
                    for (int r = 0; r < mr; r++) {
                        int t = t0 + r, len = t + 1, row = t * Tp, pRow = pBase + t * T;
                        float weighted = Simd.dot(probs, pRow, ds, row, len);
                        scoreGradient(ds, row, probs, pRow, weighted, len);
                        Arrays.fill(ds, row + len, row + Tp, 0f);
                    }
                    // dq[t] += sum_{s < keys} dS[t, s] k[s]
                    if (dq != null) {
                        block(mr, ds, t0 * Tp, Tp, 1, k, kOff + kvBase, kvStride, keys, dq,
                                dqOff + qBase + t0 * qStride, qStride, d, true);
                    }
                }
                // dk[s] += sum_{t >= s} dS[t, s] q[t];  dv[s] += sum_{t >= s} P[t, s] dOut[t], for blocks of keys
                // s0..s0+3 over t >= s0 (the terms with s0 <= t < s are zeros past the diagonal)
                for (int s0 = 0; s0 < T; s0 += MR) {
                    int ms = Math.min(MR, T - s0), count = T - s0;
                    int kvAt = kvBase + s0 * kvStride, qAt = qBase + s0 * qStride;
                    if (dk != null) {
                        block(ms, ds, s0 * Tp + s0, 1, Tp, q, qOff + qAt, qStride, count, dk, dkOff + kvAt,
                                kvStride, d, true);
                    }
                    if (dv != null) {
                        block(ms, probs, pBase + s0 * T + s0, 1, T, dOut, dOutOff + qAt, qStride, count, dv,
                                dvOff + kvAt, kvStride, d, true);
                    }
                }
            }
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

    // ------------------------------------------------------------------------------------------------ kernels

    /**
     * C[r, j] (+)= sum_{p &lt; depth} A[r, p] B[p, j] for r &lt; rows (at most MR), j &lt; cols, where A[r, p] =
     * a[aAt + r aRow + p aDepth], B[p, j] = b[bAt + p bDepth + j], C[r, j] = c[cAt + r cRow + j]. Each element is
     * summed over p in increasing order from zero, then added to C (add) or stored. Full blocks of MR rows run the
     * 4-row kernel, others one row at a time; columns go two vectors, then one vector, then one at a time.
     */
    private static void block(int rows, float[] a, int aAt, int aRow, int aDepth, float[] b, int bAt, int bDepth,
                              int depth, float[] c, int cAt, int cRow, int cols, boolean add) {
        if (rows == MR) {
            int j = 0;
            for (; j + NR <= cols; j += NR) {
                kernel4x2(a, aAt, aRow, aDepth, b, bAt + j, bDepth, depth, c, cAt + j, cRow, add);
            }
            for (; j + L <= cols; j += L) {
                kernel4x1(a, aAt, aRow, aDepth, b, bAt + j, bDepth, depth, c, cAt + j, cRow, add);
            }
            for (; j < cols; j++) {
                for (int r = 0; r < MR; r++) {
                    scalar(a, aAt + r * aRow, aDepth, b, bAt + j, bDepth, depth, c, cAt + r * cRow + j, add);
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            int ar = aAt + r * aRow, cr = cAt + r * cRow, j = 0;
            for (; j + L <= cols; j += L) {
                kernel1x1(a, ar, aDepth, b, bAt + j, bDepth, depth, c, cr + j, add);
            }
            for (; j < cols; j++) {
                scalar(a, ar, aDepth, b, bAt + j, bDepth, depth, c, cr + j, add);
            }
        }
    }

    /** Four rows by two vectors: 8 accumulators, one outer product (2 loads of B, 4 broadcasts of A) per p. */
    private static void kernel4x2(float[] a, int aAt, int aRow, int aDepth, float[] b, int bAt, int bDepth,
                                  int depth, float[] c, int cAt, int cRow, boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0, ap = aAt, bp = bAt; p < depth; p++, ap += aDepth, bp += bDepth) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + L);
            FloatVector s = FloatVector.broadcast(F, a[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, a[ap + aRow]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, a[ap + 2 * aRow]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, a[ap + 3 * aRow]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
        }
        store(c, cAt, c00, add);
        store(c, cAt + L, c01, add);
        store(c, cAt + cRow, c10, add);
        store(c, cAt + cRow + L, c11, add);
        store(c, cAt + 2 * cRow, c20, add);
        store(c, cAt + 2 * cRow + L, c21, add);
        store(c, cAt + 3 * cRow, c30, add);
        store(c, cAt + 3 * cRow + L, c31, add);
    }

    /** Four rows by one vector. */
    private static void kernel4x1(float[] a, int aAt, int aRow, int aDepth, float[] b, int bAt, int bDepth,
                                  int depth, float[] c, int cAt, int cRow, boolean add) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        for (int p = 0, ap = aAt, bp = bAt; p < depth; p++, ap += aDepth, bp += bDepth) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            c0 = FloatVector.broadcast(F, a[ap]).fma(b0, c0);
            c1 = FloatVector.broadcast(F, a[ap + aRow]).fma(b0, c1);
            c2 = FloatVector.broadcast(F, a[ap + 2 * aRow]).fma(b0, c2);
            c3 = FloatVector.broadcast(F, a[ap + 3 * aRow]).fma(b0, c3);
        }
        store(c, cAt, c0, add);
        store(c, cAt + cRow, c1, add);
        store(c, cAt + 2 * cRow, c2, add);
        store(c, cAt + 3 * cRow, c3, add);
    }

    /** One row by one vector. */
    private static void kernel1x1(float[] a, int aAt, int aDepth, float[] b, int bAt, int bDepth, int depth,
                                  float[] c, int cAt, boolean add) {
        FloatVector c0 = FloatVector.zero(F);
        for (int p = 0, ap = aAt, bp = bAt; p < depth; p++, ap += aDepth, bp += bDepth) {
            c0 = FloatVector.broadcast(F, a[ap]).fma(FloatVector.fromArray(F, b, bp), c0);
        }
        store(c, cAt, c0, add);
    }

    /** One element: the same fused multiply-adds in the same order as a lane of the vector kernels. */
    private static void scalar(float[] a, int aAt, int aDepth, float[] b, int bAt, int bDepth, int depth, float[] c,
                               int cAt, boolean add) {
        float acc = 0f;
        for (int p = 0, ap = aAt, bp = bAt; p < depth; p++, ap += aDepth, bp += bDepth) {
            acc = Math.fma(a[ap], b[bp], acc);
        }
        c[cAt] = add ? c[cAt] + acc : acc;
    }

    private static void store(float[] c, int at, FloatVector v, boolean add) {
        (add ? FloatVector.fromArray(F, c, at).add(v) : v).intoArray(c, at);
    }

    /**
     * block[i MR + r] = src[at + r rowStride + i] alpha for r &lt; rows, i &lt; d; rows rows..MR-1 are zero: the
     * block's query (scaled) or dOut rows, as the A operand of a score product.
     */
    private void packRows(float[] block, float[] src, int at, int rowStride, int rows, float alpha) {
        int d = headDim;
        for (int r = 0; r < MR; r++) {
            int from = at + r * rowStride;
            for (int i = 0; i < d; i++) {
                block[i * MR + r] = r < rows ? src[from + i] * alpha : 0f;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    /** panel[i T' + s] = src[b, s, g, i], zero for T &lt;= s &lt; T': keys or values of one (b, g), [d][T']. */
    private void gather(float[] panel, float[] src, int srcOff, int b, int g) {
        int d = headDim, T = time, Tp = paddedTime;
        for (int s = 0; s < T; s++) {
            int at = srcOff + ((b * T + s) * kvHeads + g) * d;
            for (int i = 0; i < d; i++) {
                panel[i * Tp + s] = src[at + i];
            }
        }
        for (int i = 0; i < d; i++) {
            Arrays.fill(panel, i * Tp + T, (i + 1) * Tp, 0f);
        }
    }

    private void setShape(int time, int heads, int kvHeads, int headDim) {
        this.time = time;
        this.paddedTime = ceilDiv(time, NR) * NR;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    private void clear() {
        out = probs = q = k = v = dq = dk = dv = dOut = null;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
