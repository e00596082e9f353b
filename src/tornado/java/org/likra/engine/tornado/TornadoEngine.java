package org.likra.engine.tornado;

import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.Gradient;
import org.likra.engine.IntTensor;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;
import org.likra.kernels.Attention;
import org.likra.kernels.Pointwise;
import org.likra.kernels.Embeddings;
import org.likra.kernels.Losses;
import org.likra.kernels.MatMul;
import org.likra.kernels.Norms;
import org.likra.kernels.Optimizer;
import org.likra.kernels.Reductions;
import org.likra.kernels.Rope;
import org.likra.kernels.Transfers;
import org.likra.util.UserError;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoOutOfMemoryException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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
 * consecutive graphs of at most that many tasks. The cut began as a workaround: a layer's backward pass as one graph
 * of 24 or more tasks outgrew TornadoVM's graph bytecode buffer and silently ran as sequential Java (see the static
 * initialiser); with the larger buffer set there, whole regions are exact too (docs/tornadovm.md).
 * Operations outside regions run as one-task graphs, cached the same way. Values that change
 * every step (AdamW's learning rate and bias corrections) travel in a small hyper-parameter array rather than as
 * compiled-in constants, so the optimizer's graphs are reused too.
 *
 * <p><b>Transfers.</b> TornadoVM keeps a device buffer per array <em>per task graph</em>, and shares one between the
 * graphs of a single {@link TornadoExecutionPlan} only by handing it from the graph executed last to the next
 * ({@code consumeFromDevice}/{@code persistOnDevice}). The engine therefore runs in two modes:
 * <ul>
 * <li><em>Copying graphs</em> (how every graph runs first): each graph is its own plan, copies every array it
 * touches to the device on every execution and the arrays it writes back after it
 * ({@link DataTransferMode#EVERY_EXECUTION}), so the host copy is current between graphs and graphs compose in any
 * order.</li>
 * <li><em>The resident plan.</em> A training step runs the same sequence of graphs every time. When the sequence of
 * copying runs repeats (the last p runs equal the p before them), those graphs are built into one plan
 * ({@link ResidentPlan}) in which every graph consumes and persists the whole set of arrays the step touches, so
 * each array's buffer passes from graph to graph in whatever order they run. An array is copied in once, by a
 * one-task load graph, before the first graph that touches it, and again only after the host wrote it
 * ({@code upload}, AdamW's per-step hyper-parameters); arrays the device wrote are copied back only when the host
 * reads them ({@code download}, or a copying graph that touches them). After warm-up a training step moves the
 * inputs to the device and the loss back, nothing else ({@link #counters()} counts the bytes). A graph the plan
 * does not hold (a new shape, another command) runs as a copying graph, fetching what it needs first; if a new
 * sequence repeats, the plan is rebuilt with it.</li>
 * </ul>
 * {@code zero} runs as a task inside regions and out, so that zeroing the gradients every step stays on the device.
 *
 * <p><b>Switches</b> (system properties, for diagnosis): {@code likra.tornado.tiled=false} uses the plain
 * {@code @Parallel} matrix product instead of the local-memory tiled one; {@code likra.tornado.regions=false} runs
 * every operation as its own graph; {@code likra.tornado.maxTasks=N} as above; {@code likra.tornado.resident=false}
 * never builds the resident plan (copying graphs only).
 */
public final class TornadoEngine implements Engine {
    static {
        // TornadoVM reads these options once, when its runtime starts, which is after this class is initialised.
        // It encodes each task graph's schedule (allocations, copies, launches, dependencies) in a bytecode buffer of
        // tornado.tvm.maxbytecodesize bytes, 4096 by default: a layer's backward region of 24 or more tasks overflows
        // it. The overflow is caught and becomes a "bailout" that, with tornado.recover.bailout (on by default), runs
        // the graph's tasks as sequential Java on the host without a word, which is wrong for the KernelContext
        // matrix product: those regions left their outputs wrong. A larger buffer, and bailouts as exceptions.
        if (System.getProperty("tornado.tvm.maxbytecodesize") == null) {
            System.setProperty("tornado.tvm.maxbytecodesize", "65536");
        }
        if (System.getProperty("tornado.recover.bailout") == null) {
            System.setProperty("tornado.recover.bailout", "false");
        }
    }

    private final TornadoDevice device;
    private final boolean tiled;
    private final boolean regions;
    private final int maxTasks;
    private final boolean resident;
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
    /** Bytes of the tensors allocated so far ({@link #allocatedBytes}): host arrays, each mirrored on the device. */
    private long allocatedBytes;
    private long residentPlans;
    private long hostToDeviceBytes;
    private long deviceToHostBytes;
    // Keys of the copying runs since the resident plan was last built, and each key's last position among them.
    private final List<String> history = new ArrayList<>();
    private final Map<String, Integer> lastRun = new HashMap<>();
    private ResidentPlan residentPlan;

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
        this.resident = !"false".equals(System.getProperty("likra.tornado.resident", "true"));
    }

    /**
     * Executes a plan. TornadoVM refuses allocations beyond its own budget, {@code tornado.device.memory} (default
     * 4GB, whatever the device has); that refusal becomes one line that says how to raise the budget.
     */
    private TornadoExecutionResult execute(TornadoExecutionPlan executionPlan) {
        try {
            return executionPlan.execute();
        } catch (TornadoOutOfMemoryException e) {
            long deviceBytes = device.getMaxGlobalMemory();
            throw new UserError("TornadoVM's device-memory budget is spent (tornado.device.memory = "
                    + System.getProperty("tornado.device.memory", "4GB") + "; " + deviceName() + " has "
                    + (deviceBytes >> 20) + " MB): raise it, e.g. JAVA_TOOL_OPTIONS=-Dtornado.device.memory="
                    + Math.max(1, (deviceBytes >> 30) * 9 / 10) + "GB, or train a smaller batch or model", e);
        }
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

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("hostToDeviceBytes", hostToDeviceBytes);
        counters.put("deviceToHostBytes", deviceToHostBytes);
        counters.put("graphLaunches", launches);
        counters.put("graphsCompiled", compiles);
        counters.put("residentPlans", residentPlans);
        return counters;
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
        hostRead(a);
        for (int k = 0; k < dst.length(); k++) {
            a.set(dst.offset() + k, src[srcOffset + k]);
        }
        hostWrote(a);
    }

    @Override
    public void upload(Tensor dst, double[] src, int srcOffset) {
        hostAccess();
        FloatArray a = f(dst);
        hostRead(a);
        for (int k = 0; k < dst.length(); k++) {
            a.set(dst.offset() + k, (float) src[srcOffset + k]);
        }
        hostWrote(a);
    }

    @Override
    public void upload(IntTensor dst, int[] src, int srcOffset) {
        hostAccess();
        IntArray a = i(dst);
        hostRead(a);
        for (int k = 0; k < dst.length(); k++) {
            a.set(dst.offset() + k, src[srcOffset + k]);
        }
        hostWrote(a);
    }

    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        hostAccess();
        FloatArray a = f(src);
        hostRead(a);
        for (int k = 0; k < src.length(); k++) {
            dst[dstOffset + k] = a.get(src.offset() + k);
        }
    }

    @Override
    public void download(Tensor src, double[] dst, int dstOffset) {
        hostAccess();
        FloatArray a = f(src);
        hostRead(a);
        for (int k = 0; k < src.length(); k++) {
            dst[dstOffset + k] = a.get(src.offset() + k);
        }
    }

    @Override
    public void zero(Tensor t) {
        // A task even outside regions, so that zeroing a resident array (the gradients, every step) stays on the
        // device.
        record("zero", new Object[]{}, new Object[]{f(t)},
                (g, name, grid, graph) -> g.task(name, Pointwise::zero, f(t), t.offset(), t.length()),
                t.offset(), t.length());
    }

    // ------------------------------------------------------------------------------------------------ graphs

    /** Adds one operation's task(s) to a task graph. */
    @FunctionalInterface
    private interface Tasks {
        void add(TaskGraph graph, String taskName, GridScheduler grid, String graphName);
    }

    private record Op(String signature, Object[] reads, Object[] writes, Tasks tasks) {
    }

    /**
     * A region's operations as one self-contained task graph in its own execution plan (the copying mode): it copies
     * every array it touches to the device when it runs and the arrays it writes back after.
     */
    private record Graph(TornadoExecutionPlan plan, String name, String region, List<Op> ops, List<Object> touched,
                         List<Object> written, long bytesIn, long bytesOut) {
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

    /**
     * Runs one graph's worth of operations: in the resident plan when it holds this exact graph, otherwise as a
     * copying graph; copying runs are watched for a repeating sequence, which (re)builds the resident plan.
     */
    private void run(String name, List<Op> ops) {
        StringBuilder keyBuilder = new StringBuilder(name);
        for (Op op : ops) {
            keyBuilder.append(" | ").append(op.signature());
        }
        String key = keyBuilder.toString();
        if (residentPlan != null) {
            Integer index = residentPlan.graphIndex.get(key);
            if (index != null) {
                residentPlan.run(index);
                launches++;
                return;
            }
        }
        Graph graph = graphs.computeIfAbsent(key, k -> build(name, ops));
        for (Object a : graph.touched()) {
            hostRead(a);
        }
        execute(graph.plan());
        launches++;
        hostToDeviceBytes += graph.bytesIn();
        deviceToHostBytes += graph.bytesOut();
        for (Object a : graph.written()) {
            hostWrote(a);
        }
        if (resident) {
            watchForRepetition(key);
        }
    }

    /** The arrays the operations read or write, each once, in first-use order. */
    private static List<Object> touchedArrays(List<Op> ops) {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Object> all = new ArrayList<>();
        for (Op op : ops) {
            for (Object a : op.reads()) {
                if (seen.add(a)) {
                    all.add(a);
                }
            }
            for (Object a : op.writes()) {
                if (seen.add(a)) {
                    all.add(a);
                }
            }
        }
        return all;
    }

    /** The arrays the operations write, each once. */
    private static List<Object> writtenArrays(List<Op> ops) {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Object> written = new ArrayList<>();
        for (Op op : ops) {
            for (Object a : op.writes()) {
                if (seen.add(a)) {
                    written.add(a);
                }
            }
        }
        return written;
    }

    private static long bytes(Object array) {
        return array instanceof FloatArray f ? 4L * f.getSize() : 4L * ((IntArray) array).getSize();
    }

    private static long bytes(List<Object> arrays) {
        long sum = 0;
        for (Object a : arrays) {
            sum += bytes(a);
        }
        return sum;
    }

    /** Adds the operations' tasks to a graph, named t0_linearForward, ... */
    private static void addTasks(TaskGraph graph, List<Op> ops, GridScheduler grid, String graphName) {
        int task = 0;
        for (Op op : ops) {
            op.tasks().add(graph, "t" + task++ + "_" + op.signature().split(" ", 2)[0], grid, graphName);
        }
    }

    private static String graphName(String region, int number) {
        return region.replaceAll("[^A-Za-z0-9]", "_") + "_" + number;
    }

    private Graph build(String name, List<Op> ops) {
        String graphName = graphName(name, graphCount++);
        List<Object> all = touchedArrays(ops);
        List<Object> written = writtenArrays(ops);
        TaskGraph graph = new TaskGraph(graphName);
        graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, all.toArray());
        GridScheduler grid = new GridScheduler();
        addTasks(graph, ops, grid, graphName);
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, written.toArray());
        ImmutableTaskGraph snapshot = graph.snapshot();
        TornadoExecutionPlan plan = new TornadoExecutionPlan(snapshot);
        plan.withDevice(device);
        if (!grid.keySet().isEmpty()) {
            plan.withGridScheduler(grid);
        }
        compiles++;
        return new Graph(plan, graphName, name, ops, all, written, bytes(all), bytes(written));
    }

    // ------------------------------------------------------------------------------------------------ residency

    /**
     * Called after every copying run. A training step runs the same sequence of graphs every time; when the last
     * {@code p} copying runs repeat the {@code p} runs before them exactly (p &gt;= 2), that sequence is a step, and the
     * resident plan is (re)built to hold its graphs and those of the previous plan that ran since it was built (a
     * rebuild compiles every graph of the plan again, so graphs no longer in use are dropped).
     */
    private void watchForRepetition(String key) {
        int now = history.size();
        history.add(key);
        Integer before = lastRun.put(key, now);
        if (before == null) {
            return;
        }
        int period = now - before;
        if (period < 2 || before - period + 1 < 0) {
            return;
        }
        for (int k = 0; k < period; k++) {
            if (!history.get(now - k).equals(history.get(before - k))) {
                return;
            }
        }
        Map<String, Graph> step = new LinkedHashMap<>();
        if (residentPlan != null) {
            for (String used : residentPlan.used) {
                step.put(used, residentPlan.graphs.get(used));
            }
        }
        for (int k = before + 1; k <= now; k++) {
            step.put(history.get(k), graphs.get(history.get(k)));
        }
        buildResidentPlan(step);
    }

    private void buildResidentPlan(Map<String, Graph> step) {
        if (residentPlan != null) {
            residentPlan.release();
        }
        residentPlan = new ResidentPlan(step);
        history.clear();
        lastRun.clear();
    }

    /**
     * Before the host reads an array (a download, or a copying graph that takes it): fetch it if the device's copy is
     * newer.
     */
    private void hostRead(Object array) {
        if (residentPlan != null) {
            residentPlan.fetch(array);
        }
    }

    /** After the host (or a copying graph) wrote an array: the resident device copy, if any, is out of date. */
    private void hostWrote(Object array) {
        if (residentPlan != null) {
            residentPlan.onDevice.remove(array);
        }
    }

    /**
     * One {@link TornadoExecutionPlan} holding the graphs of a training step, which share their device buffers.
     *
     * <p>TornadoVM 5.2 shares a buffer between the graphs of one plan only as "consume from the graph executed last":
     * before a graph runs, {@code TornadoTaskGraph.updatePersistedObjectState} points each array the graph
     * {@code consumeFromDevice}s at the buffer the previously executed graph of the plan holds for it. So every graph
     * here declares the whole set of arrays the step touches: it consumes all of them, whether its
     * tasks use them or not, and {@code persistOnDevice}s all of them (no copy back, buffers kept), and each graph hands
     * every buffer on to whichever graph runs next, in any order. A graph's own transfers are therefore none.
     *
     * <p>Data enters through one load graph per array: it consumes the others, copies its array in
     * ({@link DataTransferMode#EVERY_EXECUTION}) to a buffer of its own, and its single task
     * ({@link Transfers#receiveFloats}) computes nothing. An array is loaded before the first graph that touches it
     * runs and again only after the host wrote it ({@link #onDevice} tracks which device copies are current); an
     * array whose device copy is newer than the host's ({@link #hostStale}) is copied back only when the host reads
     * it, with {@code transferToHost} on the last execution's result (the executed graph holds every buffer).
     */
    private final class ResidentPlan {
        final Map<String, Graph> graphs;
        final Map<String, Integer> graphIndex = new HashMap<>();
        final List<List<Object>> touchedByGraph = new ArrayList<>();
        final List<List<Object>> writtenByGraph = new ArrayList<>();
        final Map<Object, Integer> loadIndex = new IdentityHashMap<>();
        final Set<Object> onDevice = Collections.newSetFromMap(new IdentityHashMap<>());
        final Set<Object> hostStale = Collections.newSetFromMap(new IdentityHashMap<>());
        // Keys of the graphs that ran, in first-run order.
        final Set<String> used = new LinkedHashSet<>();
        final List<String> keys = new ArrayList<>();
        final TornadoExecutionPlan plan;
        TornadoExecutionResult lastExecution;

        ResidentPlan(Map<String, Graph> graphs) {
            this.graphs = graphs;
            Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            List<Object> all = new ArrayList<>();
            for (Graph g : graphs.values()) {
                for (Object a : g.touched()) {
                    if (seen.add(a)) {
                        all.add(a);
                    }
                }
            }
            Object[] everything = all.toArray();
            List<ImmutableTaskGraph> snapshots = new ArrayList<>();
            GridScheduler grid = new GridScheduler();
            for (Map.Entry<String, Graph> e : graphs.entrySet()) {
                Graph g = e.getValue();
                String name = graphName("resident_" + g.region(), graphCount++);
                TaskGraph graph = new TaskGraph(name);
                graph.consumeFromDevice(everything);
                addTasks(graph, g.ops(), grid, name);
                graph.persistOnDevice(everything);
                graphIndex.put(e.getKey(), snapshots.size());
                keys.add(e.getKey());
                touchedByGraph.add(g.touched());
                writtenByGraph.add(g.written());
                snapshots.add(graph.snapshot());
            }
            for (Object a : all) {
                String name = "load_" + graphCount++;
                TaskGraph graph = new TaskGraph(name);
                Object[] others = all.stream().filter(o -> o != a).toArray();
                if (others.length > 0) {
                    graph.consumeFromDevice(others);
                }
                graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, a);
                if (a instanceof FloatArray floats) {
                    graph.task("receive", Transfers::receiveFloats, floats);
                } else {
                    graph.task("receive", Transfers::receiveInts, (IntArray) a);
                }
                graph.persistOnDevice(everything);
                loadIndex.put(a, snapshots.size());
                snapshots.add(graph.snapshot());
            }
            plan = new TornadoExecutionPlan(snapshots.toArray(new ImmutableTaskGraph[0]));
            plan.withDevice(device);
            if (!grid.keySet().isEmpty()) {
                plan.withGridScheduler(grid);
            }
            compiles += snapshots.size();
            residentPlans++;
        }

        /** Runs graph {@code index}: loads what it touches that is not current on the device, then executes it. */
        void run(int index) {
            for (Object a : touchedByGraph.get(index)) {
                if (!onDevice.contains(a)) {
                    lastExecution = execute(plan.withGraph(loadIndex.get(a)));
                    onDevice.add(a);
                    hostToDeviceBytes += bytes(a);
                }
            }
            lastExecution = execute(plan.withGraph(index));
            hostStale.addAll(writtenByGraph.get(index));
            used.add(keys.get(index));
        }

        /** Copies an array to the host if the device holds a newer copy. */
        void fetch(Object array) {
            if (hostStale.remove(array)) {
                lastExecution.transferToHost(array);
                deviceToHostBytes += bytes(array);
            }
        }

        /** Copies every array whose device copy is newer to the host, then frees the device buffers. */
        void release() {
            for (Object a : new ArrayList<>(hostStale)) {
                fetch(a);
            }
            onDevice.clear();
            try {
                plan.close();
            } catch (Exception e) {
                // freeing device memory is best effort; the host copies are current
            }
        }
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
        if (residentPlan != null) {
            residentPlan.release();
            residentPlan = null;
        }
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

    /** An overwritten gradient is zeroed (a task), then every gradient is added to. */
    @Override
    public void linearBackward(Tensor dx, Gradient dxGradient, Tensor dWeight, Tensor dBias, Gradient weightGradients,
                               Tensor dOut, Tensor x, Tensor weight, int n, int inDim, int outDim) {
        if (dxGradient == Gradient.OVERWRITE && dx != null) {
            zero(dx);
        }
        if (weightGradients == Gradient.OVERWRITE) {
            if (dWeight != null) {
                zero(dWeight);
            }
            if (dBias != null) {
                zero(dBias);
            }
        }
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

    /** An overwritten dx is zeroed (a task), then added to. */
    @Override
    public void geluBackward(Tensor dx, Gradient dxGradient, Tensor dOut, Tensor x, int n) {
        if (dxGradient == Gradient.OVERWRITE) {
            zero(dx);
        }
        record("geluBackward", new Object[]{f(dOut), f(x)}, new Object[]{f(dx)},
                (g, name, grid, graph) -> g.task(name, Pointwise::geluBackward, f(dx), dx.offset(), f(dOut),
                        dOut.offset(), f(x), x.offset(), n),
                dx.offset(), dOut.offset(), x.offset(), n);
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
        record("crossEntropyForward", new Object[]{f(logits), i(targets)}, new Object[]{f(losses), f(probs)},
                (g, name, grid, graph) -> g.task(name, Losses::crossEntropyForward, f(losses), losses.offset(),
                        f(probs), probs.offset(), f(logits), logits.offset(), i(targets), targets.offset(), n, vocab),
                losses.offset(), probs.offset(), logits.offset(), targets.offset(), n, vocab);
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
                      float lr, int step, int n) {
        FloatArray norm2 = gradNormSquared == null ? dummy : f(gradNormSquared);
        int normOff = gradNormSquared == null ? 0 : gradNormSquared.offset();
        String where = id(f(params)) + ":" + params.offset() + "/" + id(f(grads)) + ":" + grads.offset() + "/" + n;
        FloatArray hyper = hypers.computeIfAbsent(where, k -> new FloatArray(Optimizer.HYPER_SIZE));
        hostRead(hyper);
        hyper.set(Optimizer.LR, lr);
        hyper.set(Optimizer.BETA1, s.beta1());
        hyper.set(Optimizer.BETA2, s.beta2());
        hyper.set(Optimizer.EPS, s.eps());
        hyper.set(Optimizer.DECAY, s.weightDecay());
        hyper.set(Optimizer.MAX_NORM, gradNormSquared == null ? 0f : s.maxGradNorm());
        hyper.set(Optimizer.CORRECTION1, (float) (1.0 - Math.pow(s.beta1(), step)));
        hyper.set(Optimizer.CORRECTION2, (float) (1.0 - Math.pow(s.beta2(), step)));
        hostWrote(hyper);
        record("adamw", new Object[]{f(grads), norm2, hyper}, new Object[]{f(params), f(m), f(v)},
                (g, name, grid, graph) -> g.task(name, Optimizer::adamw, f(params), params.offset(), f(grads),
                        grads.offset(), f(m), m.offset(), f(v), v.offset(), norm2, normOff, hyper, n),
                params.offset(), grads.offset(), m.offset(), v.offset(), normOff, n);
    }

    @Override
    public String toString() {
        return "TornadoEngine[" + deviceName() + ", " + compiles + " graphs compiled, " + launches + " launches, "
                + hostToDeviceBytes + " bytes to the device, " + deviceToHostBytes + " bytes back]";
    }
}
