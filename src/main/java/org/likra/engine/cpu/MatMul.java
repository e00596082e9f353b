package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.likra.engine.Gradient;
import org.likra.engine.Precision;

/**
 * The three matrix products of a linear layer y = x W^T + b, on row-major float arrays, as one packed, blocked
 * product C (+)= A B in which A and B are read through strides (no transposed copies of the operands):
 *
 * <pre>
 *   forward  out[i, o]  = sum_k x[i, k] W[o, k] + b[o]    C = out (n, out),  A = x (n, in),        B = W^T (in, out)
 *   dx       dx[i, k]  += sum_o dOut[i, o] W[o, k]        C = dx (n, in),    A = dOut (n, out),    B = W (out, in)
 *   dW       dW[o, k]  += sum_i dOut[i, o] x[i, k]        C = dW (out, in),  A = dOut^T (out, n),  B = x (n, in)
 *   dBias    db[o]     += sum_i dOut[i, o]
 * </pre>
 *
 * <p><b>Blocking.</b> C is cut into tiles that the pool's threads claim; each output element belongs to one tile,
 * so one thread computes it. Inside a tile the contraction runs in equal depth blocks of at most {@link #KC}. Per
 * depth block, the tile's A block is packed once into MR-row strips ({@code [p][r]}, contiguous; reading x or
 * dOut in place instead, as four far-apart row streams, measured 20-45% slower kernels), and then, column panel by
 * column panel ({@link #NC} columns), the B panel is packed into NR-column strips ({@code [p][c]}, zero-padded at
 * the edge; a transposing copy for the forward product's W^T). The micro-kernel computes an MR x NR block of C
 * (4 rows x 2 vectors: 8 vector accumulators) as a sum of outer products, one per depth step: two vector loads of
 * B, four broadcasts of A, eight FMAs; no lane reductions. The B strip (KC x NR, 24 KB) stays in L1 while the kernel
 * walks down the tile's row strips. A weight held in BF16 or F16 (a frozen base's, the forward and dx products' B) is
 * converted to float as it is packed ({@link #packHalfB}): the packing is the only code that reads it, so the kernels
 * and the sums are those of its float32 copy.
 *
 * <p><b>Tile shape.</b> Packing is the overhead: a tile packs each of its B panels once per depth block, so B is
 * packed once per row tile, and A once per column tile. The tile shape is chosen per product shape by a small cost
 * model ({@link #chooseTiles}): the estimated cycles of the busiest thread, ceil(tiles / threads) x (multiply-adds
 * of a tile at two vector FMAs per cycle + its packing) + the delay of a thread that starts late or runs slower for a
 * while (up to half a tile, at most {@link #SLOW_SPELL}), over tiles of up to {@link #MAX_ROWS} rows. So the LM
 * head's forward product (512 rows, 50304 columns, a transposing pack of W) packs W twice (two row tiles), and the
 * dW product of the LM head (50304 rows, 384 columns) packs its A block once for all 384 columns.
 * Tile boundaries only decide which thread computes an element, never the order of its sums. A B of up to
 * {@link #SHARED_B_MAX} floats in a product of several row tiles is instead packed whole, once, by all threads in a
 * pool run of its own before the tiles, which then read their strips from it (so that two threads do not each pack
 * the same panels); the cost model counts such a B's packing once.
 *
 * <p><b>Order of the sums.</b> C[r, c] = ((block_0 + block_1) + ...) (+ bias), where block_j is the register sum over
 * depth block j in increasing depth; the blocks are fixed by the shapes, so every element gets the same bits with
 * any thread count.
 *
 * <p>Not thread-safe: one call at a time (its products' arguments live in two {@link Product} objects made once, so
 * that no per-call objects are made).
 */
final class MatMul {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;
    /**
     * The packing of A uses 4- and 8-lane vectors whatever the kernel's width, where the machine has 256-bit
     * vectors (otherwise, or with a narrower {@code likra.cpu.vectorBits}, it packs element by element).
     */
    static final boolean VECTOR_PACK = F.vectorBitSize() >= 256;
    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    /** Lane selections over two 8-lane vectors (x, y) = lanes 0-7 of x then 0-7 of y as 8-15. */
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromValues(F8, 0, 8, 1, 9, 2, 10, 3, 11);
    private static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromValues(F8, 4, 12, 5, 13, 6, 14, 7, 15);
    private static final VectorShuffle<Float> PAIRS_LOW = VectorShuffle.fromValues(F8, 0, 1, 8, 9, 2, 3, 10, 11);
    private static final VectorShuffle<Float> PAIRS_HIGH = VectorShuffle.fromValues(F8, 4, 5, 12, 13, 6, 7, 14, 15);

    /**
     * Micro-kernel: MR rows by NR columns of C (8 vector accumulators: with 12, as in 6 x 2 or 4 x 3 kernels, C2
     * spills accumulators on AVX2's 16 registers and this machine measured 38 GFLOP/s per core against 66-77 for
     * 4 x 2). With 512-bit vectors (AVX-512: 32 registers) full pairs of strips go through the 8-row kernel
     * ({@link #kernel8}, 16 accumulators), see {@link #EIGHT_ROWS}. A is packed in MR-row strips either way.
     */
    static final int MR = 4;
    /**
     * Whether pairs of full MR-row strips use {@link #kernel8}: by default where vectors are 512 bits wide (AVX-512,
     * whose 32 vector registers hold its 16 accumulators; on a Sapphire-Rapids-class Xeon it measured a median 1.08x
     * the 4-row kernel on the presets' products, 2026-11-27). The system property
     * {@code likra.cpu.eightRows} (true or false) forces it, for measurements. Both kernels add the same products in
     * the same order, so the bits do not depend on it.
     */
    static final boolean EIGHT_ROWS = eightRows();
    static final int NR = 2 * L;
    /** Column panel: NC columns (8 strips) of B packed at a time. */
    static final int NC = 8 * NR;
    /**
     * Longest contraction block: the depth is cut into equal blocks of at most KC, so that a B strip (KC x NR floats)
     * takes at most 24 KB of L1: 384 with 256-bit vectors or narrower (the whole depth of a 384-wide model's
     * products), 192 with 512-bit ones (a 48-KB strip would fill an AVX-512 core's L1; on a 16-core Xeon, 192 measured
     * 0.85x OpenBLAS at 2 threads against 0.68x for 384). The system property {@code likra.cpu.depthBlock} sets
     * another (for measurements; it changes the order of the sums, so the bits of every product).
     */
    static final int KC = depthBlock();
    /** Most rows in a tile: its packed A block (MAX_ROWS x KC floats, 384 KB at most by default) stays in L2. */
    static final int MAX_ROWS = 64 * MR;

    private static boolean eightRows() {
        String value = System.getProperty("likra.cpu.eightRows");
        if (value == null || value.isBlank()) {
            return F.vectorBitSize() >= 512;
        }
        return switch (value.trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("likra.cpu.eightRows must be true or false, got '" + value
                    + "'");
        };
    }

    private static int depthBlock() {
        String value = System.getProperty("likra.cpu.depthBlock");
        if (value == null || value.isBlank()) {
            return Math.min(384, 6144 / NR);
        }
        int kc;
        try {
            kc = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            kc = 0;
        }
        if (kc < 1) {
            throw new IllegalArgumentException("likra.cpu.depthBlock must be a positive whole number of depth steps, "
                    + "got '" + value + "'");
        }
        return kc;
    }

    // Cost model of the tile choice, in cycles per element (measured orders of magnitude on Zen 3, AVX2).
    /** Packing an element of A into interleaved MR-row strips: vector transposes or copies, or scalar gathers. */
    private static final double PACK_A = VECTOR_PACK ? 1.0 : 2.0;
    /** Packing an element of B whose rows are contiguous: vector copies. */
    private static final double PACK_COPY = 0.25;
    /** Packing an element of B = W^T: a transposing scalar copy. */
    private static final double PACK_TRANSPOSE = 3.0;
    /** Reading an element of a B packed once for all tiles (its strips, from L2 or L3), per tile. */
    private static final double READ_SHARED = 0.25;
    /** How late a pool participant may start, in cycles (about 80 us: a parked worker waking, a busy vCPU). */
    private static final double LATE_START = 200_000;
    /**
     * How long, in cycles (about 0.5 ms), one thread may run markedly slower than the other (a neighbour on its core,
     * its vCPU descheduled): then the product waits at its end for that thread's last tile, half a tile on average.
     * Measured on the 2-vCPU machine: one 2-thread product of 1024x256x768 ran its 4 tiles with one thread busy 2.7 ms
     * and the other 4.1 ms for the same work; finer tiles (where B is packed once, they cost no packing) gave the
     * forward products 1.04-1.28x. Long tiles are not cut for it: over tens of milliseconds the two threads' speeds
     * even out (the LM head's dx on 16 tiles instead of 2: 0.77x).
     */
    private static final double SLOW_SPELL = 1_500_000;

    private final WorkPool pool;
    private final WorkPool.Body taskBody = this::tasks, packBody = this::packTasks;
    /** Per-worker packing buffers and the scratch block of edge kernels. */
    private final float[][] packedA, packedB, edge;
    /**
     * B packed once for every tile of a product that has several row tiles (otherwise each row tile packs it again,
     * and with two threads each thread packs the same panels): all depth blocks and strips, up to
     * {@link #SHARED_B_MAX} floats per product; grown on first need.
     */
    private float[] sharedB = new float[0];
    /**
     * Largest B (depth x columns rounded up to strips) packed once per product: 512K floats, 2 MB (a 4-MB one, read
     * back from L3 by every tile, measured 0.97x the per-tile panels).
     */
    static final int SHARED_B_MAX = 1 << 19;
    /**
     * Least packing (cycles, by the cost model below) that a shared B must save to be worth a pool run of its own
     * (about 80 us, as {@link #LATE_START}: a worker waking, a thread that starts late).
     */
    private static final double SHARED_PACK_MIN = 200_000;
    /** Tile choices of recent shapes: key (see {@link #shapeKey}) and the choice (row strips << 32 | column strips). */
    private final long[] tileKeys = new long[64], tileChoices = new long[64];

    /**
     * The products of the call in progress ({@link #backward} runs two at once: dx and dW share the pool's threads,
     * so each can be cut into fewer, larger tiles that pack their operands fewer times), in the order of their tasks.
     */
    private final Product first = new Product(), second = new Product();
    private Product[] running = NONE;
    private final Product[] justFirst = {first}, both = {first, second}, swapped = {second, first};
    private static final Product[] NONE = new Product[0];

    // The bias gradient of the call in progress, if any: dBias (outDim) += column sums of dOut (n, outDim), in column
    // chunks of biasChunk, as the last tasks.
    private float[] db, dOut;
    private int dbOff, dOutOff, biasRows, biasCols, biasChunk, biasTasks;

    /**
     * One product C (+)= A B: C[r, c] = c[cOff + r cRow + c] for r &lt; rows, c &lt; cols, A[r, p] = a[aOff + r aRow +
     * p aDepth], B[p, c] = b[bOff + p bDepth + c bCol], p &lt; depth; tiles of tileRows x tileCols, rowTiles of them
     * down the rows, tileCount in all; bias (forward only) added to every row.
     */
    private static final class Product {
        float[] a, b, c, bias;
        /** B's 16-bit storage instead of b (a linear weight held in BF16 or F16), converted as it is packed. */
        short[] bHalf;
        boolean bHalfIsBf16;
        /** Whether B is packed once for all tiles, at sharedAt in {@link #sharedB}; its first packing task. */
        boolean sharesB;
        int sharedAt, packTaskStart;
        int aOff, aRow, aDepth, bOff, bDepth, bCol, cOff, cRow, biasOff;
        int rows, cols, depth, depthBlock, tileRows, tileCols, rowTiles, tileCount;
        boolean accumulate;

        void set(float[] c, int cOff, int cRow, float[] a, int aOff, int aRow, int aDepth, float[] b, int bOff,
                 int bDepth, int bCol, int rows, int cols, int depth, boolean accumulate) {
            this.c = c;
            this.cOff = cOff;
            this.cRow = cRow;
            this.a = a;
            this.aOff = aOff;
            this.aRow = aRow;
            this.aDepth = aDepth;
            this.b = b;
            this.bOff = bOff;
            this.bDepth = bDepth;
            this.bCol = bCol;
            this.rows = rows;
            this.cols = cols;
            this.depth = depth;
            this.accumulate = accumulate;
            this.bias = null;
            this.bHalf = null;
            this.depthBlock = ceilDiv(depth, ceilDiv(depth, KC));
        }

        /** Sets the tiles from a {@link #chooseTiles} choice, and whether B is packed once for them. */
        void tiling(long choice, boolean parallel) {
            tileRows = (int) (choice >>> 32) * MR;
            tileCols = (int) choice * NR;
            rowTiles = ceilDiv(rows, tileRows);
            tileCount = rowTiles * ceilDiv(cols, tileCols);
            sharesB = sharesB(rowTiles, depth, cols, bCol == 1, parallel);
        }

        /** Floats of B packed whole: depth x columns rounded up to strips ([block][strip][p][NR]). */
        long sharedSize() {
            return MatMul.sharedSize(depth, cols);
        }

        /**
         * Where strip cc (a multiple of NR) of the depth block starting at p0 (kc deep) is in {@link #sharedB}: the
         * blocks before it hold p0 x padded columns, the strips before it cc x kc.
         */
        int sharedStripAt(int p0, int cc, int kc) {
            return sharedAt + p0 * ceilDiv(cols, NR) * NR + cc * kc;
        }

        /** Tasks of packing B whole: one per depth block and column panel. */
        int packTasks() {
            return ceilDiv(depth, depthBlock) * ceilDiv(cols, NC);
        }

        /** Multiply-adds of one full tile: what orders the products of a call (larger tiles first). */
        long tileWork() {
            return (long) Math.min(tileRows, rows) * Math.min(tileCols, cols) * depth;
        }

        /** Reads B from 16-bit storage in {@code format} (BF16 or F16), with the strides set, instead of b. */
        void halfB(short[] bits, Precision format) {
            this.b = null;
            this.bHalf = bits;
            this.bHalfIsBf16 = format == Precision.BF16;
        }

        void clear() {
            a = b = c = bias = null;
            bHalf = null;
        }
    }

    MatMul(WorkPool pool) {
        this.pool = pool;
        int workers = pool.threads();
        packedA = new float[workers][MAX_ROWS * KC];
        packedB = new float[workers][KC * NC];
        edge = new float[workers][MR * NR];
        java.util.Arrays.fill(tileKeys, -1);
    }

    // ------------------------------------------------------------------------------------------------ products

    /**
     * out (n, outDim) = x (n, inDim) W^T + bias; W (outDim, inDim), float[] storage, or short[] in a 16-bit
     * {@code wFormat} (each value converted exactly as W^T is packed: the same sums as for its float32 copy); bias
     * (outDim) or null.
     */
    void forward(float[] out, int outOff, float[] x, int xOff, Object w, Precision wFormat, int wOff, float[] bias,
                 int biasOff, int n, int inDim, int outDim) {
        first.set(out, outOff, outDim, x, xOff, inDim, 1, floats(w, wFormat), wOff, 1, inDim, n, outDim, inDim,
                false);
        half(first, w, wFormat);
        first.bias = bias;
        first.biasOff = biasOff;
        first.tiling(tileChoice(first, pool.threads()), pool.threads() > 1);
        run(justFirst);
    }

    /**
     * The backward products of a linear layer in one parallel run: dx (n, inDim) += dOut W (or = dOut W, as
     * dxGradient says), dW (outDim, inDim) += dOut^T x and dBias += column sums of dOut (or = for both, as
     * weightGradients says); a null gradient is skipped. With both dx and dW, each product is tiled for half the pool
     * (the two run side by side) and the tasks go larger tiles first, so that the last ones to be claimed are small;
     * the bias columns come last. Which thread computes an element never changes its bits. W is float[], or short[]
     * in a 16-bit {@code wFormat} (converted as it is packed), as in {@link #forward}.
     */
    void backward(float[] dx, int dxOff, Gradient dxGradient, float[] dw, int dwOff, Gradient weightGradients,
                  float[] db, int dbOff, float[] dOut, int dOutOff, float[] x, int xOff, Object w, Precision wFormat,
                  int wOff, int n, int inDim, int outDim) {
        int products = 0;
        Product input = null, weight = null;
        if (dx != null) {
            input = first;
            input.set(dx, dxOff, inDim, dOut, dOutOff, outDim, 1, floats(w, wFormat), wOff, inDim, 1, n, inDim,
                    outDim, dxGradient == Gradient.ACCUMULATE);
            half(input, w, wFormat);
            products++;
        }
        if (dw != null) {
            weight = products == 0 ? first : second;
            weight.set(dw, dwOff, inDim, dOut, dOutOff, 1, outDim, x, xOff, inDim, 1, outDim, inDim, n,
                    weightGradients == Gradient.ACCUMULATE);
            products++;
        }
        int share = Math.max(1, pool.threads() / Math.max(1, products));
        if (input != null) {
            input.tiling(tileChoice(input, share), pool.threads() > 1);
        }
        if (weight != null) {
            weight.tiling(tileChoice(weight, share), pool.threads() > 1);
        }
        Product[] order = products == 0 ? NONE
                : products == 1 ? justFirst
                : second.tileWork() > first.tileWork() ? swapped : both;
        if (db != null) {
            // overwritten: zeroed, then summed into as usual (the same bits as adding to zeros)
            if (weightGradients == Gradient.OVERWRITE) {
                java.util.Arrays.fill(db, dbOff, dbOff + outDim, 0f);
            }
            this.db = db;
            this.dbOff = dbOff;
            this.dOut = dOut;
            this.dOutOff = dOutOff;
            this.biasRows = n;
            this.biasCols = outDim;
            this.biasChunk = CpuEngine.columnGrain(n);
            this.biasTasks = ceilDiv(outDim, biasChunk);
        }
        run(order);
    }

    /** A weight's float[] storage, or null where it is held in 16 bits. */
    private static float[] floats(Object w, Precision format) {
        return format.is16Bit() ? null : (float[]) w;
    }

    /** Points the product's B at a weight held in 16 bits, if it is. */
    private static void half(Product p, Object w, Precision format) {
        if (format.is16Bit()) {
            p.halfB((short[]) w, format);
        }
    }

    /**
     * Runs the tiles of the given products, then the bias tasks (if a bias gradient was set), in one pool run; before
     * it, in a pool run of their own, the packing of the B operands that are packed once for all tiles.
     */
    private void run(Product[] products) {
        running = products;
        int packs = 0, shared = 0;
        for (Product p : products) {
            if (p.sharesB) {
                p.sharedAt = shared;
                p.packTaskStart = packs;
                shared += (int) p.sharedSize();
                packs += p.packTasks();
            }
        }
        if (packs > 0) {
            if (sharedB.length < shared) {
                sharedB = new float[shared];
            }
            pool.runEach(packs, packBody);
        }
        int count = biasTasks;
        for (Product p : products) {
            count += p.tileCount;
        }
        pool.runEach(count, taskBody);
        for (Product p : products) {
            p.clear();
        }
        running = NONE;
        db = dOut = null;
        biasTasks = 0;
    }

    /** Packs B of the products that share it: task = (depth block, column panel), strips at [block][strip][p][NR]. */
    private void packTasks(int start, int end, int worker) {
        for (int task = start; task < end; task++) {
            for (Product p : running) {
                int t = task - p.packTaskStart;
                if (p.sharesB && t >= 0 && t < p.packTasks()) {
                    int panels = ceilDiv(p.cols, NC);
                    int p0 = (t / panels) * p.depthBlock, kc = Math.min(p.depthBlock, p.depth - p0);
                    int panel = (t % panels) * NC, panelEnd = Math.min(p.cols, panel + NC);
                    int at = p.sharedStripAt(p0, panel, kc);
                    for (int cc = panel; cc < panelEnd; cc += NR, at += NR * kc) {
                        packB(p, sharedB, at, cc, Math.min(NR, panelEnd - cc), p0, kc);
                    }
                }
            }
        }
    }

    private void tasks(int start, int end, int worker) {
        Product[] products = running;
        for (int task = start; task < end; task++) {
            int t = task;
            Product p = null;
            for (Product candidate : products) {
                if (t < candidate.tileCount) {
                    p = candidate;
                    break;
                }
                t -= candidate.tileCount;
            }
            if (p != null) {
                int r0 = (t % p.rowTiles) * p.tileRows;
                int c0 = (t / p.rowTiles) * p.tileCols;
                tile(p, r0, Math.min(p.rows, r0 + p.tileRows), c0, Math.min(p.cols, c0 + p.tileCols), worker);
            } else {
                int j0 = t * biasChunk;
                biasColumns(j0, Math.min(biasCols, j0 + biasChunk));
            }
        }
    }

    /** The tile shape of a product for {@code threads} threads, from the recent-shape cache or {@link #chooseTiles}. */
    private long tileChoice(Product p, int threads) {
        long key = shapeKey(p, threads);
        int slot = (int) ((key * 0x9E3779B97F4A7C15L) >>> 58);
        if (tileKeys[slot] != key) {
            tileKeys[slot] = key;
            tileChoices[slot] = chooseTiles(p, threads);
        }
        return tileChoices[slot];
    }

    /** What the tile choice depends on, as one number: rows, cols, depth (20 bits each), B's packing kind, threads. */
    private static long shapeKey(Product p, int threads) {
        return ((long) p.rows << 42) ^ ((long) p.cols << 22) ^ ((long) p.depth << 2) ^ (p.bCol == 1 ? 1 : 0)
                ^ ((long) threads << 56);
    }

    /**
     * Row strips (MR rows) and column strips (NR columns) per tile that minimise the estimated cycles of the busiest
     * thread: ceil(tiles / threads) x (tile multiply-adds / (2 L) + packing of the tile's A block and of its B block,
     * or only a read of its strips where B is packed once ({@link #sharesB}), that packing then counted once, split
     * over the threads), plus, with several threads, the delay of a late starter (at most one tile) and of a slow
     * spell (half a tile, at most {@link #SLOW_SPELL}), returned as {@code rowStrips << 32 | colStrips}.
     * For each count of tiles along a dimension only the smallest tile that gives that count is considered: its tiles
     * are the most even (the last one is not a remainder) and it packs no more than a larger one.
     */
    private static long chooseTiles(Product p, int threads) {
        return chooseTiles(p.rows, p.cols, p.depth, p.bCol == 1, threads);
    }

    /** Floats of a B (depth x cols) packed whole: the columns rounded up to strips. */
    private static long sharedSize(int depth, int cols) {
        return (long) depth * ceilDiv(cols, NR) * NR;
    }

    /**
     * Whether a product's B is packed once for all its tiles: when there are several row tiles (each would pack it
     * again), it fits {@link #SHARED_B_MAX}, and (with several threads, where packing it is a pool run of its own)
     * the packing saved is worth more than {@link #SHARED_PACK_MIN} cycles.
     */
    private static boolean sharesB(int rowTiles, int depth, int cols, boolean bRowsContiguous, boolean parallel) {
        long size = sharedSize(depth, cols);
        double saved = (rowTiles - 1) * (double) size * (bRowsContiguous ? PACK_COPY : PACK_TRANSPOSE);
        return rowTiles > 1 && size <= SHARED_B_MAX && (!parallel || saved >= SHARED_PACK_MIN);
    }

    /** {@link #chooseTiles(Product, int)} for these sizes; {@code bRowsContiguous}: B is packed without a transpose. */
    static long chooseTiles(int rows, int cols, int depth, boolean bRowsContiguous, int threads) {
        int rowStrips = ceilDiv(rows, MR), colStrips = ceilDiv(cols, NR);
        double fma = 1.0 / (2 * L);
        double packA = PACK_A;
        double packB = bRowsContiguous ? PACK_COPY : PACK_TRANSPOSE;
        double best = Double.MAX_VALUE;
        long choice = 0;
        int maxRowStrips = Math.min(rowStrips, MAX_ROWS / MR);
        int maxColStrips = Math.min(colStrips, 64);
        for (int rs = 1; rs <= maxRowStrips; rs++) {
            if (rs > 1 && ceilDiv(rowStrips, rs) == ceilDiv(rowStrips, rs - 1)) {
                continue; // a smaller tile gives as many row tiles, more even ones
            }
            int rowTileCount = ceilDiv(rowStrips, rs);
            double tileRowsCount = (double) rs * MR;
            // A B packed once: its packing is shared by the threads, and each tile reads its strips.
            boolean shared = sharesB(rowTileCount, depth, cols, bRowsContiguous, threads > 1);
            double packedOnce = shared ? sharedSize(depth, cols) * packB / threads : 0;
            double bPerElement = shared ? READ_SHARED : packB;
            for (int cs = 1; cs <= maxColStrips; cs++) {
                if (cs > 1 && ceilDiv(colStrips, cs) == ceilDiv(colStrips, cs - 1)) {
                    continue;
                }
                int tiles = rowTileCount * ceilDiv(colStrips, cs);
                double tileColsCount = (double) cs * NR;
                double perTile = depth * (tileRowsCount * tileColsCount * fma + tileRowsCount * packA
                        + tileColsCount * bPerElement);
                // With several threads, a participant that starts late (a worker waking up, a descheduled vCPU)
                // delays the product by up to one tile, and one that runs slower for a while by half a tile: small
                // tiles for small and mid-size products, no effect on large ones.
                double straggler = Math.min(perTile, LATE_START) + Math.min(0.5 * perTile, SLOW_SPELL);
                double cost = ceilDiv(tiles, threads) * perTile + packedOnce + (threads > 1 ? straggler : 0);
                if (cost < best) {
                    best = cost;
                    choice = ((long) rs << 32) | cs;
                }
            }
        }
        return choice;
    }

    /**
     * C[r0..r1, c0..c1] (+)= A[r0..r1, :] B[:, c0..c1], depth block by depth block, column panel by column panel;
     * then the bias, if any. The tile's A block is packed once per depth block and serves all its column panels; its
     * B panels are packed here, or read from the product's B packed whole ({@link Product#sharesB}).
     */
    private void tile(Product m, int r0, int r1, int c0, int c1, int worker) {
        boolean sharesB = m.sharesB;
        float[] pa = packedA[worker], pb = sharesB ? sharedB : packedB[worker];
        float[] c = m.c;
        int cOff = m.cOff, cRow = m.cRow, depth = m.depth, depthBlock = m.depthBlock;
        for (int p0 = 0; p0 < depth; p0 += depthBlock) {
            int kc = Math.min(depthBlock, depth - p0);
            boolean add = m.accumulate || p0 > 0;
            for (int r = r0, at = 0; r < r1; r += MR, at += MR * kc) {
                packA(m, pa, at, r, Math.min(MR, r1 - r), p0, kc);
            }
            for (int panel = c0; panel < c1; panel += NC) {
                int panelEnd = Math.min(c1, panel + NC);
                int panelAt = 0; // where the panel's first strip is in pb
                if (sharesB) { // tiles and panels start on strip boundaries
                    panelAt = m.sharedStripAt(p0, panel, kc);
                } else {
                    for (int cc = panel, at = 0; cc < panelEnd; cc += NR, at += NR * kc) {
                        packB(m, pb, at, cc, Math.min(NR, panelEnd - cc), p0, kc);
                    }
                }
                for (int cc = panel, bAt = panelAt; cc < panelEnd; cc += NR, bAt += NR * kc) {
                    int nc = Math.min(NR, panelEnd - cc);
                    int r = r0, aAt = 0;
                    if (EIGHT_ROWS && nc == NR) { // two consecutive packed strips, the second MR * kc further on
                        for (; r + 2 * MR <= r1; r += 2 * MR, aAt += 2 * MR * kc) {
                            kernel8(pa, aAt, aAt + MR * kc, pb, bAt, kc, c, cOff + r * cRow + cc, cRow, add);
                        }
                    }
                    for (; r < r1; r += MR, aAt += MR * kc) {
                        int mr = Math.min(MR, r1 - r);
                        int cAt = cOff + r * cRow + cc;
                        boolean full = mr == MR && nc == NR;
                        float[] out = full ? c : edge[worker];
                        int outAt = full ? cAt : 0, outRow = full ? cRow : NR;
                        boolean outAdd = full && add;
                        kernel(pa, aAt, pb, bAt, kc, out, outAt, outRow, outAdd);
                        if (!full) {
                            mergeEdge(c, out, cAt, cRow, mr, nc, add);
                        }
                    }
                }
            }
        }
        if (m.bias != null) {
            for (int r = r0; r < r1; r++) {
                Simd.addInto(m.bias, m.biasOff + c0, c, cOff + r * cRow + c0, c1 - c0);
            }
        }
    }

    /** pa[at + p MR + i] = A[r + i, p0 + p] for i &lt; mr, p &lt; kc; rows mr..MR-1 are zero. */
    private static void packA(Product m, float[] pa, int at, int r, int mr, int p0, int kc) {
        float[] a = m.a;
        int aRow = m.aRow, aDepth = m.aDepth;
        int src = m.aOff + r * aRow + p0 * aDepth;
        if (mr == MR && VECTOR_PACK) {
            if (aDepth == 1) {
                packRowsTransposed(a, src, aRow, pa, at, kc);
                return;
            }
            if (aRow == 1) { // the MR values of a depth step are contiguous (A = dOut^T): one 4-lane copy each
                for (int p = 0; p < kc; p++, src += aDepth) {
                    FloatVector.fromArray(F4, a, src).intoArray(pa, at + p * MR);
                }
                return;
            }
        }
        for (int p = 0; p < kc; p++, src += aDepth) {
            int dst = at + p * MR;
            for (int i = 0; i < mr; i++) {
                pa[dst + i] = a[src + i * aRow];
            }
            for (int i = mr; i < MR; i++) {
                pa[dst + i] = 0f;
            }
        }
    }

    /**
     * pa[at + p MR + i] = a[src + i rowStride + p] for i &lt; MR, p &lt; kc: four rows of A read along the depth and
     * interleaved, 8 depth steps at a time as a 4 x 8 transpose in registers (two rounds of two-vector lane
     * selections); 4x faster than the scalar gather on this machine (0.28 against 1.1 ns per element).
     */
    static void packRowsTransposed(float[] a, int src, int rowStride, float[] pa, int at, int kc) {
        int p = 0;
        for (; p + 8 <= kc; p += 8) {
            int s = src + p;
            FloatVector r0 = FloatVector.fromArray(F8, a, s), r1 = FloatVector.fromArray(F8, a, s + rowStride);
            FloatVector r2 = FloatVector.fromArray(F8, a, s + 2 * rowStride);
            FloatVector r3 = FloatVector.fromArray(F8, a, s + 3 * rowStride);
            // pairs: [r0[0], r1[0], r0[1], r1[1], ...], then quads: [r0[0], r1[0], r2[0], r3[0], r0[1], ...]
            FloatVector low01 = r0.rearrange(ZIP_LOW, r1), high01 = r0.rearrange(ZIP_HIGH, r1);
            FloatVector low23 = r2.rearrange(ZIP_LOW, r3), high23 = r2.rearrange(ZIP_HIGH, r3);
            int d = at + p * MR;
            low01.rearrange(PAIRS_LOW, low23).intoArray(pa, d);
            low01.rearrange(PAIRS_HIGH, low23).intoArray(pa, d + 8);
            high01.rearrange(PAIRS_LOW, high23).intoArray(pa, d + 16);
            high01.rearrange(PAIRS_HIGH, high23).intoArray(pa, d + 24);
        }
        for (; p < kc; p++) {
            for (int i = 0; i < MR; i++) {
                pa[at + p * MR + i] = a[src + i * rowStride + p];
            }
        }
    }

    /** pb[at + p NR + j] = B[p0 + p, cc + j] for j &lt; nc, p &lt; kc; columns nc..NR-1 are zero. */
    private static void packB(Product m, float[] pb, int at, int cc, int nc, int p0, int kc) {
        if (m.bHalf != null) {
            packHalfB(m, pb, at, cc, nc, p0, kc);
            return;
        }
        float[] b = m.b;
        int bDepth = m.bDepth, bCol = m.bCol;
        int src = m.bOff + p0 * bDepth + cc * bCol;
        if (bCol == 1 && nc == NR) { // rows of B are contiguous: two vector copies per depth step
            for (int p = 0; p < kc; p++, src += bDepth) {
                int dst = at + p * NR;
                FloatVector.fromArray(F, b, src).intoArray(pb, dst);
                FloatVector.fromArray(F, b, src + L).intoArray(pb, dst + L);
            }
            return;
        }
        if (nc < NR) {
            java.util.Arrays.fill(pb, at, at + kc * NR, 0f);
        }
        // Columns of B are contiguous (B = W^T): read each column along the depth, write with stride NR.
        for (int j = 0; j < nc; j++) {
            int s = src + j * bCol;
            for (int p = 0, dst = at + j; p < kc; p++, s += bDepth, dst += NR) {
                pb[dst] = b[s];
            }
        }
    }

    /**
     * {@link #packB} of a B held in 16 bits: the same floats in the same places, each converted exactly (rows of B,
     * as in the dx product's W, a row of the strip at a time, BF16 by vectors; W^T of the forward product one value
     * at a time).
     */
    private static void packHalfB(Product m, float[] pb, int at, int cc, int nc, int p0, int kc) {
        short[] b = m.bHalf;
        boolean bf16 = m.bHalfIsBf16;
        Precision format = bf16 ? Precision.BF16 : Precision.F16;
        int bDepth = m.bDepth, bCol = m.bCol;
        int src = m.bOff + p0 * bDepth + cc * bCol;
        if (nc < NR) {
            java.util.Arrays.fill(pb, at, at + kc * NR, 0f);
        }
        if (bCol == 1) { // rows of B contiguous: along each row
            for (int p = 0; p < kc; p++, src += bDepth) {
                Halves.decode(b, src, format, pb, at + p * NR, nc);
            }
            return;
        }
        for (int j = 0; j < nc; j++) { // columns of B contiguous (B = W^T): along each column
            int s = src + j * bCol;
            for (int p = 0, dst = at + j; p < kc; p++, s += bDepth, dst += NR) {
                pb[dst] = Halves.decode(b[s], bf16);
            }
        }
    }

    /**
     * The MR x NR block at cm[cAt + i cStride + j] = (add ? itself + : ) sum_{p &lt; kc} pa[aAt + p MR + i]
     * pb[bAt + p NR + j]: 8 vector accumulators, one outer product (2 vectors of B, 4 broadcasts of A) per p.
     */
    static void kernel(float[] pa, int aAt, float[] pb, int bAt, int kc, float[] cm, int cAt, int cStride,
                               boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        // Two induction variables instead of p: two integer instructions fewer per step as C2 compiles it.
        for (int bp = bAt, ap = aAt, end = aAt + kc * MR; ap < end; bp += NR, ap += MR) {
            FloatVector b0 = FloatVector.fromArray(F, pb, bp);
            FloatVector b1 = FloatVector.fromArray(F, pb, bp + L);
            FloatVector s = FloatVector.broadcast(F, pa[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, pa[ap + 1]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, pa[ap + 2]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, pa[ap + 3]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
        }
        // The stores are written out here, not in a helper taking vectors: a helper that C2 leaves out of line makes
        // it box the accumulators in every iteration of the loop (seen for seconds after start-up: 5 GFLOP/s).
        int c1 = cAt + cStride, c2 = cAt + 2 * cStride, c3 = cAt + 3 * cStride;
        if (add) {
            c00 = FloatVector.fromArray(F, cm, cAt).add(c00);
            c01 = FloatVector.fromArray(F, cm, cAt + L).add(c01);
            c10 = FloatVector.fromArray(F, cm, c1).add(c10);
            c11 = FloatVector.fromArray(F, cm, c1 + L).add(c11);
            c20 = FloatVector.fromArray(F, cm, c2).add(c20);
            c21 = FloatVector.fromArray(F, cm, c2 + L).add(c21);
            c30 = FloatVector.fromArray(F, cm, c3).add(c30);
            c31 = FloatVector.fromArray(F, cm, c3 + L).add(c31);
        }
        c00.intoArray(cm, cAt);
        c01.intoArray(cm, cAt + L);
        c10.intoArray(cm, c1);
        c11.intoArray(cm, c1 + L);
        c20.intoArray(cm, c2);
        c21.intoArray(cm, c2 + L);
        c30.intoArray(cm, c3);
        c31.intoArray(cm, c3 + L);
    }

    /**
     * The 2MR x NR block at cm[cAt + i cStride + j] = (add ? itself + : ) sum_{p &lt; kc} A[i, p] pb[bAt + p NR + j]
     * with A[i, p] = pa[aAt + p MR + i] for i &lt; MR and pa[a2At + p MR + i - MR] for the next MR rows (two packed
     * strips): 16 vector accumulators, one outer product (2 vectors of B, 8 broadcasts of A) per p. Each element is
     * the same sum in the same order as {@link #kernel}'s, so the two give the same bits.
     */
    static void kernel8(float[] pa, int aAt, int a2At, float[] pb, int bAt, int kc, float[] cm, int cAt, int cStride,
                        boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        FloatVector c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int bp = bAt, ap = aAt, aq = a2At, end = aAt + kc * MR; ap < end; bp += NR, ap += MR, aq += MR) {
            FloatVector b0 = FloatVector.fromArray(F, pb, bp);
            FloatVector b1 = FloatVector.fromArray(F, pb, bp + L);
            FloatVector s = FloatVector.broadcast(F, pa[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, pa[ap + 1]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, pa[ap + 2]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, pa[ap + 3]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = FloatVector.broadcast(F, pa[aq]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = FloatVector.broadcast(F, pa[aq + 1]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = FloatVector.broadcast(F, pa[aq + 2]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = FloatVector.broadcast(F, pa[aq + 3]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
        }
        // Stores written out, as in kernel: a helper taking vectors can make C2 box the accumulators.
        int c1 = cAt + cStride, c2 = cAt + 2 * cStride, c3 = cAt + 3 * cStride;
        int c4 = cAt + 4 * cStride, c5 = cAt + 5 * cStride, c6 = cAt + 6 * cStride, c7 = cAt + 7 * cStride;
        if (add) {
            c00 = FloatVector.fromArray(F, cm, cAt).add(c00);
            c01 = FloatVector.fromArray(F, cm, cAt + L).add(c01);
            c10 = FloatVector.fromArray(F, cm, c1).add(c10);
            c11 = FloatVector.fromArray(F, cm, c1 + L).add(c11);
            c20 = FloatVector.fromArray(F, cm, c2).add(c20);
            c21 = FloatVector.fromArray(F, cm, c2 + L).add(c21);
            c30 = FloatVector.fromArray(F, cm, c3).add(c30);
            c31 = FloatVector.fromArray(F, cm, c3 + L).add(c31);
            c40 = FloatVector.fromArray(F, cm, c4).add(c40);
            c41 = FloatVector.fromArray(F, cm, c4 + L).add(c41);
            c50 = FloatVector.fromArray(F, cm, c5).add(c50);
            c51 = FloatVector.fromArray(F, cm, c5 + L).add(c51);
            c60 = FloatVector.fromArray(F, cm, c6).add(c60);
            c61 = FloatVector.fromArray(F, cm, c6 + L).add(c61);
            c70 = FloatVector.fromArray(F, cm, c7).add(c70);
            c71 = FloatVector.fromArray(F, cm, c7 + L).add(c71);
        }
        c00.intoArray(cm, cAt);
        c01.intoArray(cm, cAt + L);
        c10.intoArray(cm, c1);
        c11.intoArray(cm, c1 + L);
        c20.intoArray(cm, c2);
        c21.intoArray(cm, c2 + L);
        c30.intoArray(cm, c3);
        c31.intoArray(cm, c3 + L);
        c40.intoArray(cm, c4);
        c41.intoArray(cm, c4 + L);
        c50.intoArray(cm, c5);
        c51.intoArray(cm, c5 + L);
        c60.intoArray(cm, c6);
        c61.intoArray(cm, c6 + L);
        c70.intoArray(cm, c7);
        c71.intoArray(cm, c7 + L);
    }

    /** C[i, j] (+)= e[i NR + j] for the mr x nc valid part of an edge block. */
    private static void mergeEdge(float[] c, float[] e, int cAt, int cRow, int mr, int nc, boolean add) {
        for (int i = 0; i < mr; i++) {
            int row = cAt + i * cRow;
            for (int j = 0; j < nc; j++) {
                c[row + j] = add ? c[row + j] + e[i * NR + j] : e[i * NR + j];
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ dBias

    /** dBias[j] += sum_i dOut[i, j] for j0 &lt;= j &lt; j1, rows added in order. */
    private void biasColumns(int j0, int j1) {
        for (int i = 0; i < biasRows; i++) {
            Simd.addInto(dOut, dOutOff + i * biasCols + j0, db, dbOff + j0, j1 - j0);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
