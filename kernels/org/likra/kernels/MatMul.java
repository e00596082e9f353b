package org.likra.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * One strided matrix product serves all three products of a linear layer without materialising a transpose:
 * <pre>
 *   C[i, j] (+)= sum_p A(i, p) B(p, j) (+ bias[j]),   A(i, p) = a[aOff + i aRow + p aCol],  B(p, j) = b[bOff + p bRow + j bCol]
 *   forward  out = x W^T:   A = x (inDim, 1),         B(p, j) = W[j, p]  (1, inDim)
 *   dx      += dOut W:      A = dOut (outDim, 1),     B = W (inDim, 1)
 *   dW      += dOut^T x:    A(k, i) = dOut[i, k] (1, outDim),  B = x (inDim, 1)
 * </pre>
 * What happens to each sum is the epilogue's to say ({@code epilogue}, a sum of the flags below, and {@code extra}):
 * <pre>
 *   BIAS        C[i, j] = sum + bias[biasOff + j]
 *   ACCUMULATE  C[i, j] = sum + old C[i, j]
 *   GELU        also  C[i, j] + extra = gelu(C[i, j]): the activation beside the pre-activation the backward pass
 *               needs, extra elements further into the same array (both outputs views of one allocation)
 *   QKV         the columns go to three row-major outputs stacked in c: j &lt; ldc to q[i, j] at cOff + i ldc + j,
 *               then kv = (n - ldc) / 2 columns each to k at cOff + extra ldc and v at cOff + extra (ldc + kv),
 *               extra being the rows each output holds (at least m): attention's input projections as one product
 *               of x with the stacked Wq, Wk, Wv
 *   QKV_A_COLUMNS, QKV_A_ROWS   A read from dq, dk, dv stacked the same way (aRow = qDim, aCol = kvDim, extra rows
 *               each), its stacked column being p (dx = [dq dk dv] [Wq; Wk; Wv]) or the row (dW = [dq dk dv]^T x)
 * </pre>
 * TornadoVM compiles a task for the values of its scalar arguments, so the flags cost nothing where they are off.
 * {@link #matmul} is the {@code @Parallel} loop form (one thread per output, also plain Java); {@link #matmulTiled}
 * stages TILE x TILE blocks of A and B in local memory, one output per thread; {@link #matmulBlocked} computes a
 * BLOCK x BLOCK tile of outputs per work-group, 4 x 4 of them per thread held in registers. The two local-memory
 * forms run on the device only, on a 2D grid covering the output rounded up to whole tiles; the edges are masked,
 * so any shape works.
 */
public final class MatMul {
    private MatMul() {
    }

    /** Epilogue flag: add bias[biasOff + j]. */
    public static final int BIAS = 1;
    /** Epilogue flag: add the old C[i, j] (C += product). */
    public static final int ACCUMULATE = 2;
    /** Epilogue flag: also write gelu of the output, {@code extra} elements further into c. */
    public static final int GELU = 4;
    /** Epilogue flag: route the columns to q, k and v stacked in c, each of {@code extra} rows. */
    public static final int QKV = 8;
    /**
     * Operand flag: A(i, p) is the gradient of q, k, v stacked in a (dq, dk, dv of {@code extra} rows each, aRow =
     * qDim and aCol = kvDim their widths) at row i and stacked column p: dx = dq Wq + dk Wk + dv Wv as one product.
     */
    public static final int QKV_A_COLUMNS = 16;
    /** Operand flag: A(k, i) is the stacked gradient at row i and stacked column k: dW of Wq, Wk, Wv as one product. */
    public static final int QKV_A_ROWS = 32;

    /** Tile edge of {@link #matmulTiled} (work-group TILE x TILE). */
    public static final int TILE = 16;

    /**
     * @param epilogue a sum of {@link #BIAS}, {@link #ACCUMULATE}, {@link #GELU}, {@link #QKV}: what is done with each
     *                 sum (see the class comment)
     * @param extra    the GELU output's distance from C[i, j], or the rows of each of q, k, v; unused otherwise
     */
    public static void matmul(FloatArray a, int aOff, int aRow, int aCol, FloatArray b, int bOff, int bRow, int bCol,
                              FloatArray c, int cOff, int ldc, FloatArray bias, int biasOff, int epilogue,
                              int extra, int m, int n, int k) {
        for (@Parallel int i = 0; i < m; i++) {
            for (@Parallel int j = 0; j < n; j++) {
                float sum = 0f;
                int bj = bOff + j * bCol;
                for (int p = 0; p < k; p++) {
                    sum += a.get(aOff + operandA(i, p, aRow, aCol, epilogue, extra)) * b.get(bj + p * bRow);
                }
                storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i, j, sum);
            }
        }
    }

    /** The tiled form of {@link #matmul}: globalIdx runs over columns j, globalIdy over rows i. */
    public static void matmulTiled(KernelContext ctx, FloatArray a, int aOff, int aRow, int aCol, FloatArray b,
                                   int bOff, int bRow, int bCol, FloatArray c, int cOff, int ldc, FloatArray bias,
                                   int biasOff, int epilogue, int extra, int m, int n, int k) {
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int j = ctx.groupIdx * TILE + tx;
        int i = ctx.groupIdy * TILE + ty;
        float[] as = ctx.allocateFloatLocalArray(TILE * TILE);
        float[] bs = ctx.allocateFloatLocalArray(TILE * TILE);
        float sum = 0f;
        int tiles = (k + TILE - 1) / TILE;
        for (int t = 0; t < tiles; t++) {
            int pa = t * TILE + tx;
            float av = 0f;
            if (i < m && pa < k) {
                av = a.get(aOff + operandA(i, pa, aRow, aCol, epilogue, extra));
            }
            as[ty * TILE + tx] = av;
            int pb = t * TILE + ty;
            float bv = 0f;
            if (pb < k && j < n) {
                bv = b.get(bOff + pb * bRow + j * bCol);
            }
            bs[ty * TILE + tx] = bv;
            ctx.localBarrier();
            for (int p = 0; p < TILE; p++) {
                sum += as[ty * TILE + p] * bs[p * TILE + tx];
            }
            ctx.localBarrier();
        }
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i, j, sum);
    }

    /** Threads per side of {@link #matmulBlocked}'s work-group (THREADS x THREADS). */
    public static final int THREADS = 16;
    /** Output tile edge of {@link #matmulBlocked}: each thread computes 4 x 4 outputs. */
    public static final int BLOCK = 4 * THREADS;
    /**
     * The depth of the slices of A and B that {@link #matmulBlocked} stages in local memory on a GPU: 2 x 64 x 33
     * floats (16.5 KiB) per work-group, well within any GPU's local memory (NVIDIA's OpenCL offers 48 KiB).
     */
    public static final int GPU_DEPTH = 32;
    /**
     * The slice depth on a CPU device: 2 x 64 x 129 floats (66 KiB; PoCL offers 512 KiB of "local" memory, which is
     * ordinary memory there). On PoCL (gpt2-S 8 x 64, 2 cores, 2026-12-07) the step's products took 269 ms at depth
     * 32, 187 at 64, 140 at 128 and 143 at 256: PoCL runs a work-group's code between barriers as a loop over its
     * threads, and deeper slices mean fewer such loops per product.
     */
    public static final int CPU_DEPTH = 128;
    /** Most slice depth {@link #matmulBlocked} takes: each of its THREADS^2 threads stages whole elements. */
    public static final int MAX_DEPTH = THREADS * THREADS;

    /**
     * The register-blocked form of {@link #matmul}: work-group (gx, gy) computes C[gy BLOCK .. +BLOCK, gx BLOCK ..
     * +BLOCK]; thread (tx, ty) the 4 x 4 outputs at rows gy BLOCK + ty + 16 r and columns gx BLOCK + tx + 16 s
     * (r, s &lt; 4), so that a row of threads stores 16 consecutive floats. Per slice of depth (a power of two up to
     * MAX_DEPTH: GPU_DEPTH or CPU_DEPTH) along p the group stages A[rows, p] in as[row (depth + 1) + p] and B[p, cols]
     * in bs[col (depth + 1) + p] (the padding puts the threads reading down one column on distinct banks), each thread
     * copying BLOCK depth / THREADS^2 elements of each; the copy walks the operand along whichever index is
     * contiguous in memory (along p where aCol == 1 or under QKV_A_COLUMNS, else along the rows; B along p where
     * bRow == 1, else along the columns), so consecutive threads load consecutive floats whichever of the products
     * this is. Each thread then reads 4 + 4 staged values per p for its 16 multiply-adds. The epilogue is
     * {@link #matmul}'s. Launch: global (ceil(n / BLOCK) THREADS, ceil(m / BLOCK) THREADS), local (THREADS, THREADS).
     */
    public static void matmulBlocked(KernelContext ctx, FloatArray a, int aOff, int aRow, int aCol, FloatArray b,
                                     int bOff, int bRow, int bCol, FloatArray c, int cOff, int ldc, FloatArray bias,
                                     int biasOff, int epilogue, int extra, int m, int n, int k, int depth) {
        // TornadoVM compiles the kernel for the value of depth it is launched with, so the local arrays have a size
        float[] as = ctx.allocateFloatLocalArray(BLOCK * (depth + 1));
        float[] bs = ctx.allocateFloatLocalArray(BLOCK * (depth + 1));
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int t = ty * THREADS + tx;
        int i0 = ctx.groupIdy * BLOCK;
        int j0 = ctx.groupIdx * BLOCK;
        int padded = depth + 1;
        int loads = BLOCK * depth / (THREADS * THREADS);
        float c00 = 0f;
        float c01 = 0f;
        float c02 = 0f;
        float c03 = 0f;
        float c10 = 0f;
        float c11 = 0f;
        float c12 = 0f;
        float c13 = 0f;
        float c20 = 0f;
        float c21 = 0f;
        float c22 = 0f;
        float c23 = 0f;
        float c30 = 0f;
        float c31 = 0f;
        float c32 = 0f;
        float c33 = 0f;
        for (int p0 = 0; p0 < k; p0 += depth) {
            for (int q = 0; q < loads; q++) {
                // A(row, p): consecutive threads take consecutive p when A's rows are contiguous, else consecutive rows
                int row = t % BLOCK;
                int p = t / BLOCK + q * (THREADS * THREADS / BLOCK);
                if ((aCol == 1 || (epilogue & QKV_A_COLUMNS) != 0) && (epilogue & QKV_A_ROWS) == 0) {
                    row = t / depth + q * (THREADS * THREADS / depth);
                    p = t % depth;
                }
                float av = 0f;
                if (i0 + row < m && p0 + p < k) {
                    av = a.get(aOff + operandA(i0 + row, p0 + p, aRow, aCol, epilogue, extra));
                }
                as[row * padded + p] = av;
                // B(p, col): likewise along p when bRow == 1 (the forward product's W[j, p]), else along the columns
                int col = t % BLOCK;
                int pb = t / BLOCK + q * (THREADS * THREADS / BLOCK);
                if (bRow == 1) {
                    col = t / depth + q * (THREADS * THREADS / depth);
                    pb = t % depth;
                }
                float bv = 0f;
                if (j0 + col < n && p0 + pb < k) {
                    bv = b.get(bOff + (p0 + pb) * bRow + (j0 + col) * bCol);
                }
                bs[col * padded + pb] = bv;
            }
            ctx.localBarrier();
            for (int p = 0; p < depth; p++) {
                float a0 = as[ty * padded + p];
                float a1 = as[(THREADS + ty) * padded + p];
                float a2 = as[(2 * THREADS + ty) * padded + p];
                float a3 = as[(3 * THREADS + ty) * padded + p];
                float b0 = bs[tx * padded + p];
                float b1 = bs[(THREADS + tx) * padded + p];
                float b2 = bs[(2 * THREADS + tx) * padded + p];
                float b3 = bs[(3 * THREADS + tx) * padded + p];
                c00 += a0 * b0;
                c01 += a0 * b1;
                c02 += a0 * b2;
                c03 += a0 * b3;
                c10 += a1 * b0;
                c11 += a1 * b1;
                c12 += a1 * b2;
                c13 += a1 * b3;
                c20 += a2 * b0;
                c21 += a2 * b1;
                c22 += a2 * b2;
                c23 += a2 * b3;
                c30 += a3 * b0;
                c31 += a3 * b1;
                c32 += a3 * b2;
                c33 += a3 * b3;
            }
            ctx.localBarrier();
        }
        int i = i0 + ty;
        int j = j0 + tx;
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i, j, c00);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i, j + THREADS, c01);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i, j + 2 * THREADS, c02);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i, j + 3 * THREADS, c03);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + THREADS, j, c10);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + THREADS, j + THREADS, c11);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + THREADS, j + 2 * THREADS, c12);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + THREADS, j + 3 * THREADS, c13);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + 2 * THREADS, j, c20);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + 2 * THREADS, j + THREADS, c21);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + 2 * THREADS, j + 2 * THREADS, c22);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + 2 * THREADS, j + 3 * THREADS, c23);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + 3 * THREADS, j, c30);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + 3 * THREADS, j + THREADS, c31);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + 3 * THREADS, j + 2 * THREADS, c32);
        storeOutput(c, cOff, ldc, bias, biasOff, epilogue, extra, m, n, i + 3 * THREADS, j + 3 * THREADS, c33);
    }

    /** Where A(i, p) lies after aOff: at i aRow + p aCol, or in the stacked dq, dk, dv (QKV_A_COLUMNS, QKV_A_ROWS). */
    private static int operandA(int i, int p, int aRow, int aCol, int epilogue, int extra) {
        int at = i * aRow + p * aCol;
        if ((epilogue & QKV_A_COLUMNS) != 0) {
            at = stacked(i, p, aRow, aCol, extra);
        } else if ((epilogue & QKV_A_ROWS) != 0) {
            at = stacked(p, i, aRow, aCol, extra);
        }
        return at;
    }

    /**
     * Element (row, column) of q | k | v (widths qDim, kvDim, kvDim) stored as three row-major outputs of the given
     * rows each, one after the other: q[row, column], then k, then v.
     */
    private static int stacked(int row, int column, int qDim, int kvDim, int rows) {
        int at = row * qDim + column;
        if (column >= qDim + kvDim) {
            at = rows * (qDim + kvDim) + row * kvDim + column - qDim - kvDim;
        } else if (column >= qDim) {
            at = rows * qDim + row * kvDim + column - qDim;
        }
        return at;
    }

    /** The epilogue of one output (i, j) of C, if it lies inside C: see the class comment. */
    private static void storeOutput(FloatArray c, int cOff, int ldc, FloatArray bias, int biasOff, int epilogue,
                                    int extra, int m, int n, int i, int j, float sum) {
        if (i < m && j < n) {
            float v = sum;
            if ((epilogue & BIAS) != 0) {
                v += bias.get(biasOff + j);
            }
            int at = cOff + i * ldc + j;
            if ((epilogue & QKV) != 0) {
                at = cOff + stacked(i, j, ldc, (n - ldc) / 2, extra);
            }
            if ((epilogue & ACCUMULATE) != 0) {
                v += c.get(at);
            }
            c.set(at, v);
            if ((epilogue & GELU) != 0) {
                c.set(at + extra, Pointwise.gelu(v));
            }
        }
    }
}
