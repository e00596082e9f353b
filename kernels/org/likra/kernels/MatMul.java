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
 * {@link #matmul} is the {@code @Parallel} loop form (one thread per output, also plain Java); {@link #matmulTiled}
 * stages TILE x TILE blocks of A and B in local memory (device only, launched on a 2D grid of TILE x TILE groups
 * covering the output rounded up to whole tiles; the edges are masked, so any shape works).
 */
public final class MatMul {
    private MatMul() {
    }

    /** Tile edge of {@link #matmulTiled} (work-group TILE x TILE). */
    public static final int TILE = 16;

    /**
     * @param hasBias    1: add bias[biasOff + j]
     * @param accumulate 1: C += product; 0: C = product
     */
    public static void matmul(FloatArray a, int aOff, int aRow, int aCol, FloatArray b, int bOff, int bRow, int bCol,
                              FloatArray c, int cOff, int ldc, FloatArray bias, int biasOff, int hasBias,
                              int accumulate, int m, int n, int k) {
        for (@Parallel int i = 0; i < m; i++) {
            for (@Parallel int j = 0; j < n; j++) {
                float sum = 0f;
                int ai = aOff + i * aRow;
                int bj = bOff + j * bCol;
                for (int p = 0; p < k; p++) {
                    sum += a.get(ai + p * aCol) * b.get(bj + p * bRow);
                }
                if (hasBias == 1) {
                    sum += bias.get(biasOff + j);
                }
                int at = cOff + i * ldc + j;
                if (accumulate == 1) {
                    sum += c.get(at);
                }
                c.set(at, sum);
            }
        }
    }

    /** The tiled form of {@link #matmul}: globalIdx runs over columns j, globalIdy over rows i. */
    public static void matmulTiled(KernelContext ctx, FloatArray a, int aOff, int aRow, int aCol, FloatArray b,
                                   int bOff, int bRow, int bCol, FloatArray c, int cOff, int ldc, FloatArray bias,
                                   int biasOff, int hasBias, int accumulate, int m, int n, int k) {
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
                av = a.get(aOff + i * aRow + pa * aCol);
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
        if (i < m && j < n) {
            if (hasBias == 1) {
                sum += bias.get(biasOff + j);
            }
            int at = cOff + i * ldc + j;
            if (accumulate == 1) {
                sum += c.get(at);
            }
            c.set(at, sum);
        }
    }
}
