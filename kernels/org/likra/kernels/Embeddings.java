package org.likra.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Token and learned position embeddings. {@code @Parallel} loops; also plain Java. */
public final class Embeddings {
    private Embeddings() {
    }

    /** out[i, j] = table[tokens[i], j]; one thread per (row, column). */
    public static void tokenForward(FloatArray out, int oOff, IntArray tokens, int tOff, FloatArray table, int wOff,
                                    int n, int c) {
        for (@Parallel int i = 0; i < n; i++) {
            for (@Parallel int j = 0; j < c; j++) {
                int row = tokens.get(tOff + i);
                out.set(oOff + i * c + j, table.get(wOff + row * c + j));
            }
        }
    }

    /**
     * dTable[tokens[i], j] += dOut[i, j]. One thread per column walks all rows in order, so repeated tokens never
     * race and the sum is deterministic.
     */
    public static void tokenBackward(FloatArray dTable, int dwOff, FloatArray dOut, int doOff, IntArray tokens,
                                     int tOff, int n, int c) {
        for (@Parallel int j = 0; j < c; j++) {
            for (int i = 0; i < n; i++) {
                int at = dwOff + tokens.get(tOff + i) * c + j;
                dTable.set(at, dTable.get(at) + dOut.get(doOff + i * c + j));
            }
        }
    }

    /** out[b, t, j] += positions[t, j]. */
    public static void positionForward(FloatArray out, int oOff, FloatArray positions, int pOff, int rows, int time,
                                       int c) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int j = 0; j < c; j++) {
                int t = r % time;
                int at = oOff + r * c + j;
                out.set(at, out.get(at) + positions.get(pOff + t * c + j));
            }
        }
    }

    /** dPositions[t, j] += sum over b of dOut[b, t, j]; one thread per (t, j). */
    public static void positionBackward(FloatArray dPositions, int dpOff, FloatArray dOut, int doOff, int batch,
                                        int time, int c) {
        for (@Parallel int t = 0; t < time; t++) {
            for (@Parallel int j = 0; j < c; j++) {
                float sum = 0f;
                for (int b = 0; b < batch; b++) {
                    sum += dOut.get(doOff + (b * time + t) * c + j);
                }
                int at = dpOff + t * c + j;
                dPositions.set(at, dPositions.get(at) + sum);
            }
        }
    }
}
