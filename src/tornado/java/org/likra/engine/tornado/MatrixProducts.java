package org.likra.engine.tornado;

import org.likra.engine.Tensor;
import org.likra.engine.tornado.TaskGraphs.Tasks;
import org.likra.kernels.MatMul;
import org.likra.util.UserError;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import static org.likra.engine.tornado.TornadoEngine.f;

/**
 * The tornado engine's matrix products: C (+)= A B (+ bias) over strided views, bound to one of {@link MatMul}'s
 * kernels with its launch grid and recorded as a task ({@link TaskGraphs#record}). Which kernel, and the
 * register-blocked kernel's slice depth, are fixed per engine ({@code likra.tornado.product},
 * {@code likra.tornado.depth}).
 */
final class MatrixProducts {
    private final TaskGraphs graphs;
    private final Product product;
    /** Slice depth of the register-blocked product (MatMul.GPU_DEPTH or CPU_DEPTH; likra.tornado.depth). */
    private final int productDepth;
    /** The bias argument of a product without one (never read). */
    private final FloatArray dummy = new FloatArray(1);

    MatrixProducts(TaskGraphs graphs, Product product, int productDepth) {
        this.graphs = graphs;
        this.product = product;
        this.productDepth = productDepth;
    }

    /**
     * The slice depth of the register-blocked product: {@code likra.tornado.depth} when set (a power of two from 8
     * to MatMul.MAX_DEPTH), else MatMul.CPU_DEPTH on a CPU device and MatMul.GPU_DEPTH elsewhere.
     */
    static int productDepth(String value, TornadoDevice device) {
        if (value == null) {
            return device.getDeviceType() == TornadoDeviceType.CPU ? MatMul.CPU_DEPTH : MatMul.GPU_DEPTH;
        }
        int depth;
        try {
            depth = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            depth = 0;
        }
        if (depth < 8 || depth > MatMul.MAX_DEPTH || Integer.bitCount(depth) != 1) {
            throw new UserError("-Dlikra.tornado.depth=" + value + " is not a power of two from 8 to "
                    + MatMul.MAX_DEPTH);
        }
        return depth;
    }

    static Product productSwitch(String value) {
        for (Product p : Product.values()) {
            if (p.name().equalsIgnoreCase(value)) {
                return p;
            }
        }
        throw new UserError("-Dlikra.tornado.product=" + value + " names no matrix-product kernel: use blocked, tiled "
                + "or parallel");
    }

    /** Which matrix-product kernel {@link #matmul} launches. */
    enum Product {
        /** {@link MatMul#matmulBlocked} where the output spans at least half a block each way, else TILED. */
        BLOCKED,
        /** {@link MatMul#matmulTiled}: 16 x 16 tiles, one output per thread. */
        TILED,
        /** {@link MatMul#matmul}: the {@code @Parallel} loop form. */
        PARALLEL
    }

    /**
     * C[i, j] (+)= sum_p A(i, p) B(p, j) (+ bias[j]) over strided views (see {@link MatMul}), by the kernel
     * {@link #product} names: the register-blocked one unless the output is narrower than half a block
     * (MatMul.BLOCK / 2) in either dimension (a LoRA rank, say), where most of its threads would idle; then the
     * 16 x 16 tiled one.
     *
     * @param epilogue {@link MatMul#ACCUMULATE}, {@link MatMul#GELU}, {@link MatMul#QKV} or a sum of them (BIAS is
     *                 added where bias is not null)
     * @param extra    what the GELU and QKV epilogues read (see {@link MatMul}); 0 otherwise
     */
    void matmul(String kind, Tensor a, int aRow, int aCol, Tensor b, int bRow, int bCol, Tensor c, int ldc,
                Tensor bias, int epilogue, int extra, int m, int n, int k) {
        FloatArray biasArray = bias == null ? dummy : f(bias);
        int biasOff = bias == null ? 0 : bias.offset();
        int flags = bias == null ? epilogue : epilogue | MatMul.BIAS;
        Object[] reads = bias == null ? new Object[]{f(a), f(b)} : new Object[]{f(a), f(b), f(bias)};
        Object[] writes = {f(c)};
        Product kernel = product;
        if (kernel == Product.BLOCKED && (m < MatMul.BLOCK / 2 || n < MatMul.BLOCK / 2)) {
            kernel = Product.TILED;
        }
        Tasks tasks = switch (kernel) {
            case BLOCKED -> (g, name, grid, graph) -> {
                g.task(name, MatMul::matmulBlocked, new KernelContext(), f(a), a.offset(), aRow, aCol, f(b),
                        b.offset(), bRow, bCol, f(c), c.offset(), ldc, biasArray, biasOff, flags, extra, m, n, k,
                        productDepth);
                WorkerGrid2D worker = new WorkerGrid2D(roundUp(n, MatMul.BLOCK) / MatMul.BLOCK * MatMul.THREADS,
                        roundUp(m, MatMul.BLOCK) / MatMul.BLOCK * MatMul.THREADS);
                worker.setLocalWork(MatMul.THREADS, MatMul.THREADS, 1);
                grid.addWorkerGrid(graph + "." + name, worker);
            };
            case TILED -> (g, name, grid, graph) -> {
                g.task(name, MatMul::matmulTiled, new KernelContext(), f(a), a.offset(), aRow, aCol, f(b),
                        b.offset(), bRow, bCol, f(c), c.offset(), ldc, biasArray, biasOff, flags, extra, m, n, k);
                WorkerGrid2D worker = new WorkerGrid2D(roundUp(n, MatMul.TILE), roundUp(m, MatMul.TILE));
                worker.setLocalWork(MatMul.TILE, MatMul.TILE, 1);
                grid.addWorkerGrid(graph + "." + name, worker);
            };
            case PARALLEL -> (g, name, grid, graph) -> g.task(name, MatMul::matmul, f(a), a.offset(), aRow, aCol,
                    f(b), b.offset(), bRow, bCol, f(c), c.offset(), ldc, biasArray, biasOff, flags, extra, m, n, k);
        };
        graphs.record(kind, reads, writes, tasks, a.offset(), aRow, aCol, b.offset(), bRow, bCol, c.offset(), ldc,
                biasOff, flags, extra, m, n, k, kernel);
    }

    private static int roundUp(int x, int tile) {
        return (x + tile - 1) / tile * tile;
    }
}
