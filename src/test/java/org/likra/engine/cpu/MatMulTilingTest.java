package org.likra.engine.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tile shapes {@link MatMul#chooseTiles} picks: within bounds, and as even as their counts allow. */
class MatMulTilingTest {

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    @Test
    void everyTileCountIsReachedWithItsSmallestTile() {
        Random random = new Random(6);
        for (int trial = 0; trial < 3000; trial++) {
            int rows = 1 + random.nextInt(trial % 3 == 0 ? 60000 : 2000);
            int cols = 1 + random.nextInt(trial % 5 == 0 ? 60000 : 2000);
            int depth = 1 + random.nextInt(2000);
            int threads = 1 + random.nextInt(4);
            boolean contiguous = random.nextBoolean();
            long choice = MatMul.chooseTiles(rows, cols, depth, contiguous, threads);
            int rs = (int) (choice >>> 32), cs = (int) choice;
            int rowStrips = ceilDiv(rows, MatMul.MR), colStrips = ceilDiv(cols, MatMul.NR);
            String shape = rows + "x" + cols + " depth " + depth + ", " + threads + " thread(s): " + rs + " x " + cs
                    + " strips";
            assertTrue(rs >= 1 && rs <= Math.min(rowStrips, MatMul.MAX_ROWS / MatMul.MR), shape);
            assertTrue(cs >= 1 && cs <= colStrips, shape);
            // A tile one strip smaller would give as many tiles, more even ones (and pack no more).
            assertTrue(rs == 1 || ceilDiv(rowStrips, rs - 1) > ceilDiv(rowStrips, rs), "rows uneven: " + shape);
            assertTrue(cs == 1 || ceilDiv(colStrips, cs - 1) > ceilDiv(colStrips, cs), "columns uneven: " + shape);
        }
    }

    @Test
    void twoThreadsSplitAWeightGradientEvenly() {
        // dW of a 1024 -> 256 layer over 1024 rows: C is 256 x 1024, depth 1024. Two tiles of 128 rows, one per
        // thread (before: six tiles of 48 rows, the last 16, which packed B six times and left one thread 144 rows).
        long choice = MatMul.chooseTiles(256, 1024, 1024, true, 2);
        assertEquals(128, (int) (choice >>> 32) * MatMul.MR);
        assertEquals(1024, Math.min(1024, (int) choice * MatMul.NR));
    }
}
