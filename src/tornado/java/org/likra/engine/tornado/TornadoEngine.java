package org.likra.engine.tornado;

import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.IntTensor;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;
import org.likra.kernels.Attention;
import org.likra.kernels.Elementwise;
import org.likra.kernels.Embedding;
import org.likra.kernels.Loss;
import org.likra.kernels.MatMul;
import org.likra.kernels.Norms;
import org.likra.kernels.Optimizer;
import org.likra.kernels.Reductions;
import org.likra.kernels.Rope;
import org.likra.util.UserError;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The TornadoVM engine: every tensor is a view into a TornadoVM off-heap array ({@link FloatArray} /
 * {@link IntArray}), and every operation is a TornadoVM task ({@code org.likra.kernels}) compiled for the selected
 * device (OpenCL or PTX backend).
 *
 * <p><b>Task graphs.</b> Operations between {@link #beginRegion} and {@link #endRegion} are recorded, not run; at
 * {@code endRegion} they become one {@link TaskGraph} (one named task per operation, e.g. {@code layer3_forward.t7})
 * wrapped in a {@link TornadoExecutionPlan} that is compiled on first use and cached under the region's name and the
 * exact sequence of operations (kernels, arrays, offsets, shapes). A training step therefore compiles each region once
 * and then replays it. A region longer than {@code -Dlikra.tornado.maxTasks} operations (default 16) is cut into
 * consecutive graphs of at most that many tasks: with TornadoVM 5.2 on PoCL, a layer's backward pass as one graph of
 * 37 (or 24) tasks ran without error but left its outputs unchanged, while graphs of 16 were exact; the trigger is
 * not the task count alone (docs/tornadovm.md).
 * Operations outside regions run as one-task graphs, cached the same way. Values that change
 * every step (AdamW's learning rate and bias corrections) travel in a small hyper-parameter array rather than as
 * compiled-in constants, so the optimizer's graphs are reused too.
 *
 * <p><b>Transfers.</b> TornadoVM keeps a device buffer per array <em>per task graph</em>. This engine keeps the host
 * copy authoritative between graphs: each graph copies the arrays it touches to the device on every execution and the
 * arrays it writes back after it ({@link DataTransferMode#EVERY_EXECUTION}), so graphs compose in any order.
 * Uploads, downloads and fills outside regions are plain host memory operations on the same off-heap arrays. (Chaining
 * device buffers between graphs with {@code persistOnDevice}/{@code consumeFromDevice} would remove the copies, but
 * TornadoVM links those only between the graphs of one execution plan, and this engine learns its regions at run
 * time; see docs/tornadovm.md.)
 *
 * <p><b>Switches</b> (system properties, for diagnosis): {@code likra.tornado.tiled=false} uses the plain
 * {@code @Parallel} matrix product instead of the local-memory tiled one; {@code likra.tornado.regions=false} runs
 * every operation as its own graph; {@code likra.tornado.maxTasks=N} as above.
 */
public final class TornadoEngine implements Engine {
    private final TornadoDevice device;
    private final boolean tiled;
    private final boolean regions;
    private final int maxTasks;
    private final FloatArray dummy = new FloatArray(1);
    private final FloatArray partials = new FloatArray(Reductions.PARTS);
    private final Map<Object, Integer> ids = new IdentityHashMap<>();
    private final Map<String, Graph> graphs = new HashMap<>();
    private final Map<String, FloatArray> scratch = new HashMap<>();
    private final Map<String, FloatArray> ropeTables = new HashMap<>();
    private final Map<String, FloatArray> hypers = new HashMap<>();
    private String region;
    private List<Op> recorded;
    private int graphCount;
    private long compiles;
    private long launches;

    /** The default device of the first backend. */
    public TornadoEngine() {
        this("");
    }

    /** @param deviceSpec "backend:device" as {@code tornado --devices} numbers them (e.g. "0:0"), or "" for the default */
    public TornadoEngine(String deviceSpec) {
        this.device = selectDevice(deviceSpec);
        this.tiled = !"false".equals(System.getProperty("likra.tornado.tiled", "true"));
        this.regions = !"false".equals(System.getProperty("likra.tornado.regions", "true"));
        this.maxTasks = Integer.getInteger("likra.tornado.maxTasks", 16);
    }

    private static TornadoDevice selectDevice(String spec) {
        if (spec == null || spec.isBlank()) {
            return TornadoExecutionPlan.DEFAULT_DEVICE;
        }
        String[] parts = spec.trim().split(":");
        try {
            int backend = Integer.parseInt(parts[0]);
            int index = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return TornadoExecutionPlan.getDevice(backend, index);
        } catch (NumberFormatException e) {
            throw new UserError("--device must be backend:device, e.g. 0:0 (see `likra devices`), got '" + spec + "'");
        } catch (RuntimeException e) {
            throw new UserError("no TornadoVM device " + spec + " (see `likra devices`): " + e.getMessage());
        }
    }

    /** One line per device, "backend:device  name", for {@code likra devices}. */
    public static List<String> listDevices() {
        List<String> lines = new ArrayList<>();
        List<TornadoBackend> backends = TornadoExecutionPlan.getTornadoDeviceMap().getAllBackends();
        for (int b = 0; b < backends.size(); b++) {
            TornadoBackend backend = backends.get(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                TornadoDevice dev = backend.getDevice(d);
                lines.add(b + ":" + d + "  " + backend.getName() + "  " + dev.getPhysicalDevice().getDeviceName());
            }
        }
        lines.add("default: " + TornadoExecutionPlan.DEFAULT_DEVICE.getPhysicalDevice().getDeviceName());
        return lines;
    }

    /** The device this engine runs on, in words. */
    public String deviceName() {
        return device.getPhysicalDevice().getDeviceName() + " (" + device.getPlatformName() + ")";
    }

    /** Task graphs compiled so far (one per distinct region and one-task graph). */
    public long compiledGraphs() {
        return compiles;
    }

    /** Task-graph executions so far. */
    public long launches() {
        return launches;
    }

    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public Precision precision() {
        return Precision.F32;
    }

    // ------------------------------------------------------------------------------------------------ storage

    private static FloatArray f(Tensor t) {
        return (FloatArray) t.storage();
    }

    private static IntArray i(IntTensor t) {
        return (IntArray) t.storage();
    }

    private int id(Object array) {
        return ids.computeIfAbsent(array, k -> ids.size());
    }

    @Override
    public Tensor allocate(int length) {
        FloatArray a = new FloatArray(Math.max(1, length));
        a.init(0f);
        return new Tensor(this, a, 0, length);
    }

    @Override
    public IntTensor allocateInts(int length) {
        IntArray a = new IntArray(Math.max(1, length));
        a.init(0);
        return new IntTensor(this, a, 0, length);
    }

    private void hostAccess() {
        if (recorded != null && !recorded.isEmpty()) {
            // A host access inside a region: run what the region has recorded so far, then continue recording.
            run(region + "~part", recorded);
            recorded = new ArrayList<>();
        }
    }

    @Override
    public void upload(Tensor dst, float[] src, int srcOffset) {
        hostAccess();
        FloatArray a = f(dst);
        for (int k = 0; k < dst.length(); k++) {
            a.set(dst.offset() + k, src[srcOffset + k]);
        }
    }

    @Override
    public void upload(Tensor dst, double[] src, int srcOffset) {
        hostAccess();
        FloatArray a = f(dst);
        for (int k = 0; k < dst.length(); k++) {
            a.set(dst.offset() + k, (float) src[srcOffset + k]);
        }
    }

    @Override
    public void upload(IntTensor dst, int[] src, int srcOffset) {
        hostAccess();
        IntArray a = i(dst);
        for (int k = 0; k < dst.length(); k++) {
            a.set(dst.offset() + k, src[srcOffset + k]);
        }
    }

    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        hostAccess();
        FloatArray a = f(src);
        for (int k = 0; k < src.length(); k++) {
            dst[dstOffset + k] = a.get(src.offset() + k);
        }
    }

    @Override
    public void download(Tensor src, double[] dst, int dstOffset) {
        hostAccess();
        FloatArray a = f(src);
        for (int k = 0; k < src.length(); k++) {
            dst[dstOffset + k] = a.get(src.offset() + k);
        }
    }

    @Override
    public void zero(Tensor t) {
        if (region != null) {
            record("zero", new Object[]{}, new Object[]{f(t)},
                    (g, name, grid, graph) -> g.task(name, Elementwise::zero, f(t), t.offset(), t.length()),
                    t.offset(), t.length());
        } else {
            FloatArray a = f(t);
            for (int k = 0; k < t.length(); k++) {
                a.set(t.offset() + k, 0f);
            }
        }
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        if (dst.length() != src.length()) {
            throw new IllegalArgumentException("copy of " + src.length() + " into " + dst.length());
        }
        if (region != null) {
            record("copy", new Object[]{f(src)}, new Object[]{f(dst)},
                    (g, name, grid, graph) -> g.task(name, Elementwise::copy, f(dst), dst.offset(), f(src),
                            src.offset(), src.length()), dst.offset(), src.offset(), src.length());
        } else {
            FloatArray from = f(src);
            FloatArray to = f(dst);
            if (from == to && dst.offset() > src.offset()) {
                for (int k = src.length() - 1; k >= 0; k--) {
                    to.set(dst.offset() + k, from.get(src.offset() + k));
                }
            } else {
                for (int k = 0; k < src.length(); k++) {
                    to.set(dst.offset() + k, from.get(src.offset() + k));
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ graphs

    /** Adds one operation's task(s) to a task graph. */
    @FunctionalInterface
    private interface Tasks {
        void add(TaskGraph graph, String taskName, GridScheduler grid, String graphName);
    }

    private record Op(String signature, Object[] reads, Object[] writes, Tasks tasks) {
    }

    private record Graph(TornadoExecutionPlan plan, String name) {
    }

    /** Records an operation: inside a region it joins the region's graph, outside it runs at once as its own graph. */
    private void record(String kind, Object[] reads, Object[] writes, Tasks tasks, Object... shape) {
        StringBuilder sig = new StringBuilder(kind);
        for (Object a : reads) {
            sig.append(" r").append(id(a));
        }
        for (Object a : writes) {
            sig.append(" w").append(id(a));
        }
        for (Object s : shape) {
            sig.append(' ').append(s);
        }
        Op op = new Op(sig.toString(), reads, writes, tasks);
        if (recorded != null) {
            recorded.add(op);
            if (recorded.size() >= maxTasks) {
                run(region + "~part", recorded);
                recorded = new ArrayList<>();
            }
        } else {
            run(kind, List.of(op));
        }
    }

    private void run(String name, List<Op> ops) {
        StringBuilder key = new StringBuilder(name);
        for (Op op : ops) {
            key.append(" | ").append(op.signature());
        }
        Graph graph = graphs.computeIfAbsent(key.toString(), k -> build(name, ops));
        graph.plan().execute();
        launches++;
    }

    private Graph build(String name, List<Op> ops) {
        String graphName = name.replaceAll("[^A-Za-z0-9]", "_") + "_" + graphCount++;
        Set<Object> touched = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Object> all = new ArrayList<>();
        List<Object> written = new ArrayList<>();
        Set<Object> writtenSet = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Op op : ops) {
            for (Object a : op.reads()) {
                if (touched.add(a)) {
                    all.add(a);
                }
            }
            for (Object a : op.writes()) {
                if (touched.add(a)) {
                    all.add(a);
                }
                if (writtenSet.add(a)) {
                    written.add(a);
                }
            }
        }
        TaskGraph graph = new TaskGraph(graphName);
        graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, all.toArray());
        GridScheduler grid = new GridScheduler();
        int task = 0;
        for (Op op : ops) {
            op.tasks().add(graph, "t" + task++ + "_" + op.signature().split(" ", 2)[0], grid, graphName);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, written.toArray());
        ImmutableTaskGraph snapshot = graph.snapshot();
        TornadoExecutionPlan plan = new TornadoExecutionPlan(snapshot);
        plan.withDevice(device);
        if (!grid.keySet().isEmpty()) {
            plan.withGridScheduler(grid);
        }
        compiles++;
        return new Graph(plan, graphName);
    }

    @Override
    public void beginRegion(String name) {
        if (!regions) {
            return;
        }
        if (region != null) {
            throw new IllegalStateException("region " + name + " opened inside region " + region);
        }
        region = name;
        recorded = new ArrayList<>();
    }

    @Override
    public void endRegion() {
        if (!regions) {
            return;
        }
        if (region == null) {
            throw new IllegalStateException("endRegion without beginRegion");
        }
        List<Op> ops = recorded;
        String name = region;
        region = null;
        recorded = null;
        if (!ops.isEmpty()) {
            run(name, ops);
        }
    }

    @Override
    public void close() {
        for (Graph g : graphs.values()) {
            try {
                g.plan().close();
            } catch (Exception e) {
                // freeing device memory at shutdown is best effort
            }
        }
        graphs.clear();
    }

    private FloatArray scratch(String kind, int length) {
        return scratch.computeIfAbsent(kind + length, k -> new FloatArray(Math.max(1, length)));
    }

    // ------------------------------------------------------------------------------------------------ embeddings

    @Override
    public void embeddingForward(Tensor out, IntTensor tokens, Tensor table, int n, int c) {
        record("embeddingForward", new Object[]{i(tokens), f(table)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Embedding::forward, f(out), out.offset(), i(tokens),
                        tokens.offset(), f(table), table.offset(), n, c),
                out.offset(), tokens.offset(), table.offset(), n, c);
    }

    @Override
    public void embeddingBackward(Tensor dTable, Tensor dOut, IntTensor tokens, int n, int c) {
        record("embeddingBackward", new Object[]{f(dOut), i(tokens)}, new Object[]{f(dTable)},
                (g, name, grid, graph) -> g.task(name, Embedding::backward, f(dTable), dTable.offset(), f(dOut),
                        dOut.offset(), i(tokens), tokens.offset(), n, c),
                dTable.offset(), dOut.offset(), tokens.offset(), n, c);
    }

    @Override
    public void positionEmbeddingForward(Tensor out, Tensor positions, int batch, int time, int c) {
        record("positionForward", new Object[]{f(positions)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Embedding::positionForward, f(out), out.offset(),
                        f(positions), positions.offset(), batch * time, time, c),
                out.offset(), positions.offset(), batch, time, c);
    }

    @Override
    public void positionEmbeddingBackward(Tensor dPositions, Tensor dOut, int batch, int time, int c) {
        record("positionBackward", new Object[]{f(dOut)}, new Object[]{f(dPositions)},
                (g, name, grid, graph) -> g.task(name, Embedding::positionBackward, f(dPositions),
                        dPositions.offset(), f(dOut), dOut.offset(), batch, time, c),
                dPositions.offset(), dOut.offset(), batch, time, c);
    }

    // ------------------------------------------------------------------------------------------------ norms

    @Override
    public void rmsNormForward(Tensor out, Tensor rstd, Tensor x, Tensor weight, int n, int c, float eps) {
        record("rmsNormForward", new Object[]{f(x), f(weight)}, new Object[]{f(out), f(rstd)},
                (g, name, grid, graph) -> g.task(name, Norms::rmsForward, f(out), out.offset(), f(rstd),
                        rstd.offset(), f(x), x.offset(), f(weight), weight.offset(), n, c, eps),
                out.offset(), rstd.offset(), x.offset(), weight.offset(), n, c, eps);
    }

    @Override
    public void rmsNormBackward(Tensor dx, Tensor dWeight, Tensor dOut, Tensor x, Tensor weight, Tensor rstd, int n,
                                int c) {
        if (dx != null) {
            record("rmsNormBackwardInput", new Object[]{f(dOut), f(x), f(weight), f(rstd)}, new Object[]{f(dx)},
                    (g, name, grid, graph) -> g.task(name, Norms::rmsBackwardInput, f(dx), dx.offset(), f(dOut),
                            dOut.offset(), f(x), x.offset(), f(weight), weight.offset(), f(rstd), rstd.offset(), n,
                            c),
                    dx.offset(), dOut.offset(), x.offset(), weight.offset(), rstd.offset(), n, c);
        }
        if (dWeight != null) {
            record("rmsNormBackwardWeight", new Object[]{f(dOut), f(x), f(rstd)}, new Object[]{f(dWeight)},
                    (g, name, grid, graph) -> g.task(name, Norms::rmsBackwardWeight, f(dWeight), dWeight.offset(),
                            f(dOut), dOut.offset(), f(x), x.offset(), f(rstd), rstd.offset(), n, c),
                    dWeight.offset(), dOut.offset(), x.offset(), rstd.offset(), n, c);
        }
    }

    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, int n,
                                 int c, float eps) {
        record("layerNormForward", new Object[]{f(x), f(weight), f(bias)}, new Object[]{f(out), f(mean), f(rstd)},
                (g, name, grid, graph) -> g.task(name, Norms::layerForward, f(out), out.offset(), f(mean),
                        mean.offset(), f(rstd), rstd.offset(), f(x), x.offset(), f(weight), weight.offset(), f(bias),
                        bias.offset(), n, c, eps),
                out.offset(), mean.offset(), rstd.offset(), x.offset(), weight.offset(), bias.offset(), n, c, eps);
    }

    @Override
    public void layerNormBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight,
                                  Tensor mean, Tensor rstd, int n, int c) {
        if (dx != null) {
            record("layerNormBackwardInput", new Object[]{f(dOut), f(x), f(weight), f(mean), f(rstd)},
                    new Object[]{f(dx)},
                    (g, name, grid, graph) -> g.task(name, Norms::layerBackwardInput, f(dx), dx.offset(), f(dOut),
                            dOut.offset(), f(x), x.offset(), f(weight), weight.offset(), f(mean), mean.offset(),
                            f(rstd), rstd.offset(), n, c),
                    dx.offset(), dOut.offset(), x.offset(), weight.offset(), mean.offset(), rstd.offset(), n, c);
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
            columnSums(dBias, dOut, n, c);
        }
    }

    private void columnSums(Tensor dBias, Tensor dOut, int n, int c) {
        record("columnSums", new Object[]{f(dOut)}, new Object[]{f(dBias)},
                (g, name, grid, graph) -> g.task(name, Norms::columnSums, f(dBias), dBias.offset(), f(dOut),
                        dOut.offset(), n, c),
                dBias.offset(), dOut.offset(), n, c);
    }

    // ------------------------------------------------------------------------------------------------ linear

    /**
     * C[i, j] (+)= sum_p A(i, p) B(p, j) (+ bias[j]) over strided views (see {@link MatMul}); tiled in local memory
     * unless -Dlikra.tornado.tiled=false.
     */
    private void matmul(String kind, Tensor a, int aRow, int aCol, Tensor b, int bRow, int bCol, Tensor c, int ldc,
                        Tensor bias, boolean accumulate, int m, int n, int k) {
        FloatArray biasArray = bias == null ? dummy : f(bias);
        int biasOff = bias == null ? 0 : bias.offset();
        int hasBias = bias == null ? 0 : 1;
        int acc = accumulate ? 1 : 0;
        Object[] reads = bias == null ? new Object[]{f(a), f(b)} : new Object[]{f(a), f(b), f(bias)};
        Object[] writes = {f(c)};
        Tasks tasks;
        if (tiled) {
            tasks = (g, name, grid, graph) -> {
                g.task(name, MatMul::matmulTiled, new KernelContext(), f(a), a.offset(), aRow, aCol, f(b),
                        b.offset(), bRow, bCol, f(c), c.offset(), ldc, biasArray, biasOff, hasBias, acc, m, n, k);
                WorkerGrid2D worker = new WorkerGrid2D(roundUp(n, MatMul.TILE), roundUp(m, MatMul.TILE));
                worker.setLocalWork(MatMul.TILE, MatMul.TILE, 1);
                grid.addWorkerGrid(graph + "." + name, worker);
            };
        } else {
            tasks = (g, name, grid, graph) -> g.task(name, MatMul::matmul, f(a), a.offset(), aRow, aCol, f(b),
                    b.offset(), bRow, bCol, f(c), c.offset(), ldc, biasArray, biasOff, hasBias, acc, m, n, k);
        }
        record(kind, reads, writes, tasks, a.offset(), aRow, aCol, b.offset(), bRow, bCol, c.offset(), ldc,
                biasOff, hasBias, acc, m, n, k, tiled);
    }

    private static int roundUp(int x, int tile) {
        return (x + tile - 1) / tile * tile;
    }

    @Override
    public void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias, int n, int inDim, int outDim) {
        // out[i, j] = sum_p x[i, p] W[j, p] + b[j]
        matmul("linearForward", x, inDim, 1, weight, 1, inDim, out, outDim, bias, false, n, outDim, inDim);
    }

    @Override
    public void linearBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight, int n,
                               int inDim, int outDim) {
        if (dx != null) {
            // dx[i, j] += sum_k dOut[i, k] W[k, j]
            matmul("linearBackwardInput", dOut, outDim, 1, weight, inDim, 1, dx, inDim, null, true, n, inDim,
                    outDim);
        }
        if (dWeight != null) {
            // dW[k, j] += sum_i dOut[i, k] x[i, j]
            matmul("linearBackwardWeight", dOut, 1, outDim, x, inDim, 1, dWeight, inDim, null, true, outDim, inDim,
                    n);
        }
        if (dBias != null) {
            columnSums(dBias, dOut, n, outDim);
        }
    }

    // ------------------------------------------------------------------------------------------------ RoPE

    /** cos/sin of (positionOffset + t) theta^(-2i/d), computed in double on the host once per shape. */
    private FloatArray ropeTable(int time, int headDim, float theta, int positionOffset) {
        String key = time + "/" + headDim + "/" + theta + "/" + positionOffset;
        return ropeTables.computeIfAbsent(key, k -> {
            int half = headDim / 2;
            FloatArray table = new FloatArray(Math.max(2, time * half * 2));
            for (int t = 0; t < time; t++) {
                for (int i = 0; i < half; i++) {
                    double angle = (positionOffset + t) * Math.pow(theta, -2.0 * i / headDim);
                    table.set((t * half + i) * 2, (float) Math.cos(angle));
                    table.set((t * half + i) * 2 + 1, (float) Math.sin(angle));
                }
            }
            return table;
        });
    }

    @Override
    public void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                            int positionOffset) {
        FloatArray table = ropeTable(time, headDim, theta, positionOffset);
        record("ropeForward", new Object[]{f(x), table}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Rope::forward, f(out), out.offset(), f(x), x.offset(), table,
                        batch * time * heads, time, heads, headDim),
                out.offset(), x.offset(), batch, time, heads, headDim);
    }

    @Override
    public void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                             int positionOffset) {
        FloatArray table = ropeTable(time, headDim, theta, positionOffset);
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
        Tensor dq = dqOrNull != null ? dqOrNull : new Tensor(this, scratch("sinkQ", qLen), 0, qLen);
        Tensor dk = dkOrNull != null ? dkOrNull : new Tensor(this, scratch("sinkK", kvLen), 0, kvLen);
        Tensor dv = dvOrNull != null ? dvOrNull : new Tensor(this, scratch("sinkV", kvLen), 0, kvLen);
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

    @Override
    public void softmaxForward(Tensor out, Tensor x, int rows, int cols) {
        record("softmaxForward", new Object[]{f(x)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Loss::softmaxForward, f(out), out.offset(), f(x), x.offset(),
                        rows, cols),
                out.offset(), x.offset(), rows, cols);
    }

    @Override
    public void softmaxBackward(Tensor dx, Tensor dOut, Tensor out, int rows, int cols) {
        record("softmaxBackward", new Object[]{f(dOut), f(out)}, new Object[]{f(dx)},
                (g, name, grid, graph) -> g.task(name, Loss::softmaxBackward, f(dx), dx.offset(), f(dOut),
                        dOut.offset(), f(out), out.offset(), rows, cols),
                dx.offset(), dOut.offset(), out.offset(), rows, cols);
    }

    // ------------------------------------------------------------------------------------------------ activations

    @Override
    public void swigluForward(Tensor out, Tensor gate, Tensor up, int n) {
        record("swigluForward", new Object[]{f(gate), f(up)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Elementwise::swigluForward, f(out), out.offset(), f(gate),
                        gate.offset(), f(up), up.offset(), n),
                out.offset(), gate.offset(), up.offset(), n);
    }

    @Override
    public void swigluBackward(Tensor dGate, Tensor dUp, Tensor dOut, Tensor gate, Tensor up, int n) {
        if (dGate != null) {
            record("swigluBackwardGate", new Object[]{f(dOut), f(gate), f(up)}, new Object[]{f(dGate)},
                    (g, name, grid, graph) -> g.task(name, Elementwise::swigluBackwardGate, f(dGate),
                            dGate.offset(), f(dOut), dOut.offset(), f(gate), gate.offset(), f(up), up.offset(), n),
                    dGate.offset(), dOut.offset(), gate.offset(), up.offset(), n);
        }
        if (dUp != null) {
            record("swigluBackwardUp", new Object[]{f(dOut), f(gate)}, new Object[]{f(dUp)},
                    (g, name, grid, graph) -> g.task(name, Elementwise::swigluBackwardUp, f(dUp), dUp.offset(),
                            f(dOut), dOut.offset(), f(gate), gate.offset(), n),
                    dUp.offset(), dOut.offset(), gate.offset(), n);
        }
    }

    @Override
    public void geluForward(Tensor out, Tensor x, int n) {
        record("geluForward", new Object[]{f(x)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Elementwise::geluForward, f(out), out.offset(), f(x),
                        x.offset(), n),
                out.offset(), x.offset(), n);
    }

    @Override
    public void geluBackward(Tensor dx, Tensor dOut, Tensor x, int n) {
        record("geluBackward", new Object[]{f(dOut), f(x)}, new Object[]{f(dx)},
                (g, name, grid, graph) -> g.task(name, Elementwise::geluBackward, f(dx), dx.offset(), f(dOut),
                        dOut.offset(), f(x), x.offset(), n),
                dx.offset(), dOut.offset(), x.offset(), n);
    }

    @Override
    public void add(Tensor out, Tensor a, Tensor b, int n) {
        record("add", new Object[]{f(a), f(b)}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Elementwise::add, f(out), out.offset(), f(a), a.offset(), f(b),
                        b.offset(), n),
                out.offset(), a.offset(), b.offset(), n);
    }

    @Override
    public void accumulate(Tensor dst, Tensor src, float scale, int n) {
        record("accumulate", new Object[]{f(src)}, new Object[]{f(dst)},
                (g, name, grid, graph) -> g.task(name, Elementwise::accumulate, f(dst), dst.offset(), f(src),
                        src.offset(), scale, n),
                dst.offset(), src.offset(), scale, n);
    }

    // ------------------------------------------------------------------------------------------------ loss

    @Override
    public void crossEntropyForward(Tensor losses, Tensor probs, Tensor logits, IntTensor targets, int n, int vocab) {
        record("crossEntropyForward", new Object[]{f(logits), i(targets)}, new Object[]{f(losses), f(probs)},
                (g, name, grid, graph) -> g.task(name, Loss::crossEntropyForward, f(losses), losses.offset(),
                        f(probs), probs.offset(), f(logits), logits.offset(), i(targets), targets.offset(), n, vocab),
                losses.offset(), probs.offset(), logits.offset(), targets.offset(), n, vocab);
    }

    @Override
    public void crossEntropyBackward(Tensor dLogits, Tensor probs, IntTensor targets, Tensor weights, int n,
                                     int vocab) {
        record("crossEntropyBackward", new Object[]{f(probs), i(targets), f(weights)}, new Object[]{f(dLogits)},
                (g, name, grid, graph) -> g.task(name, Loss::crossEntropyBackward, f(dLogits), dLogits.offset(),
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
        if (recorded == null) {
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
                      int n) {
        FloatArray norm2 = gradNormSquared == null ? dummy : f(gradNormSquared);
        int normOff = gradNormSquared == null ? 0 : gradNormSquared.offset();
        String where = id(f(params)) + ":" + params.offset() + "/" + id(f(grads)) + ":" + grads.offset() + "/" + n;
        FloatArray hyper = hypers.computeIfAbsent(where, k -> new FloatArray(Optimizer.HYPER_SIZE));
        hyper.set(Optimizer.LR, s.lr());
        hyper.set(Optimizer.BETA1, s.beta1());
        hyper.set(Optimizer.BETA2, s.beta2());
        hyper.set(Optimizer.EPS, s.eps());
        hyper.set(Optimizer.DECAY, s.weightDecay());
        hyper.set(Optimizer.MAX_NORM, gradNormSquared == null ? 0f : s.maxGradNorm());
        hyper.set(Optimizer.CORRECTION1, (float) (1.0 - Math.pow(s.beta1(), s.step())));
        hyper.set(Optimizer.CORRECTION2, (float) (1.0 - Math.pow(s.beta2(), s.step())));
        record("adamw", new Object[]{f(grads), norm2, hyper}, new Object[]{f(params), f(m), f(v)},
                (g, name, grid, graph) -> g.task(name, Optimizer::adamw, f(params), params.offset(), f(grads),
                        grads.offset(), f(m), m.offset(), f(v), v.offset(), norm2, normOff, hyper, n),
                params.offset(), grads.offset(), m.offset(), v.offset(), normOff, n);
    }

    @Override
    public String toString() {
        return "TornadoEngine[" + deviceName() + ", " + compiles + " graphs compiled, " + launches + " launches]";
    }

    /** Debug summary: the cached graphs by name. */
    Map<String, String> graphNames() {
        Map<String, String> names = new LinkedHashMap<>();
        graphs.forEach((k, g) -> names.put(g.name(), k));
        return names;
    }
}
