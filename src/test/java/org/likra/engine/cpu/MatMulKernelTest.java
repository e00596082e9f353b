package org.likra.engine.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The 8-row micro-kernel ({@link MatMul#kernel8}, used with 512-bit vectors) against the 4-row one on the same two
 * packed strips: the same bits, written over C or added to it, for odd depths too. (Which of the two a product uses
 * must not change its bits; the engine tests check both against the reference engine: the 8-row kernel in their
 * 512-bit execution.) And the packing of four rows of A against its definition: it only moves values, so it must
 * give exactly the values of the scalar copy it replaces, for every depth, including the scalar tail.
 */
class MatMulKernelTest {

    @Test
    void eightRowsGiveTheBitsOfTwoFourRowBlocks() {
        Random random = new Random(11);
        int mr = MatMul.MR, nr = MatMul.NR;
        for (int kc : new int[] {1, 2, 7, 64, 193}) {
            for (boolean add : new boolean[] {false, true}) {
                float[] pa = gaussian(random, 2 * mr * kc + 5);
                float[] pb = gaussian(random, nr * kc + 3);
                int cStride = nr + 9, cAt = 4;
                float[] c = gaussian(random, cAt + 2 * mr * cStride);
                float[] expected = c.clone(), actual = c.clone();
                int aAt = 3, bAt = 2; // unaligned starts, as inside the packed buffers
                MatMul.kernel(pa, aAt, pb, bAt, kc, expected, cAt, cStride, add);
                MatMul.kernel(pa, aAt + mr * kc, pb, bAt, kc, expected, cAt + mr * cStride, cStride, add);
                MatMul.kernel8(pa, aAt, aAt + mr * kc, pb, bAt, kc, actual, cAt, cStride, add);
                assertArrayEquals(expected, actual, "depth " + kc + ", add " + add);
            }
        }
    }

    @Test
    void packingFourRowsOfAInterleavesThemAlongTheDepth() {
        Random random = new Random(12);
        int mr = MatMul.MR;
        for (int kc : new int[] {1, 7, 8, 9, 64, 193}) {
            int rowStride = kc + 13, src = 5, at = 3;
            float[] a = gaussian(random, src + mr * rowStride);
            float[] actual = new float[at + mr * kc + 2], expected = actual.clone();
            for (int p = 0; p < kc; p++) {
                for (int i = 0; i < mr; i++) {
                    expected[at + p * mr + i] = a[src + i * rowStride + p];
                }
            }
            MatMul.packRowsTransposed(a, src, rowStride, actual, at, kc);
            assertArrayEquals(expected, actual, "depth " + kc);
        }
    }

    private static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
