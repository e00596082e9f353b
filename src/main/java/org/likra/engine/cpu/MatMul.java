package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The three matrix products of a linear layer y = x W^T + b, on row-major float arrays, each read in the layout it
 * is stored in (no transposed copies):
 *
 * <pre>
 *   forward  out[i, o]  = b[o] + sum_k x[i, k] W[o, k]      x (n, in), W (out, in): dot products along rows
 *   dx       dx[i, k]  += sum_o dOut[i, o] W[o, k]          broadcast dOut[i, o], vectors along W's rows
 *   dW       dW[o, k]  += sum_i dOut[i, o] x[i, k]          broadcast dOut[i, o], vectors along x's rows
 *   dBias    db[o]     += sum_i dOut[i, o]
 * </pre>
 *
 * <p>Each product is cut into output tiles that the pool's threads claim (each output element is written by one
 * thread, so results do not depend on the thread count). Inside a tile a register-blocked micro-kernel computes a
 * small block of outputs with all partial sums in vector registers; the contraction dimension of dx and dW is cut
 * into blocks that keep the streamed operand in L1. Rows and columns left over at the edges of the matrices go
 * through the plain {@link Simd} loops.
 *
 * <p>Not thread-safe: one product at a time (the arguments live in fields so that no per-call objects are made).
 */
final class MatMul {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;

    /** Forward micro-kernel: 4 rows of x times 3 rows of W (12 accumulators). */
    private static final int FWD_ROWS = 4;
    private static final int FWD_COLS = 3;
    /** Forward tile: 64 rows of x times 48 rows of W (the W panel stays in L2). */
    private static final int FWD_TILE_ROWS = 64;
    private static final int FWD_TILE_COLS = 48;

    /** dx / dW micro-kernel: 4 output rows times 2 vectors of output columns (8 accumulators). */
    private static final int BWD_ROWS = 4;
    private static final int BWD_COLS = 2 * L;
    /** dx / dW tiles: 32 output rows times 8 vectors of columns; contraction in blocks of 256. */
    private static final int BWD_TILE_ROWS = 32;
    private static final int BWD_TILE_COLS = 8 * L;
    private static final int BWD_DEPTH = 256;

    private final WorkPool pool;
    private final WorkPool.Body forwardBody = this::forwardTiles;
    private final WorkPool.Body dxBody = this::dxTiles;
    private final WorkPool.Body dwBody = this::dwTiles;
    private final WorkPool.Body biasBody = this::biasColumns;

    // Arguments of the product in progress.
    private float[] out, x, w, b, dOut;
    private int outOff, xOff, wOff, bOff, dOutOff;
    private int n, inDim, outDim;
    private int tileCols;

    MatMul(WorkPool pool) {
        this.pool = pool;
    }

    // ------------------------------------------------------------------------------------------------ forward

    /** out (n, outDim) = x (n, inDim) W^T + bias; W (outDim, inDim); bias (outDim) or null. */
    void forward(float[] out, int outOff, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                 int n, int inDim, int outDim) {
        set(out, outOff, x, xOff, w, wOff, bias, biasOff, null, 0, n, inDim, outDim);
        int rowTiles = ceilDiv(n, FWD_TILE_ROWS);
        tileCols = ceilDiv(outDim, FWD_TILE_COLS);
        pool.run(rowTiles * tileCols, 1, forwardBody);
        clear();
    }

    private void forwardTiles(int start, int end, int worker) {
        for (int tile = start; tile < end; tile++) {
            int i0 = (tile / tileCols) * FWD_TILE_ROWS;
            int o0 = (tile % tileCols) * FWD_TILE_COLS;
            forwardTile(i0, Math.min(n, i0 + FWD_TILE_ROWS), o0, Math.min(outDim, o0 + FWD_TILE_COLS));
        }
    }

    private void forwardTile(int i0, int i1, int o0, int o1) {
        int iBlocked = i0 + (i1 - i0) / FWD_ROWS * FWD_ROWS;
        int oBlocked = o0 + (o1 - o0) / FWD_COLS * FWD_COLS;
        for (int i = i0; i < iBlocked; i += FWD_ROWS) {
            for (int o = o0; o < oBlocked; o += FWD_COLS) {
                forwardKernel(i, o);
            }
        }
        // Edges: single dot products.
        for (int i = i0; i < i1; i++) {
            int oStart = i < iBlocked ? oBlocked : o0;
            for (int o = oStart; o < o1; o++) {
                float sum = Simd.dot(x, xOff + i * inDim, w, wOff + o * inDim, inDim);
                out[outOff + i * outDim + o] = b == null ? sum : sum + b[bOff + o];
            }
        }
    }

    /** out[i..i+3, o..o+2]: 12 dot products of length inDim, each kept in one vector accumulator. */
    private void forwardKernel(int i, int o) {
        int k = inDim;
        int x0 = xOff + i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        int w0 = wOff + o * k, w1 = w0 + k, w2 = w1 + k;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00;
        int j = 0;
        for (int bound = F.loopBound(k); j < bound; j += L) {
            FloatVector a0 = FloatVector.fromArray(F, x, x0 + j);
            FloatVector a1 = FloatVector.fromArray(F, x, x1 + j);
            FloatVector a2 = FloatVector.fromArray(F, x, x2 + j);
            FloatVector a3 = FloatVector.fromArray(F, x, x3 + j);
            FloatVector bv = FloatVector.fromArray(F, w, w0 + j);
            c00 = a0.fma(bv, c00);
            c10 = a1.fma(bv, c10);
            c20 = a2.fma(bv, c20);
            c30 = a3.fma(bv, c30);
            bv = FloatVector.fromArray(F, w, w1 + j);
            c01 = a0.fma(bv, c01);
            c11 = a1.fma(bv, c11);
            c21 = a2.fma(bv, c21);
            c31 = a3.fma(bv, c31);
            bv = FloatVector.fromArray(F, w, w2 + j);
            c02 = a0.fma(bv, c02);
            c12 = a1.fma(bv, c12);
            c22 = a2.fma(bv, c22);
            c32 = a3.fma(bv, c32);
        }
        float s00 = c00.reduceLanes(VectorOperators.ADD), s01 = c01.reduceLanes(VectorOperators.ADD);
        float s02 = c02.reduceLanes(VectorOperators.ADD), s10 = c10.reduceLanes(VectorOperators.ADD);
        float s11 = c11.reduceLanes(VectorOperators.ADD), s12 = c12.reduceLanes(VectorOperators.ADD);
        float s20 = c20.reduceLanes(VectorOperators.ADD), s21 = c21.reduceLanes(VectorOperators.ADD);
        float s22 = c22.reduceLanes(VectorOperators.ADD), s30 = c30.reduceLanes(VectorOperators.ADD);
        float s31 = c31.reduceLanes(VectorOperators.ADD), s32 = c32.reduceLanes(VectorOperators.ADD);
        for (; j < k; j++) { // scalar tail of the contraction
            float a0 = x[x0 + j], a1 = x[x1 + j], a2 = x[x2 + j], a3 = x[x3 + j];
            float b0 = w[w0 + j], b1 = w[w1 + j], b2 = w[w2 + j];
            s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2;
            s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2;
            s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2;
            s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2;
        }
        storeRow(i, o, s00, s01, s02);
        storeRow(i + 1, o, s10, s11, s12);
        storeRow(i + 2, o, s20, s21, s22);
        storeRow(i + 3, o, s30, s31, s32);
    }

    /** out[i, o..o+2] = sums (+ bias). */
    private void storeRow(int i, int o, float s0, float s1, float s2) {
        int at = outOff + i * outDim + o;
        if (b != null) {
            s0 += b[bOff + o];
            s1 += b[bOff + o + 1];
            s2 += b[bOff + o + 2];
        }
        out[at] = s0;
        out[at + 1] = s1;
        out[at + 2] = s2;
    }

    // ------------------------------------------------------------------------------------------------ dx

    /** dx (n, inDim) += dOut (n, outDim) W (outDim, inDim). */
    void backwardInput(float[] dx, int dxOff, float[] dOut, int dOutOff, float[] w, int wOff, int n, int inDim,
                       int outDim) {
        set(dx, dxOff, null, 0, w, wOff, null, 0, dOut, dOutOff, n, inDim, outDim);
        int rowTiles = ceilDiv(n, BWD_TILE_ROWS);
        tileCols = ceilDiv(inDim, BWD_TILE_COLS);
        pool.run(rowTiles * tileCols, 1, dxBody);
        clear();
    }

    private void dxTiles(int start, int end, int worker) {
        for (int tile = start; tile < end; tile++) {
            int i0 = (tile / tileCols) * BWD_TILE_ROWS;
            int k0 = (tile % tileCols) * BWD_TILE_COLS;
            int i1 = Math.min(n, i0 + BWD_TILE_ROWS), k1 = Math.min(inDim, k0 + BWD_TILE_COLS);
            for (int p0 = 0; p0 < outDim; p0 += BWD_DEPTH) {
                // out = dx here; A = dOut (rows i, depth o); B = W (depth o, columns k)
                productBlock(out, outOff, inDim, dOut, dOutOff, outDim, 1, w, wOff, inDim,
                        i0, i1, k0, k1, p0, Math.min(outDim, p0 + BWD_DEPTH));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ dW

    /** dW (outDim, inDim) += dOut^T (outDim, n) x (n, inDim). */
    void backwardWeight(float[] dw, int dwOff, float[] dOut, int dOutOff, float[] x, int xOff, int n, int inDim,
                        int outDim) {
        set(dw, dwOff, x, xOff, null, 0, null, 0, dOut, dOutOff, n, inDim, outDim);
        int rowTiles = ceilDiv(outDim, BWD_TILE_ROWS);
        tileCols = ceilDiv(inDim, BWD_TILE_COLS);
        pool.run(rowTiles * tileCols, 1, dwBody);
        clear();
    }

    private void dwTiles(int start, int end, int worker) {
        for (int tile = start; tile < end; tile++) {
            int o0 = (tile / tileCols) * BWD_TILE_ROWS;
            int k0 = (tile % tileCols) * BWD_TILE_COLS;
            int o1 = Math.min(outDim, o0 + BWD_TILE_ROWS), k1 = Math.min(inDim, k0 + BWD_TILE_COLS);
            for (int p0 = 0; p0 < n; p0 += BWD_DEPTH) {
                // out = dW here; A = dOut^T (rows o, depth i: A[o, i] = dOut[i * outDim + o]); B = x (depth i, k)
                productBlock(out, outOff, inDim, dOut, dOutOff, 1, outDim, x, xOff, inDim,
                        o0, o1, k0, k1, p0, Math.min(n, p0 + BWD_DEPTH));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ shared kernel

    /**
     * C[r, c] += sum_{p0 &lt;= p &lt; p1} A[r, p] B[p, c] for r in [r0, r1), c in [c0, c1), where
     * A[r, p] = a[aOff + r * aRowStride + p * aDepthStride] (any strides: plain for dx, transposed for dW),
     * B[p, c] = bm[bOff + p * bStride + c] and C[r, c] = c[cOff + r * cStride + c].
     */
    private static void productBlock(float[] cm, int cOff, int cStride, float[] a, int aOff, int aRowStride,
                                     int aDepthStride, float[] bm, int bOff, int bStride,
                                     int r0, int r1, int c0, int c1, int p0, int p1) {
        int rBlocked = r0 + (r1 - r0) / BWD_ROWS * BWD_ROWS;
        int cBlocked = c0 + (c1 - c0) / BWD_COLS * BWD_COLS;
        for (int r = r0; r < rBlocked; r += BWD_ROWS) {
            for (int c = c0; c < cBlocked; c += BWD_COLS) {
                kernel4x2(cm, cOff + r * cStride + c, cStride, a, aOff + r * aRowStride, aRowStride, aDepthStride,
                        bm, bOff + c, bStride, p0, p1);
            }
        }
        // Edges: rank-1 updates row by row (vector body plus scalar tail).
        for (int r = r0; r < r1; r++) {
            int cStart = r < rBlocked ? cBlocked : c0;
            if (cStart >= c1) {
                continue;
            }
            for (int p = p0; p < p1; p++) {
                float alpha = a[aOff + r * aRowStride + p * aDepthStride];
                Simd.axpy(alpha, bm, bOff + p * bStride + cStart, cm, cOff + r * cStride + cStart, c1 - cStart);
            }
        }
    }

    /** 4 rows x 2 vectors of C, accumulated over depth [p0, p1) in registers, then added to C. */
    private static void kernel4x2(float[] cm, int cAt, int cStride, float[] a, int aAt, int aRowStride,
                                  int aDepthStride, float[] bm, int bAt, int bStride, int p0, int p1) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int a1 = aRowStride, a2 = 2 * aRowStride, a3 = 3 * aRowStride;
        for (int p = p0; p < p1; p++) {
            int bp = bAt + p * bStride;
            FloatVector b0 = FloatVector.fromArray(F, bm, bp);
            FloatVector b1 = FloatVector.fromArray(F, bm, bp + L);
            int ap = aAt + p * aDepthStride;
            FloatVector s = FloatVector.broadcast(F, a[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, a[ap + a1]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, a[ap + a2]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, a[ap + a3]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
        }
        addTo(cm, cAt, c00, c01);
        addTo(cm, cAt + cStride, c10, c11);
        addTo(cm, cAt + 2 * cStride, c20, c21);
        addTo(cm, cAt + 3 * cStride, c30, c31);
    }

    private static void addTo(float[] cm, int at, FloatVector v0, FloatVector v1) {
        FloatVector.fromArray(F, cm, at).add(v0).intoArray(cm, at);
        FloatVector.fromArray(F, cm, at + L).add(v1).intoArray(cm, at + L);
    }

    // ------------------------------------------------------------------------------------------------ dBias

    /** dBias (outDim) += column sums of dOut (n, outDim). */
    void backwardBias(float[] db, int dbOff, float[] dOut, int dOutOff, int n, int outDim) {
        set(db, dbOff, null, 0, null, 0, null, 0, dOut, dOutOff, n, 0, outDim);
        pool.run(outDim, 256, biasBody);
        clear();
    }

    private void biasColumns(int start, int end, int worker) {
        for (int i = 0; i < n; i++) {
            Simd.addInto(dOut, dOutOff + i * outDim + start, out, outOff + start, end - start);
        }
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    private void set(float[] out, int outOff, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
                     float[] dOut, int dOutOff, int n, int inDim, int outDim) {
        this.out = out;
        this.outOff = outOff;
        this.x = x;
        this.xOff = xOff;
        this.w = w;
        this.wOff = wOff;
        this.b = b;
        this.bOff = bOff;
        this.dOut = dOut;
        this.dOutOff = dOutOff;
        this.n = n;
        this.inDim = inDim;
        this.outDim = outDim;
    }

    /** Drops the references to the caller's arrays. */
    private void clear() {
        out = x = w = b = dOut = null;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
