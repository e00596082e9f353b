package org.likra.engine.cpu;

import org.likra.engine.IntTensor;
import org.likra.engine.Tensor;

import static org.likra.engine.cpu.CpuEngine.f;
import static org.likra.engine.cpu.CpuEngine.ints;

/**
 * Token and learned position embeddings, forward and backward. The token table's gradient is computed
 * column-parallel (each thread owns a range of columns and adds the rows in token order), so repeated tokens never
 * race and every sum has a fixed order; the position gradient is parallel over positions, adding batches in order.
 * A table held in 16 bits (a frozen base's) is converted row by row as it is read.
 *
 * <p>Not thread-safe: the arguments of the call in progress live in fields, so that no per-call objects are made.
 */
final class Embeddings {
    private final WorkPool pool;
    private final WorkPool.Body tokenForwardBody = this::tokenForwardRows;
    private final WorkPool.Body tokenBackwardBody = this::tokenBackwardColumns;
    private final WorkPool.Body positionForwardBody = this::positionForwardRows;
    private final WorkPool.Body positionBackwardBody = this::positionBackwardRows;

    // Arguments of the call in progress.
    private Tensor out, table;
    private IntTensor tokens;
    private int n, c, batch, time;

    Embeddings(WorkPool pool) {
        this.pool = pool;
    }

    /** out[i, :] = table[tokens[i], :]; out (n, c), table (V, c). */
    void tokenForward(Tensor out, IntTensor tokens, Tensor table, int n, int c) {
        set(out, tokens, table, n, c);
        pool.run(n, CpuEngine.rowGrain(c), tokenForwardBody);
        clear();
    }

    private void tokenForwardRows(int start, int end, int worker) {
        float[] o = f(out);
        int[] tok = ints(tokens);
        if (table.format().is16Bit()) { // a 16-bit table: each row converted as it is copied
            short[] w = Halves.bits(table);
            for (int i = start; i < end; i++) {
                Halves.decode(w, table.offset() + tok[tokens.offset() + i] * c, table.format(), o,
                        out.offset() + i * c, c);
            }
            return;
        }
        float[] w = f(table);
        for (int i = start; i < end; i++) {
            System.arraycopy(w, table.offset() + tok[tokens.offset() + i] * c, o, out.offset() + i * c, c);
        }
    }

    /** dTable[tokens[i], :] += dOut[i, :] (out holds dOut, table dTable here). */
    void tokenBackward(Tensor dTable, Tensor dOut, IntTensor tokens, int n, int c) {
        set(dOut, tokens, dTable, n, c);
        pool.run(c, CpuEngine.columnGrain(n), tokenBackwardBody);
        clear();
    }

    private void tokenBackwardColumns(int j0, int j1, int worker) {
        float[] dw = f(table), dout = f(out);
        int[] tok = ints(tokens);
        for (int i = 0; i < n; i++) {
            int row = tok[tokens.offset() + i];
            Simd.addInto(dout, out.offset() + i * c + j0, dw, table.offset() + row * c + j0, j1 - j0);
        }
    }

    /** out[b, t, :] += positions[t, :]; out (batch, time, c), positions (T max, c). */
    void positionForward(Tensor out, Tensor positions, int batch, int time, int c) {
        set(out, null, positions, batch * time, c);
        this.batch = batch;
        this.time = time;
        pool.run(batch * time, CpuEngine.rowGrain(c), positionForwardBody);
        clear();
    }

    private void positionForwardRows(int start, int end, int worker) {
        float[] o = f(out);
        if (table.format().is16Bit()) {
            short[] p = Halves.bits(table);
            for (int r = start; r < end; r++) {
                Halves.addInto(p, table.offset() + (r % time) * c, table.format(), o, out.offset() + r * c, c);
            }
            return;
        }
        float[] p = f(table);
        for (int r = start; r < end; r++) {
            Simd.addInto(p, table.offset() + (r % time) * c, o, out.offset() + r * c, c);
        }
    }

    /** dPositions[t, :] += sum_b dOut[b, t, :], batches added in order (out holds dOut, table dPositions). */
    void positionBackward(Tensor dPositions, Tensor dOut, int batch, int time, int c) {
        set(dOut, null, dPositions, batch * time, c);
        this.batch = batch;
        this.time = time;
        pool.run(time, CpuEngine.rowGrain(c * batch), positionBackwardBody);
        clear();
    }

    private void positionBackwardRows(int start, int end, int worker) {
        float[] dp = f(table), dout = f(out);
        for (int t = start; t < end; t++) {
            for (int b = 0; b < batch; b++) {
                Simd.addInto(dout, out.offset() + (b * time + t) * c, dp, table.offset() + t * c, c);
            }
        }
    }

    private void set(Tensor out, IntTensor tokens, Tensor table, int n, int c) {
        this.out = out;
        this.tokens = tokens;
        this.table = table;
        this.n = n;
        this.c = c;
    }

    private void clear() {
        out = table = null;
        tokens = null;
    }
}
