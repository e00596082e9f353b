package org.likra.engine.tornado;

import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.Gradient;
import org.likra.engine.IntTensor;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;
import org.likra.engine.tornado.TaskGraphs.Tasks;
import org.likra.util.UserError;
import org.likra.kernels.Attention;
import org.likra.kernels.Embeddings;
import org.likra.kernels.Losses;
import org.likra.kernels.MatMul;
import org.likra.kernels.Norms;
import org.likra.kernels.Optimizer;
import org.likra.kernels.Pointwise;
import org.likra.kernels.Reductions;
import org.likra.kernels.Rope;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The TornadoVM engine: every tensor is a view into a TornadoVM off-heap array ({@link FloatArray} /
 * {@link IntArray}), and every operation is a TornadoVM task ({@code org.likra.kernels}) compiled for the selected
 * device (OpenCL or PTX backend). This class binds each operation to its kernel(s): the arrays it reads and writes,
 * the kernel arguments, and the values that make up its signature. {@link TaskGraphs} records the operations into
 * task graphs per region, runs them, and keeps the arrays on the device between them ({@link ResidentPlan}).
 *
 * <p>Values that change every step (AdamW's learning rate and bias corrections) travel in a small hyper-parameter
 * array rather than as compiled-in constants, so the optimizer's graphs are reused too. {@code zero} runs as a task
 * inside regions and out, so that zeroing the gradients every step stays on the device.
 *
 * <p><b>Switches</b> (system properties, for diagnosis): {@code likra.tornado.product=tiled} or {@code parallel}
 * launches the 16 x 16 tiled or the {@code @Parallel} matrix product instead of the register-blocked one, and
 * {@code likra.tornado.depth=D} sets the latter's slice depth (default 128 on a CPU device, 32 elsewhere; see
 * {@link #productDepth(String, TornadoDevice)});
 * {@code likra.tornado.regions=false} runs every operation as its own graph; {@code likra.tornado.maxTasks=N} cuts
 * a region into graphs of at most N tasks (default 16, see {@link TornadoVmOptions}); {@code
 * likra.tornado.resident=false} never builds the resident plan (copying graphs only); {@code
 * likra.tornado.rows=groups} or {@code threads} runs the norms, their column sums and the cross-entropy one
 * work-group per row with per-block column sums, or one thread per row and per column (default: threads on a CPU
 * device, groups elsewhere; see {@link #groupRows(String, TornadoDevice)}).
 */
public final class TornadoEngine implements Engine {
    static {
        TornadoVmOptions.setDefaults(); // before anything touches TornadoVM
    }

    private final TornadoDevice device;
    private final Product product;
    /** Slice depth of the register-blocked product (MatMul.GPU_DEPTH or CPU_DEPTH; likra.tornado.depth). */
    private final int productDepth;
    /** Row operations as one work-group per row (else one thread per row); see {@link Norms}. */
    private final boolean groupRows;
    private final TaskGraphs graphs;
    private final FloatArray dummy = new FloatArray(1);
    /** Placeholders for the parameters a column reduction does not read (see {@link #columnReduction}). */
    private final FloatArray[] unused = {new FloatArray(1), new FloatArray(1), new FloatArray(1)};
    private final FloatArray partials = new FloatArray(Reductions.PARTS);
    private final Map<String, FloatArray> scratch = new HashMap<>();
    private final RopeTables ropeTables = new RopeTables();
    private final AdamWHyperParameters hypers = new AdamWHyperParameters();
    /** Bytes of the tensors allocated so far ({@link #allocatedBytes}): host arrays, each mirrored on the device. */
    private long allocatedBytes;

    /** @param deviceSpec "backend:device" as {@code tornado --devices} numbers them (e.g. "0:0"); "" for the default */
    public TornadoEngine(String deviceSpec) {
        this.device = TornadoDevices.select(deviceSpec);
        this.product = productSwitch(System.getProperty("likra.tornado.product", "blocked"));
        this.productDepth = productDepth(System.getProperty("likra.tornado.depth"), device);
        this.groupRows = groupRows(System.getProperty("likra.tornado.rows"), device);
        boolean regions = !"false".equals(System.getProperty("likra.tornado.regions", "true"));
        int maxTasks = Integer.getInteger("likra.tornado.maxTasks", 16);
        boolean resident = !"false".equals(System.getProperty("likra.tornado.resident", "true"));
        this.graphs = new TaskGraphs(device, regions, maxTasks, resident);
    }

    /**
     * Whether row operations run one work-group per row: by default on every device but a CPU. PoCL (OpenCL on the
     * CPU) runs a work-group as loops over its threads between barriers, and there the work-group forms of the norms
     * and the cross-entropy took 3 to 11 times as long as one thread per row (gpt2-S, 2026-12-07); a GPU needs the
     * work-group forms to keep its threads busy. {@code likra.tornado.rows=groups} or {@code threads} decides.
     */
    private static boolean groupRows(String value, TornadoDevice device) {
        if (value == null) {
            return device.getDeviceType() != TornadoDeviceType.CPU;
        }
        if (!value.equals("groups") && !value.equals("threads")) {
            throw new UserError("-Dlikra.tornado.rows=" + value + " is neither groups nor threads");
        }
        return value.equals("groups");
    }

    /**
     * The slice depth of the register-blocked product: {@code likra.tornado.depth} when set (a power of two from 8
     * to MatMul.MAX_DEPTH), else MatMul.CPU_DEPTH on a CPU device and MatMul.GPU_DEPTH elsewhere.
     */
    private static int productDepth(String value, TornadoDevice device) {
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

    private static Product productSwitch(String value) {
        for (Product p : Product.values()) {
            if (p.name().equalsIgnoreCase(value)) {
                return p;
            }
        }
        throw new UserError("-Dlikra.tornado.product=" + value + " names no matrix-product kernel: use blocked, tiled "
                + "or parallel");
    }

    /** One line per device, "backend:device  name", for {@code likra devices}. */
    public static List<String> listDevices() {
        return TornadoDevices.list();
    }

    /** The device this engine runs on, in words. */
    public String deviceName() {
        return TornadoDevices.describe(device);
    }

    /** Bytes copied each way, task graphs launched and compiled, resident plans built (see {@link TaskGraphs}). */
    @Override
    public Map<String, Long> counters() {
        return graphs.counters();
    }

    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public String description() {
        return name() + ", f32, " + deviceName();
    }

    @Override
    public Precision precision() {
        return Precision.F32;
    }

    @Override
    public void beginRegion(String name) {
        graphs.beginRegion(name);
    }

    @Override
    public void endRegion() {
        graphs.endRegion();
    }

    @Override
    public void close() {
        graphs.close();
    }

    // ------------------------------------------------------------------------------------------------ storage

    private static FloatArray f(Tensor t) {
        return (FloatArray) t.storage();
    }

    private static IntArray i(IntTensor t) {
        return (IntArray) t.storage();
    }

    @Override
    public Tensor allocate(int length) {
        FloatArray a = new FloatArray(Math.max(1, length));
        a.init(0f);
        allocatedBytes += 4L * a.getSize();
        return new Tensor(a, 0, length);
    }

    @Override
    public IntTensor allocateInts(int length) {
        IntArray a = new IntArray(Math.max(1, length));
        a.init(0);
        allocatedBytes += 4L * a.getSize();
        return new IntTensor(a, 0, length);
    }

    @Override
    public long allocatedBytes() {
        return allocatedBytes;
    }

    @Override
    public void upload(Tensor dst, float[] src, int srcOffset) {
        FloatArray a = beginHostAccess(f(dst));
        for (int k = 0; k < dst.length(); k++) {
            a.set(dst.offset() + k, src[srcOffset + k]);
        }
        graphs.afterHostWrite(a);
    }

    @Override
    public void upload(Tensor dst, double[] src, int srcOffset) {
        FloatArray a = beginHostAccess(f(dst));
        for (int k = 0; k < dst.length(); k++) {
            a.set(dst.offset() + k, (float) src[srcOffset + k]);
        }
        graphs.afterHostWrite(a);
    }

    @Override
    public void upload(IntTensor dst, int[] src, int srcOffset) {
        IntArray a = beginHostAccess(i(dst));
        for (int k = 0; k < dst.length(); k++) {
            a.set(dst.offset() + k, src[srcOffset + k]);
        }
        graphs.afterHostWrite(a);
    }

    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        FloatArray a = beginHostAccess(f(src));
        for (int k = 0; k < src.length(); k++) {
            dst[dstOffset + k] = a.get(src.offset() + k);
        }
    }

    @Override
    public void download(Tensor src, double[] dst, int dstOffset) {
        FloatArray a = beginHostAccess(f(src));
        for (int k = 0; k < src.length(); k++) {
            dst[dstOffset + k] = a.get(src.offset() + k);
        }
    }

    /**
     * Before the host reads or writes part of an array: runs what the open region has recorded so far, and brings
     * the host copy up to date (the whole array; a partial write keeps the rest).
     */
    private <A> A beginHostAccess(A array) {
        graphs.flushRecorded();
        graphs.beforeHostRead(array);
        return array;
    }

    @Override
    public void zero(Tensor t) {
        // A task even outside regions, so that zeroing a resident array (the gradients, every step) stays on the
        // device.
        record("zero", new Object[]{}, new Object[]{f(t)},
                (g, name, grid, graph) -> g.task(name, Pointwise::zero, f(t), t.offset(), t.length()),
                t.offset(), t.length());
    }

    /** Hands an operation to {@link TaskGraphs#record}: its kind, arrays read and written, tasks and shape values. */
    private void record(String kind, Object[] reads, Object[] writes, Tasks tasks, Object... shape) {
        graphs.record(kind, reads, writes, tasks, shape);
    }

    private FloatArray scratch(String kind, int length) {
        return scratch.computeIfAbsent(kind + length, k -> new FloatArray(Math.max(1, length)));
    }

    // ------------------------------------------------------------------------------------------------ embeddings

    @Override
    public void embeddingForward(Tensor out, IntTensor tokens, Tensor table, int n, int c) {
        record("embeddingForward", new Object[]{i(tokens), f(table)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Embeddings::tokenForward, f(out), out.offset(), i(tokens),
                        tokens.offset(), f(table), table.offset(), n, c),
                out.offset(), tokens.offset(), table.offset(), n, c);
    }

    @Override
    public void embeddingBackward(Tensor dTable, Tensor dOut, IntTensor tokens, int n, int c) {
        record("embeddingBackward", new Object[]{f(dOut), i(tokens)}, new Object[]{f(dTable)},
                (g, name, grid, graph) -> g.task(name, Embeddings::tokenBackward, f(dTable), dTable.offset(), f(dOut),
                        dOut.offset(), i(tokens), tokens.offset(), n, c),
                dTable.offset(), dOut.offset(), tokens.offset(), n, c);
    }

    @Override
    public void positionEmbeddingForward(Tensor out, Tensor positions, int batch, int time, int c) {
        record("positionForward", new Object[]{f(positions)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Embeddings::positionForward, f(out), out.offset(),
                        f(positions), positions.offset(), batch * time, time, c),
                out.offset(), positions.offset(), batch, time, c);
    }

    @Override
    public void positionEmbeddingBackward(Tensor dPositions, Tensor dOut, int batch, int time, int c) {
        record("positionBackward", new Object[]{f(dOut)}, new Object[]{f(dPositions)},
                (g, name, grid, graph) -> g.task(name, Embeddings::positionBackward, f(dPositions),
                        dPositions.offset(), f(dOut), dOut.offset(), batch, time, c),
                dPositions.offset(), dOut.offset(), batch, time, c);
    }

    // ------------------------------------------------------------------------------------------------ norms

    /** A 1D launch of {@code groups} work-groups of {@code threads} threads for a KernelContext task. */
    private static void groupsOf(GridScheduler grid, String graph, String task, int groups, int threads) {
        WorkerGrid1D worker = new WorkerGrid1D(groups * threads);
        worker.setLocalWork(threads, 1, 1);
        grid.addWorkerGrid(graph + "." + task, worker);
    }

    @Override
    public void rmsNormForward(Tensor out, Tensor rstd, Tensor x, Tensor weight, int n, int c, float eps) {
        Tasks tasks = groupRows
                ? (g, name, grid, graph) -> {
                    g.task(name, Norms::rmsForwardRows, new KernelContext(), f(out), out.offset(), f(rstd),
                            rstd.offset(), f(x), x.offset(), f(weight), weight.offset(), n, c, eps);
                    groupsOf(grid, graph, name, n, Norms.ROW_THREADS);
                }
                : (g, name, grid, graph) -> g.task(name, Norms::rmsForward, f(out), out.offset(), f(rstd),
                        rstd.offset(), f(x), x.offset(), f(weight), weight.offset(), n, c, eps);
        record("rmsNormForward", new Object[]{f(x), f(weight)}, new Object[]{f(out), f(rstd)}, tasks,
                out.offset(), rstd.offset(), x.offset(), weight.offset(), n, c, eps, groupRows);
    }

    @Override
    public void rmsNormBackward(Tensor dx, Tensor dWeight, Tensor dOut, Tensor x, Tensor weight, Tensor rstd, int n,
                                int c) {
        if (dx != null) {
            Tasks tasks = groupRows
                    ? (g, name, grid, graph) -> {
                        g.task(name, Norms::rmsBackwardInputRows, new KernelContext(), f(dx), dx.offset(), f(dOut),
                                dOut.offset(), f(x), x.offset(), f(weight), weight.offset(), f(rstd), rstd.offset(),
                                n, c);
                        groupsOf(grid, graph, name, n, Norms.ROW_THREADS);
                    }
                    : (g, name, grid, graph) -> g.task(name, Norms::rmsBackwardInput, f(dx), dx.offset(), f(dOut),
                            dOut.offset(), f(x), x.offset(), f(weight), weight.offset(), f(rstd), rstd.offset(), n,
                            c);
            record("rmsNormBackwardInput", new Object[]{f(dOut), f(x), f(weight), f(rstd)}, new Object[]{f(dx)},
                    tasks, dx.offset(), dOut.offset(), x.offset(), weight.offset(), rstd.offset(), n, c, groupRows);
        }
        if (dWeight != null) {
            if (groupRows) {
                columnReduction(Norms.COLUMNS_RMS_WEIGHT, dWeight, null, dOut, x, null, rstd, n, c,
                        true);
            } else {
                record("rmsNormBackwardWeight", new Object[]{f(dOut), f(x), f(rstd)}, new Object[]{f(dWeight)},
                        (g, name, grid, graph) -> g.task(name, Norms::rmsBackwardWeight, f(dWeight),
                                dWeight.offset(), f(dOut), dOut.offset(), f(x), x.offset(), f(rstd), rstd.offset(),
                                n, c),
                        dWeight.offset(), dOut.offset(), x.offset(), rstd.offset(), n, c);
            }
        }
    }

    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, int n,
                                 int c, float eps) {
        Tasks tasks = groupRows
                ? (g, name, grid, graph) -> {
                    g.task(name, Norms::layerForwardRows, new KernelContext(), f(out), out.offset(), f(mean),
                            mean.offset(), f(rstd), rstd.offset(), f(x), x.offset(), f(weight), weight.offset(),
                            f(bias), bias.offset(), n, c, eps);
                    groupsOf(grid, graph, name, n, Norms.ROW_THREADS);
                }
                : (g, name, grid, graph) -> g.task(name, Norms::layerForward, f(out), out.offset(), f(mean),
                        mean.offset(), f(rstd), rstd.offset(), f(x), x.offset(), f(weight), weight.offset(), f(bias),
                        bias.offset(), n, c, eps);
        record("layerNormForward", new Object[]{f(x), f(weight), f(bias)}, new Object[]{f(out), f(mean), f(rstd)},
                tasks, out.offset(), mean.offset(), rstd.offset(), x.offset(), weight.offset(), bias.offset(), n, c,
                eps, groupRows);
    }

    @Override
    public void layerNormBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight,
                                  Tensor mean, Tensor rstd, int n, int c) {
        if (dx != null) {
            Tasks tasks = groupRows
                    ? (g, name, grid, graph) -> {
                        g.task(name, Norms::layerBackwardInputRows, new KernelContext(), f(dx), dx.offset(),
                                f(dOut), dOut.offset(), f(x), x.offset(), f(weight), weight.offset(), f(mean),
                                mean.offset(), f(rstd), rstd.offset(), n, c);
                        groupsOf(grid, graph, name, n, Norms.ROW_THREADS);
                    }
                    : (g, name, grid, graph) -> g.task(name, Norms::layerBackwardInput, f(dx), dx.offset(), f(dOut),
                            dOut.offset(), f(x), x.offset(), f(weight), weight.offset(), f(mean), mean.offset(),
                            f(rstd), rstd.offset(), n, c);
            record("layerNormBackwardInput", new Object[]{f(dOut), f(x), f(weight), f(mean), f(rstd)},
                    new Object[]{f(dx)}, tasks, dx.offset(), dOut.offset(), x.offset(), weight.offset(),
                    mean.offset(), rstd.offset(), n, c, groupRows);
        }
        if (groupRows) {
            if (dWeight != null) {
                columnReduction(Norms.COLUMNS_LAYER_WEIGHT, dWeight, dBias, dOut, x, mean, rstd, n, c, true);
            } else if (dBias != null) {
                columnSums(dBias, dOut, n, c, true);
            }
            return;
        }
        if (dWeight != null) {
            record("layerNormBackwardWeight", new Object[]{f(dOut), f(x), f(mean), f(rstd)},
                    new Object[]{f(dWeight)},
                    (g, name, grid, graph) -> g.task(name, Norms::layerBackwardWeight, f(dWeight), dWeight.offset(),
                            f(dOut), dOut.offset(), f(x), x.offset(), f(mean), mean.offset(), f(rstd),
                            rstd.offset(), n, c),
                    dWeight.offset(), dOut.offset(), x.offset(), mean.offset(), rstd.offset(), n, c);
        }
        if (dBias != null) {
            columnSums(dBias, dOut, n, c, true);
        }
    }

    /** dBias (+)= the column sums of dOut (n, c): added to, or overwriting dBias where accumulate is false. */
    private void columnSums(Tensor dBias, Tensor dOut, int n, int c, boolean accumulate) {
        if (groupRows) {
            columnReduction(Norms.COLUMNS_PLAIN, dBias, null, dOut, null, null, null, n, c, accumulate);
            return;
        }
        int acc = accumulate ? 1 : 0;
        record("columnSums", new Object[]{f(dOut)}, new Object[]{f(dBias)},
                (g, name, grid, graph) -> g.task(name, Norms::columnSums, f(dBias), dBias.offset(), f(dOut),
                        dOut.offset(), n, c, acc),
                dBias.offset(), dOut.offset(), n, c, acc);
    }

    /**
     * A column reduction over n rows: per-block partial sums ({@link Norms#columnPartials}, into a scratch array),
     * then the blocks added in order into out, and with kind COLUMNS_LAYER_WEIGHT into out2 too (LayerNorm's bias
     * gradient) by a second finishing task: out and out2 are views of one gradient buffer, and one array passed as
     * two parameters of a task stalls TornadoVM's graph compiler (see Losses.crossEntropyBackwardInPlace). x, mean
     * and rstd are read by the kinds that need them (null otherwise).
     */
    private void columnReduction(int kind, Tensor out, Tensor out2, Tensor dOut, Tensor x, Tensor mean, Tensor rstd,
                                 int n, int c, boolean accumulate) {
        int blocks = Norms.blocks(n);
        int acc = accumulate ? 1 : 0;
        FloatArray partials = scratch("columnPartials", 2 * blocks * c);
        // A parameter slot the kind does not read gets a placeholder of its own (same reason).
        FloatArray xa = x == null ? unused[0] : f(x);
        FloatArray meanArray = mean == null ? unused[1] : f(mean);
        FloatArray rstdArray = rstd == null ? unused[2] : f(rstd);
        int xOff = x == null ? 0 : x.offset();
        int mOff = mean == null ? 0 : mean.offset();
        int rOff = rstd == null ? 0 : rstd.offset();
        int out2Off = out2 == null ? -1 : out2.offset();
        Object[] reads = {f(dOut), xa, meanArray, rstdArray};
        Object[] writes = out2 == null ? new Object[]{partials, f(out)} : new Object[]{partials, f(out), f(out2)};
        record("columnReduction", reads, writes,
                (g, name, grid, graph) -> {
                    g.task(name, Norms::columnPartials, partials, f(dOut), dOut.offset(), xa, xOff, meanArray, mOff,
                            rstdArray, rOff, kind, n, c, blocks);
                    g.task(name + "_finish", Norms::finishColumns, f(out), out.offset(), partials, 0, blocks, c,
                            acc);
                    if (out2 != null) {
                        g.task(name + "_finish2", Norms::finishColumns, f(out2), out2.offset(), partials, blocks,
                                blocks, c, acc);
                    }
                },
                kind, out.offset(), out2Off, dOut.offset(), xOff, mOff, rOff, n, c, acc);
    }

    // ------------------------------------------------------------------------------------------------ linear

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
     */
    private void matmul(String kind, Tensor a, int aRow, int aCol, Tensor b, int bRow, int bCol, Tensor c, int ldc,
                        Tensor bias, boolean accumulate, int m, int n, int k) {
        FloatArray biasArray = bias == null ? dummy : f(bias);
        int biasOff = bias == null ? 0 : bias.offset();
        int hasBias = bias == null ? 0 : 1;
        int acc = accumulate ? 1 : 0;
        Object[] reads = bias == null ? new Object[]{f(a), f(b)} : new Object[]{f(a), f(b), f(bias)};
        Object[] writes = {f(c)};
        Product kernel = product;
        if (kernel == Product.BLOCKED && (m < MatMul.BLOCK / 2 || n < MatMul.BLOCK / 2)) {
            kernel = Product.TILED;
        }
        Tasks tasks = switch (kernel) {
            case BLOCKED -> (g, name, grid, graph) -> {
                g.task(name, MatMul::matmulBlocked, new KernelContext(), f(a), a.offset(), aRow, aCol, f(b),
                        b.offset(), bRow, bCol, f(c), c.offset(), ldc, biasArray, biasOff, hasBias, acc, m, n, k,
                        productDepth);
                WorkerGrid2D worker = new WorkerGrid2D(roundUp(n, MatMul.BLOCK) / MatMul.BLOCK * MatMul.THREADS,
                        roundUp(m, MatMul.BLOCK) / MatMul.BLOCK * MatMul.THREADS);
                worker.setLocalWork(MatMul.THREADS, MatMul.THREADS, 1);
                grid.addWorkerGrid(graph + "." + name, worker);
            };
            case TILED -> (g, name, grid, graph) -> {
                g.task(name, MatMul::matmulTiled, new KernelContext(), f(a), a.offset(), aRow, aCol, f(b),
                        b.offset(), bRow, bCol, f(c), c.offset(), ldc, biasArray, biasOff, hasBias, acc, m, n, k);
                WorkerGrid2D worker = new WorkerGrid2D(roundUp(n, MatMul.TILE), roundUp(m, MatMul.TILE));
                worker.setLocalWork(MatMul.TILE, MatMul.TILE, 1);
                grid.addWorkerGrid(graph + "." + name, worker);
            };
            case PARALLEL -> (g, name, grid, graph) -> g.task(name, MatMul::matmul, f(a), a.offset(), aRow, aCol,
                    f(b), b.offset(), bRow, bCol, f(c), c.offset(), ldc, biasArray, biasOff, hasBias, acc, m, n, k);
        };
        record(kind, reads, writes, tasks, a.offset(), aRow, aCol, b.offset(), bRow, bCol, c.offset(), ldc,
                biasOff, hasBias, acc, m, n, k, kernel);
    }

    private static int roundUp(int x, int tile) {
        return (x + tile - 1) / tile * tile;
    }

    @Override
    public void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias, int n, int inDim, int outDim) {
        // out[i, j] = sum_p x[i, p] W[j, p] + b[j]
        matmul("linearForward", x, inDim, 1, weight, 1, inDim, out, outDim, bias, false, n, outDim, inDim);
    }

    /** An overwritten gradient is written by its product (or column sums) without reading the old values. */
    @Override
    public void linearBackward(Tensor dx, Gradient dxGradient, Tensor dWeight, Tensor dBias, Gradient weightGradients,
                               Tensor dOut, Tensor x, Tensor weight, int n, int inDim, int outDim) {
        boolean weightsAdded = weightGradients == Gradient.ACCUMULATE;
        if (dx != null) {
            // dx[i, j] (+)= sum_k dOut[i, k] W[k, j]
            matmul("linearBackwardInput", dOut, outDim, 1, weight, inDim, 1, dx, inDim, null,
                    dxGradient == Gradient.ACCUMULATE, n, inDim, outDim);
        }
        if (dWeight != null) {
            // dW[k, j] (+)= sum_i dOut[i, k] x[i, j]
            matmul("linearBackwardWeight", dOut, 1, outDim, x, inDim, 1, dWeight, inDim, null, weightsAdded, outDim,
                    inDim, n);
        }
        if (dBias != null) {
            columnSums(dBias, dOut, n, outDim, weightsAdded);
        }
    }

    // ------------------------------------------------------------------------------------------------ RoPE

    @Override
    public void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                            int positionOffset) {
        FloatArray table = ropeTables.table(time, headDim, theta, positionOffset);
        record("ropeForward", new Object[]{f(x), table}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Rope::forward, f(out), out.offset(), f(x), x.offset(), table,
                        batch * time * heads, time, heads, headDim),
                out.offset(), x.offset(), batch, time, heads, headDim);
    }

    @Override
    public void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                             int positionOffset) {
        FloatArray table = ropeTables.table(time, headDim, theta, positionOffset);
        record("ropeBackward", new Object[]{f(dOut), table}, new Object[]{f(dx)},
                (g, name, grid, graph) -> g.task(name, Rope::backward, f(dx), dx.offset(), f(dOut), dOut.offset(),
                        table, batch * time * heads, time, heads, headDim),
                dx.offset(), dOut.offset(), batch, time, heads, headDim);
    }

    // ------------------------------------------------------------------------------------------------ attention

    @Override
    public void attentionForward(Tensor out, Tensor probs, Tensor q, Tensor k, Tensor v, int batch, int time,
                                 int heads, int kvHeads, int headDim) {
        record("attentionForward", new Object[]{f(q), f(k), f(v)}, new Object[]{f(out), f(probs)},
                (g, name, grid, graph) -> g.task(name, Attention::forward, f(out), out.offset(), f(probs),
                        probs.offset(), f(q), q.offset(), f(k), k.offset(), f(v), v.offset(), batch, time, heads,
                        kvHeads, headDim),
                out.offset(), probs.offset(), q.offset(), k.offset(), v.offset(), batch, time, heads, kvHeads,
                headDim);
    }

    @Override
    public void attentionBackward(Tensor dqOrNull, Tensor dkOrNull, Tensor dvOrNull, Tensor dOut, Tensor q, Tensor k,
                                  Tensor v, Tensor probs, int batch, int time, int heads, int kvHeads, int headDim) {
        FloatArray dScores = scratch("dScores", batch * heads * time * time);
        // A gradient the caller does not want goes to a scratch sink (the kernels compute dq and dk/dv together).
        int qLen = batch * time * heads * headDim;
        int kvLen = batch * time * kvHeads * headDim;
        Tensor dq = dqOrNull != null ? dqOrNull : new Tensor(scratch("sinkQ", qLen), 0, qLen);
        Tensor dk = dkOrNull != null ? dkOrNull : new Tensor(scratch("sinkK", kvLen), 0, kvLen);
        Tensor dv = dvOrNull != null ? dvOrNull : new Tensor(scratch("sinkV", kvLen), 0, kvLen);
        record("attentionBackwardQuery", new Object[]{f(dOut), f(k), f(v), f(probs)},
                new Object[]{f(dq), dScores},
                (g, name, grid, graph) -> g.task(name, Attention::backwardQuery, f(dq), dq.offset(), dScores,
                        f(dOut), dOut.offset(), f(k), k.offset(), f(v), v.offset(), f(probs), probs.offset(), batch,
                        time, heads, kvHeads, headDim),
                dq.offset(), dOut.offset(), k.offset(), v.offset(), probs.offset(), batch, time, heads, kvHeads,
                headDim);
        record("attentionBackwardKeyValue", new Object[]{dScores, f(q), f(dOut), f(probs)},
                new Object[]{f(dk), f(dv)},
                (g, name, grid, graph) -> g.task(name, Attention::backwardKeyValue, f(dk), dk.offset(), f(dv),
                        dv.offset(), dScores, f(q), q.offset(), f(dOut), dOut.offset(), f(probs), probs.offset(),
                        batch, time, heads, kvHeads, headDim),
                dk.offset(), dv.offset(), q.offset(), dOut.offset(), probs.offset(), batch, time, heads, kvHeads,
                headDim);
    }

    // ------------------------------------------------------------------------------------------------ activations

    @Override
    public void swigluForward(Tensor out, Tensor gate, Tensor up, int n) {
        record("swigluForward", new Object[]{f(gate), f(up)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Pointwise::swigluForward, f(out), out.offset(), f(gate),
                        gate.offset(), f(up), up.offset(), n),
                out.offset(), gate.offset(), up.offset(), n);
    }

    @Override
    public void swigluBackward(Tensor dGate, Tensor dUp, Tensor dOut, Tensor gate, Tensor up, int n) {
        if (dGate != null) {
            record("swigluBackwardGate", new Object[]{f(dOut), f(gate), f(up)}, new Object[]{f(dGate)},
                    (g, name, grid, graph) -> g.task(name, Pointwise::swigluBackwardGate, f(dGate),
                            dGate.offset(), f(dOut), dOut.offset(), f(gate), gate.offset(), f(up), up.offset(), n),
                    dGate.offset(), dOut.offset(), gate.offset(), up.offset(), n);
        }
        if (dUp != null) {
            record("swigluBackwardUp", new Object[]{f(dOut), f(gate)}, new Object[]{f(dUp)},
                    (g, name, grid, graph) -> g.task(name, Pointwise::swigluBackwardUp, f(dUp), dUp.offset(),
                            f(dOut), dOut.offset(), f(gate), gate.offset(), n),
                    dUp.offset(), dOut.offset(), gate.offset(), n);
        }
    }

    @Override
    public void geluForward(Tensor out, Tensor x, int n) {
        record("geluForward", new Object[]{f(x)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Pointwise::geluForward, f(out), out.offset(), f(x),
                        x.offset(), n),
                out.offset(), x.offset(), n);
    }

    @Override
    public void geluBackward(Tensor dx, Gradient dxGradient, Tensor dOut, Tensor x, int n) {
        int acc = dxGradient == Gradient.ACCUMULATE ? 1 : 0;
        record("geluBackward", new Object[]{f(dOut), f(x)}, new Object[]{f(dx)},
                (g, name, grid, graph) -> g.task(name, Pointwise::geluBackward, f(dx), dx.offset(), f(dOut),
                        dOut.offset(), f(x), x.offset(), n, acc),
                dx.offset(), dOut.offset(), x.offset(), n, acc);
    }

    @Override
    public void add(Tensor out, Tensor a, Tensor b, int n) {
        record("add", new Object[]{f(a), f(b)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Pointwise::add, f(out), out.offset(), f(a), a.offset(), f(b),
                        b.offset(), n),
                out.offset(), a.offset(), b.offset(), n);
    }

    @Override
    public void accumulate(Tensor dst, Tensor src, float scale, int n) {
        record("accumulate", new Object[]{f(src)}, new Object[]{f(dst)},
                (g, name, grid, graph) -> g.task(name, Pointwise::accumulate, f(dst), dst.offset(), f(src),
                        src.offset(), scale, n),
                dst.offset(), src.offset(), scale, n);
    }

    // ------------------------------------------------------------------------------------------------ loss

    @Override
    public void crossEntropyForward(Tensor losses, Tensor probs, Tensor logits, IntTensor targets, int n, int vocab) {
        Tasks tasks = groupRows
                ? (g, name, grid, graph) -> {
                    g.task(name, Losses::crossEntropyForwardRows, new KernelContext(), f(losses), losses.offset(),
                            f(probs), probs.offset(), f(logits), logits.offset(), i(targets), targets.offset(), n,
                            vocab);
                    groupsOf(grid, graph, name, n, Losses.ROW_THREADS);
                }
                : (g, name, grid, graph) -> g.task(name, Losses::crossEntropyForward, f(losses), losses.offset(),
                        f(probs), probs.offset(), f(logits), logits.offset(), i(targets), targets.offset(), n, vocab);
        record("crossEntropyForward", new Object[]{f(logits), i(targets)}, new Object[]{f(losses), f(probs)}, tasks,
                losses.offset(), probs.offset(), logits.offset(), targets.offset(), n, vocab, groupRows);
    }

    @Override
    public void crossEntropyBackward(Tensor dLogits, Tensor probs, IntTensor targets, Tensor weights, int n,
                                     int vocab) {
        if (f(dLogits) == f(probs)) { // in place (Transformer writes the gradient over the probabilities)
            record("crossEntropyBackwardInPlace", new Object[]{f(probs), i(targets), f(weights)},
                    new Object[]{f(dLogits)},
                    (g, name, grid, graph) -> g.task(name, Losses::crossEntropyBackwardInPlace, f(dLogits),
                            dLogits.offset(), probs.offset(), i(targets), targets.offset(), f(weights),
                            weights.offset(), n, vocab),
                    dLogits.offset(), probs.offset(), targets.offset(), weights.offset(), n, vocab);
            return;
        }
        record("crossEntropyBackward", new Object[]{f(probs), i(targets), f(weights)}, new Object[]{f(dLogits)},
                (g, name, grid, graph) -> g.task(name, Losses::crossEntropyBackward, f(dLogits), dLogits.offset(),
                        f(probs), probs.offset(), i(targets), targets.offset(), f(weights), weights.offset(), n,
                        vocab),
                dLogits.offset(), probs.offset(), targets.offset(), weights.offset(), n, vocab);
    }

    @Override
    public void weightedSum(Tensor out, Tensor values, Tensor weights, int n) {
        record("weightedPartial", new Object[]{f(values), f(weights)}, new Object[]{partials},
                (g, name, grid, graph) -> g.task(name, Reductions::weightedPartial, partials, f(values),
                        values.offset(), f(weights), weights.offset(), n),
                values.offset(), weights.offset(), n);
        finish(out);
    }

    private void finish(Tensor out) {
        record("reduceFinish", new Object[]{partials}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Reductions::finish, f(out), out.offset(), partials),
                out.offset());
    }

    // ------------------------------------------------------------------------------------------------ optimizer

    @Override
    public void sumOfSquares(Tensor out, Tensor x, int n) {
        if (!graphs.recording() && graphs.regionsEnabled()) {
            // Outside a region the two stages share one graph (one launch, partials never leave the device).
            beginRegion("sumOfSquares");
            sumOfSquares(out, x, n);
            endRegion();
            return;
        }
        record("squaresPartial", new Object[]{f(x)}, new Object[]{partials},
                (g, name, grid, graph) -> g.task(name, Reductions::squaresPartial, partials, f(x), x.offset(), n),
                x.offset(), n);
        finish(out);
    }

    @Override
    public void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor gradNormSquared, AdamWSettings s,
                      float lr, int step, int n) {
        FloatArray norm2 = gradNormSquared == null ? dummy : f(gradNormSquared);
        int normOff = gradNormSquared == null ? 0 : gradNormSquared.offset();
        String where = graphs.id(f(params)) + ":" + params.offset() + "/" + graphs.id(f(grads)) + ":" + grads.offset()
                + "/" + n;
        FloatArray hyper = hypers.array(where);
        graphs.beforeHostRead(hyper);
        AdamWHyperParameters.write(hyper, s, lr, step, gradNormSquared != null);
        graphs.afterHostWrite(hyper);
        record("adamw", new Object[]{f(grads), norm2, hyper}, new Object[]{f(params), f(m), f(v)},
                (g, name, grid, graph) -> g.task(name, Optimizer::adamw, f(params), params.offset(), f(grads),
                        grads.offset(), f(m), m.offset(), f(v), v.offset(), norm2, normOff, hyper, n),
                params.offset(), grads.offset(), m.offset(), v.offset(), normOff, n);
    }
}
