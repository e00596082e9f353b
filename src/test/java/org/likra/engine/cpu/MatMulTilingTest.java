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
        // dW of a 1024 -> 256 layer over 1024 rows: C is 256 x 1024, depth 1024. Even tiles, as many for each thread
        // (before even tiles: six tiles of 48 rows, the last 16, which packed B six times and left one thread 144
        // rows).
        long choice = MatMul.chooseTiles(256, 1024, 1024, true, 2);
        int tileRows = (int) (choice >>> 32) * MatMul.MR, tileCols = (int) choice * MatMul.NR;
        assertEquals(0, 256 % tileRows, tileRows + " rows");
        assertEquals(0, 1024 % tileCols, tileCols + " columns");
        assertEquals(0, (256 / tileRows) * (1024 / tileCols) % 2);
    }

    private static int tiles(long choice, int rows, int cols) {
        return ceilDiv(rows, (int) (choice >>> 32) * MatMul.MR) * ceilDiv(cols, (int) choice * MatMul.NR);
    }

    @Test
    void severalThreadsCutMidSizeProductsFinerAndLeaveLongTilesWhole() {
        // The forward product of a 256 -> 768 layer over 1024 rows (B = W^T, 768 KB, packed once): 4 tiles of 2
        // ms each on one thread; with two, a thread that runs slower for a while would hold up the product by up to
        // a tile, so they are cut into at least 4 tiles per thread.
        assertEquals(4, tiles(MatMul.chooseTiles(1024, 768, 256, false, 1), 1024, 768));
        assertTrue(tiles(MatMul.chooseTiles(1024, 768, 256, false, 2), 1024, 768) >= 8);
        // The LM head's dx (512 x 384, depth 50304): tiles of about 100 ms, whose threads' speeds even out; cutting
        // them would pack the 77-MB W once more per row tile.
        assertEquals(2, tiles(MatMul.chooseTiles(512, 384, 50304, true, 2), 512, 384));
    }
}
