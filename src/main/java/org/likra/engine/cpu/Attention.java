package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
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
 * <p>Every product is register-blocked like {@link MatMul}'s: a block of {@link #MR} rows by {@link #NR} columns (two
 * vectors, 8 accumulators) summed over the depth in increasing order, one outer product per depth step. The B operand
 * of every product is first copied into strips of NR columns with a constant row stride of NR ({@code [strip][p][NR]},
 * zero-padded: keys or values of one (b, g) as [d][T] strips for the score products, and K, V, one head's q or dOut
 * as [T][d] strips for the others), and the A operand is read either along rows with unit stride (probabilities and
 * score gradients) or from a packed {@code [p][MR]} copy (query or dOut rows of a block; the transposed operands of
 * dk and dv): with constant strides C2 drops the bounds checks from the inner loop (strides that vary per call left a
 * check on every load, 8% of attention's JFR samples). The causal mask is applied by blocks: a block of
 * query rows t0..t0+3 computes scores only for key strips that start at or before t0 + 3, and the products over keys
 * stop at t0 + 4 (probabilities and score gradients past the diagonal are exact zeros, so they add nothing). Each
 * row's softmax (forward) and score gradient (backward) runs in whole vectors over its len = t + 1 entries, the
 * lanes of the last vector past len masked off instead of a scalar tail (rows of 1 to T entries: the tails, with a
 * scalar exp each, and a second pass over probs took a third of the forward pass at T = 64). The forward pass is
 * parallel over (b, h); the backward pass over (b, g), since heads of one group write the same dk and dv. Every sum
 * runs in an order fixed by the shapes, so the bits do not depend on the thread count.
 */
final class Attention {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;
    /** Rows per register block. */
    static final int MR = MatMul.MR;
    /** Columns per register block and per strip (two vectors). */
    static final int NR = MatMul.NR;

    private final WorkPool pool;
    private final WorkPool.Body forwardBody = this::forwardHeads;
    private final WorkPool.Body backwardBody = this::backwardGroups;
    /**
     * Per-worker scratch: keys or values of one (b, g) as [d][T'] strips (T' = T rounded up to NR); three [T][d']
     * strip sets (d' = d rounded up to NR: V or K, and one head's q and dOut); a packed [d][MR] block of query or dOut
     * rows; a packed [T][MR] A operand; a [T rounded up to MR][T'] matrix of scores or score gradients; an MR x NR
     * block for edge results.
     */
    private float[][] panels = new float[0][], strips = new float[0][], queryStrips = new float[0][];
    private float[][] gradStrips = new float[0][], rowBlocks = new float[0][], packed = new float[0][];
    private float[][] squares = new float[0][], edges = new float[0][];

    // Arguments of the call in progress.
    private float[] out, probs, q, k, v, dq, dk, dv, dOut;
    private int outOff, probsOff, qOff, kOff, vOff, dqOff, dkOff, dvOff, dOutOff;
    private int time, paddedTime, heads, kvHeads, headDim, paddedDim;
    private float scale;

    Attention(WorkPool pool) {
        this.pool = pool;
    }

    private void ensureScratch() {
        int workers = pool.threads();
        if (panels.length < workers) {
            panels = Arrays.copyOf(panels, workers);
            strips = Arrays.copyOf(strips, workers);
            queryStrips = Arrays.copyOf(queryStrips, workers);
            gradStrips = Arrays.copyOf(gradStrips, workers);
            rowBlocks = Arrays.copyOf(rowBlocks, workers);
            packed = Arrays.copyOf(packed, workers);
            squares = Arrays.copyOf(squares, workers);
            edges = Arrays.copyOf(edges, workers);
        }
        int panelSize = headDim * paddedTime, stripSize = paddedDim * time;
        int squareSize = ceilDiv(time, MR) * MR * paddedTime;
        for (int w = 0; w < workers; w++) {
            panels[w] = atLeast(panels[w], panelSize);
            strips[w] = atLeast(strips[w], stripSize);
            queryStrips[w] = atLeast(queryStrips[w], stripSize);
            gradStrips[w] = atLeast(gradStrips[w], stripSize);
            rowBlocks[w] = atLeast(rowBlocks[w], headDim * MR);
            packed[w] = atLeast(packed[w], time * MR);
            squares[w] = atLeast(squares[w], squareSize);
            edges[w] = atLeast(edges[w], MR * NR);
        }
    }

    private static float[] atLeast(float[] a, int size) {
        return a != null && a.length >= size ? a : new float[size];
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
        pool.runEach(batch * heads, forwardBody);
        clear();
    }

    private void forwardHeads(int start, int end, int worker) {
        float[] kt = panels[worker], vs = strips[worker], qs = rowBlocks[worker], scores = squares[worker];
        int d = headDim, T = time, Tp = paddedTime, group = heads / kvHeads;
        int qStride = heads * d, kvStride = kvHeads * d;
        for (int bh = start; bh < end; bh++) {
            int b = bh / heads, h = bh % heads, g = h / group;
            int kvBase = (b * T * kvHeads + g) * d;
            transposeStrips(kt, k, kOff + kvBase, kvStride);
            rowStrips(vs, v, vOff + kvBase, kvStride);
            for (int t0 = 0; t0 < T; t0 += MR) {
                int mr = Math.min(MR, T - t0);
                int keys = t0 + mr; // keys s < t0 + mr can be unmasked for some row of the block
                // scores[r, s] = sum_i (q[t0 + r, i] scale) k[s, i]
                packRows(qs, q, qOff + ((b * T + t0) * heads + h) * d, qStride, mr, scale);
                for (int s0 = 0; s0 < keys; s0 += NR) {
                    block(worker, MR, qs, 0, 1, true, kt, s0 * d, d, scores, s0, Tp, NR, false);
                }
                int pBlock = probsOff + (bh * T + t0) * T;
                for (int r = 0; r < mr; r++) {
                    int len = t0 + r + 1, pRow = pBlock + r * T, sRow = r * Tp;
                    softmaxRow(scores, sRow, len, probs, pRow, T);
                }
                // out[t] = sum_{s < keys} P[t, s] v[s]  (P[t, s] = 0 for s > t)
                int oAt = outOff + ((b * T + t0) * heads + h) * d;
                for (int j0 = 0; j0 < d; j0 += NR) {
                    block(worker, mr, probs, pBlock, T, false, vs, j0 * T, keys, out, oAt + j0, qStride,
                            Math.min(NR, d - j0), false);
                }
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
        pool.runEach(batch * kvHeads, backwardBody);
        clear();
    }

    private void backwardGroups(int start, int end, int worker) {
        float[] vt = panels[worker], ks = strips[worker];
        int d = headDim, T = time, group = heads / kvHeads;
        int kvStride = kvHeads * d;
        for (int bg = start; bg < end; bg++) {
            int b = bg / kvHeads, g = bg % kvHeads;
            int kvBase = (b * T * kvHeads + g) * d;
            transposeStrips(vt, v, vOff + kvBase, kvStride);
            if (dq != null) {
                rowStrips(ks, k, kOff + kvBase, kvStride);
            }
            for (int h = g * group; h < (g + 1) * group; h++) {
                int pBase = probsOff + ((b * heads + h) * T) * T;
                int qBase = ((b * T) * heads + h) * d;
                backwardQueries(worker, pBase, qBase);
                backwardKeys(worker, kvBase, pBase, qBase);
            }
        }
    }

    /**
     * One head's dS (into the worker's square) and dq, a block of query rows at a time, with the group's v^T and k
     * strips already in the worker's panels and strips.
     */
    private void backwardQueries(int worker, int pBase, int qBase) {
        float[] vt = panels[worker], ks = strips[worker], dos = rowBlocks[worker], ds = squares[worker];
        int d = headDim, T = time, Tp = paddedTime, qStride = heads * d;
        for (int t0 = 0; t0 < T; t0 += MR) {
            int mr = Math.min(MR, T - t0);
            int keys = t0 + mr;
            // dP[t, s] = dOut[t] . v[s] for the block's rows, key strips up to the diagonal
            packRows(dos, dOut, dOutOff + qBase + t0 * qStride, qStride, mr, 1f);
            for (int s0 = 0; s0 < keys; s0 += NR) {
                block(worker, MR, dos, 0, 1, true, vt, s0 * d, d, ds, t0 * Tp + s0, Tp, NR, false);
            }
            // dS[t, s] = P[t, s] (dP[t, s] - sum_s' P[t, s'] dP[t, s']) scale; 0 past the diagonal
            for (int r = 0; r < mr; r++) {
                int t = t0 + r, len = t + 1, row = t * Tp, pRow = pBase + t * T;
                gradientRow(ds, row, probs, pRow, len, Tp, edges[worker]);
            }
            // dq[t] += sum_{s < keys} dS[t, s] k[s]
            if (dq != null) {
                int dqAt = dqOff + qBase + t0 * qStride;
                for (int j0 = 0; j0 < d; j0 += NR) {
                    block(worker, mr, ds, t0 * Tp, Tp, false, ks, j0 * T, keys, dq, dqAt + j0, qStride,
                            Math.min(NR, d - j0), true);
                }
            }
        }
    }

    /**
     * One head's part of dk and dv, from the dS that {@link #backwardQueries} left in the worker's square:
     * dk[s] += sum_{t >= s} dS[t, s] q[t];  dv[s] += sum_{t >= s} P[t, s] dOut[t], for blocks of keys s0..s0+3 over
     * t >= s0 (the terms with s0 <= t < s are zeros past the diagonal).
     */
    private void backwardKeys(int worker, int kvBase, int pBase, int qBase) {
        float[] qh = queryStrips[worker], doh = gradStrips[worker], pa = packed[worker], ds = squares[worker];
        int d = headDim, T = time, Tp = paddedTime, qStride = heads * d, kvStride = kvHeads * d;
        if (dk != null) {
            rowStrips(qh, q, qOff + qBase, qStride);
        }
        if (dv != null) {
            rowStrips(doh, dOut, dOutOff + qBase, qStride);
        }
        for (int s0 = 0; s0 < T; s0 += MR) {
            int ms = Math.min(MR, T - s0), count = T - s0;
            int kvAt = kvBase + s0 * kvStride;
            if (dk != null) {
                packColumns(pa, ds, s0 * Tp + s0, Tp, ms, count);
                for (int j0 = 0; j0 < d; j0 += NR) {
                    block(worker, ms, pa, 0, 1, true, qh, j0 * T + s0 * NR, count, dk, dkOff + kvAt + j0,
                            kvStride, Math.min(NR, d - j0), true);
                }
            }
            if (dv != null) {
                packColumns(pa, probs, pBase + s0 * T + s0, T, ms, count);
                for (int j0 = 0; j0 < d; j0 += NR) {
                    block(worker, ms, pa, 0, 1, true, doh, j0 * T + s0 * NR, count, dv, dvOff + kvAt + j0,
                            kvStride, Math.min(NR, d - j0), true);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ causal rows

    /** Lane indices 0, 1, ..., L-1 (for the mask of a row's last, partial vector). */
    private static final FloatVector IOTA = iota();

    private static FloatVector iota() {
        float[] lanes = new float[L];
        for (int i = 0; i < L; i++) {
            lanes[i] = i;
        }
        return FloatVector.fromArray(F, lanes, 0);
    }

    /**
     * One causal row of probabilities: probs[pRow + s] = exp(sc[sRow + s] - max) / sum for s &lt; len and 0 for len
     * &lt;= s &lt; T, where max and sum run over s &lt; len. The scores row (scratch, computed at least ceil(len / L) L
     * wide) is read in whole vectors, the lanes of the last one past len masked off (no scalar tail); the
     * exponentials stay in the scratch row, and probs is written once. The sum: float vector partial sums over
     * blocks of 256 vectors, each block's lanes added in order, the block sums in double.
     */
    private static void softmaxRow(float[] sc, int sRow, int len, float[] probs, int pRow, int T) {
        int end = (len + L - 1) / L * L;
        // Loop-carried vectors start from local broadcasts (a static final vector in a loop phi makes C2 box them),
        // and each loop has one call site of exp (a second one, for the last vector alone, was left out of line).
        FloatVector negInf = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), zero = FloatVector.zero(F);
        FloatVector acc = negInf;
        for (int s = 0; s < end; s += L) {
            VectorMask<Float> valid = IOTA.compare(VectorOperators.LT, (float) (len - s)); // all lanes but at the end
            acc = acc.max(negInf.blend(FloatVector.fromArray(F, sc, sRow + s), valid));
        }
        FloatVector max = FloatVector.broadcast(F, acc.reduceLanes(VectorOperators.MAX)); // exact in any order
        FloatVector partial = zero;
        double sum = 0;
        for (int s = 0, sinceFlush = 0; s < end; s += L) {
            VectorMask<Float> valid = IOTA.compare(VectorOperators.LT, (float) (len - s));
            FloatVector e = zero.blend(Simd.exp(FloatVector.fromArray(F, sc, sRow + s).sub(max)), valid);
            e.intoArray(sc, sRow + s);
            partial = partial.add(e);
            if (++sinceFlush == 256) {
                sum += Simd.sumLanes(partial);
                partial = zero;
                sinceFlush = 0;
            }
        }
        sum += Simd.sumLanes(partial);
        float inverse = (float) (1.0 / sum);
        FloatVector vInverse = FloatVector.broadcast(F, inverse);
        int s = 0, written = Math.min(end, T);
        for (int bound = Math.min(written, T - L + 1); s < bound; s += L) {
            FloatVector.fromArray(F, sc, sRow + s).mul(vInverse).intoArray(probs, pRow + s);
        }
        for (; s < written; s++) { // a last vector that would cross the row's end (T not a multiple of L)
            probs[pRow + s] = sc[sRow + s] * inverse;
        }
        Arrays.fill(probs, pRow + written, pRow + T, 0f);
    }

    /**
     * One causal row of score gradients: ds[row + s] = p[pRow + s] (ds[row + s] - w) scale for s &lt; len and 0 for
     * len &lt;= s &lt; Tp, where w = sum_{s &lt; len} p[pRow + s] ds[row + s] (two vector accumulators, combined
     * lane-wise, lanes in order). The dP row ds (scratch, computed at least ceil(len / L) L wide) and probs are read
     * in whole vectors, the probabilities of the last one past len masked to zero (no scalar tail); scratch: at
     * least L floats.
     */
    private void gradientRow(float[] ds, int row, float[] p, int pRow, int len, int Tp, float[] scratch) {
        int vectors = (len + L - 1) / L, last = (vectors - 1) * L;
        FloatVector zero = FloatVector.zero(F), acc0 = zero, acc1 = zero;
        VectorMask<Float> tail = IOTA.compare(VectorOperators.LT, (float) (len - last));
        int s = 0;
        for (; s + L < last; s += 2 * L) {
            acc0 = FloatVector.fromArray(F, p, pRow + s).fma(FloatVector.fromArray(F, ds, row + s), acc0);
            acc1 = FloatVector.fromArray(F, p, pRow + s + L).fma(FloatVector.fromArray(F, ds, row + s + L), acc1);
        }
        if (s < last) {
            acc0 = FloatVector.fromArray(F, p, pRow + s).fma(FloatVector.fromArray(F, ds, row + s), acc0);
        }
        // Lanes past len may lie in the next row (masked to zero) or past the array's end (then the row's last values
        // are copied into the zero-padded scratch first: the Vector API's masked load of a partly outside vector
        // allocates).
        FloatVector pLast;
        if (pRow + last + L <= p.length) {
            pLast = zero.blend(FloatVector.fromArray(F, p, pRow + last), tail);
        } else {
            Arrays.fill(scratch, 0, L, 0f);
            System.arraycopy(p, pRow + last, scratch, 0, len - last);
            pLast = FloatVector.fromArray(F, scratch, 0);
        }
        acc1 = pLast.fma(FloatVector.fromArray(F, ds, row + last), acc1);
        FloatVector w = FloatVector.broadcast(F, Simd.sumLanes(acc0.add(acc1)));
        FloatVector sc = FloatVector.broadcast(F, scale);
        for (s = 0; s < last; s += L) {
            FloatVector.fromArray(F, ds, row + s).sub(w).mul(FloatVector.fromArray(F, p, pRow + s)).mul(sc)
                    .intoArray(ds, row + s);
        }
        FloatVector.fromArray(F, ds, row + last).sub(w).mul(pLast).mul(sc).intoArray(ds, row + last);
        Arrays.fill(ds, row + last + L, row + Tp, 0f);
    }

    // ------------------------------------------------------------------------------------------------ kernels

    /**
     * C[r, j] (+)= sum_{p &lt; depth} A[r, p] B[p, j] for r &lt; rows (at most MR), j &lt; cols (at most NR), where
     * B[p, j] = strip[bAt + p NR + j] and A[r, p] = a[aAt + p MR + r] (packedA, rows past {@code rows} zero) or
     * a[aAt + r aRow + p], C[r, j] = c[cAt + r cRow + j]. Each element is summed over p in increasing order from zero,
     * then added to C (add) or stored. A partial block goes through the worker's edge block (and unpacked A rows
     * through a packed copy), with the same sums.
     */
    private void block(int worker, int rows, float[] a, int aAt, int aRow, boolean packedA, float[] strip, int bAt,
                       int depth, float[] c, int cAt, int cRow, int cols, boolean add) {
        if (rows < MR && !packedA) {
            float[] pa = packed[worker];
            for (int p = 0; p < depth; p++) {
                for (int r = 0; r < MR; r++) {
                    pa[p * MR + r] = r < rows ? a[aAt + r * aRow + p] : 0f;
                }
            }
            a = pa;
            aAt = 0;
            packedA = true;
        }
        boolean direct = rows == MR && cols == NR;
        float[] o = direct ? c : edges[worker];
        int oAt = direct ? cAt : 0, oRow = direct ? cRow : NR;
        if (packedA) {
            MatMul.kernel(a, aAt, strip, bAt, depth, o, oAt, oRow, direct && add); // the same [p][MR] x [p][NR] layouts
        } else {
            kernelRows(a, aAt, aRow, strip, bAt, depth, o, oAt, oRow, direct && add);
        }
        if (!direct) {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < cols; j++) {
                    int at = cAt + r * cRow + j;
                    c[at] = add ? c[at] + o[r * NR + j] : o[r * NR + j];
                }
            }
        }
    }

    /**
     * The 4 x 2-vector kernel with A read along four rows (unit stride along p); with A packed, {@link MatMul#kernel}
     * serves (the same layouts: A [p][MR], B [p][NR]).
     */
    private static void kernelRows(float[] a, int aAt, int aRow, float[] b, int bAt, int depth, float[] c, int cAt,
                                   int cRow, boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int a0 = aAt, a1 = aAt + aRow, a2 = aAt + 2 * aRow, a3 = aAt + 3 * aRow;
        for (int p = 0; p < depth; p++) {
            int bp = bAt + p * NR;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + L);
            FloatVector s = FloatVector.broadcast(F, a[a0 + p]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, a[a1 + p]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, a[a2 + p]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, a[a3 + p]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
        }
        // Stores written out (see MatMul.kernel: a helper taking vectors can make C2 box the accumulators).
        int c1 = cAt + cRow, c2 = cAt + 2 * cRow, c3 = cAt + 3 * cRow;
        if (add) {
            c00 = FloatVector.fromArray(F, c, cAt).add(c00);
            c01 = FloatVector.fromArray(F, c, cAt + L).add(c01);
            c10 = FloatVector.fromArray(F, c, c1).add(c10);
            c11 = FloatVector.fromArray(F, c, c1 + L).add(c11);
            c20 = FloatVector.fromArray(F, c, c2).add(c20);
            c21 = FloatVector.fromArray(F, c, c2 + L).add(c21);
            c30 = FloatVector.fromArray(F, c, c3).add(c30);
            c31 = FloatVector.fromArray(F, c, c3 + L).add(c31);
        }
        c00.intoArray(c, cAt);
        c01.intoArray(c, cAt + L);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + L);
        c20.intoArray(c, c2);
        c21.intoArray(c, c2 + L);
        c30.intoArray(c, c3);
        c31.intoArray(c, c3 + L);
    }

    // ------------------------------------------------------------------------------------------------ packing

    /**
     * block[i MR + r] = src[at + r rowStride + i] alpha for r &lt; rows, i &lt; d; rows rows..MR-1 are zero: the
     * block's query (scaled) or dOut rows, as the packed A operand of a score product.
     */
    private void packRows(float[] block, float[] src, int at, int rowStride, int rows, float alpha) {
        int d = headDim;
        if (rows == MR && MatMul.VECTOR_PACK) { // 4 x 8 transposes in registers, then the scaling: the same products
            MatMul.packRowsTransposed(src, at, rowStride, block, 0, d);
            if (alpha != 1f) {
                Simd.scale(block, 0, alpha, d * MR);
            }
            return;
        }
        for (int r = 0; r < MR; r++) {
            int from = at + r * rowStride;
            for (int i = 0; i < d; i++) {
                block[i * MR + r] = r < rows ? src[from + i] * alpha : 0f;
            }
        }
    }

    /**
     * pa[p MR + r] = m[at + p stride + r] for p &lt; count, r &lt; rows (zero for r &gt;= rows): MR columns of a
     * [T][stride] matrix (score gradients or probabilities) from row s0 down, as the packed A operand of dk or dv.
     */
    private static void packColumns(float[] pa, float[] m, int at, int stride, int rows, int count) {
        if (rows == MR && MR == 4 && MatMul.VECTOR_PACK) { // one 4-lane copy per row of m
            for (int p = 0; p < count; p++) {
                FloatVector.fromArray(FloatVector.SPECIES_128, m, at + p * stride).intoArray(pa, p * MR);
            }
            return;
        }
        for (int p = 0; p < count; p++) {
            int from = at + p * stride;
            for (int r = 0; r < MR; r++) {
                pa[p * MR + r] = r < rows ? m[from + r] : 0f;
            }
        }
    }

    /**
     * strips[(s / NR) d NR + i NR + s % NR] = src[at + s rowStride + i] for s &lt; T, i &lt; d, zero for T &lt;= s
     * &lt; T': keys or values of one (b, g) transposed into [d][T'] strips of NR keys (B of a score product).
     */
    private void transposeStrips(float[] strips, float[] src, int at, int rowStride) {
        int d = headDim, T = time, Tp = paddedTime;
        for (int s = 0; s < T; s++) {
            int from = at + s * rowStride, to = (s / NR) * d * NR + s % NR;
            for (int i = 0; i < d; i++) {
                strips[to + i * NR] = src[from + i];
            }
        }
        for (int s = T; s < Tp; s++) {
            int to = (s / NR) * d * NR + s % NR;
            for (int i = 0; i < d; i++) {
                strips[to + i * NR] = 0f;
            }
        }
    }

    /**
     * strips[(j / NR) T NR + s NR + j % NR] = src[at + s rowStride + j] for s &lt; T, j &lt; d, zero for d &lt;= j
     * &lt; d': T rows of d values (K, V, or one head's q or dOut) as strips of NR columns (B of the other products).
     */
    private void rowStrips(float[] strips, float[] src, int at, int rowStride) {
        int d = headDim, T = time, dp = paddedDim;
        for (int j0 = 0; j0 < dp; j0 += NR) {
            int base = j0 * T, width = Math.min(NR, d - j0);
            for (int s = 0; s < T; s++) {
                int from = at + s * rowStride + j0, to = base + s * NR;
                if (width == NR) {
                    FloatVector.fromArray(F, src, from).intoArray(strips, to);
                    FloatVector.fromArray(F, src, from + L).intoArray(strips, to + L);
                } else {
                    for (int j = 0; j < NR; j++) {
                        strips[to + j] = j < width ? src[from + j] : 0f;
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    private void setShape(int time, int heads, int kvHeads, int headDim) {
        this.time = time;
        this.paddedTime = ceilDiv(time, NR) * NR;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.paddedDim = ceilDiv(headDim, NR) * NR;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    private void clear() {
        out = probs = q = k = v = dq = dk = dv = dOut = null;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
