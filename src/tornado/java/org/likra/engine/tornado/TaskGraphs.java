package org.likra.engine.tornado;

import org.likra.util.UserError;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How the tornado engine's operations become TornadoVM task graphs and run: recording, the graph cache, the copying
 * graphs and the {@link ResidentPlan}, and the transfer bookkeeping between host and device. {@link TornadoEngine}
 * turns each operation into an {@link Op} (its kernel tasks, the arrays it reads and writes, and a signature) and
 * hands it to {@link #record}; this class decides when and in which graph it runs.
 *
 * <p><b>Task graphs.</b> Operations between {@link #beginRegion} and {@link #endRegion} are recorded, not run; at
 * {@code endRegion} they become one {@link TaskGraph} (one named task per operation, {@code t0_linearForward}, ...)
 * wrapped in a {@link TornadoExecutionPlan} that is compiled on first use and cached under the region's name and the
 * exact sequence of operations (kernels, arrays, offsets, shapes). A training step therefore compiles each region
 * once and then replays it. A region longer than {@code maxTasks} operations is cut into consecutive graphs of at
 * most that many tasks (see {@link TornadoEngine}'s static initialiser and docs/tornadovm.md for why). Operations
 * outside regions run at once as one-task graphs, cached the same way.
 *
 * <p><b>Transfers.</b> TornadoVM keeps a device buffer per array <em>per task graph</em>, and shares one between the
 * graphs of a single {@link TornadoExecutionPlan} only by handing it from the graph executed last to the next
 * ({@code consumeFromDevice}/{@code persistOnDevice}). Graphs therefore run in two modes:
 * <ul>
 * <li><em>Copying graphs</em> (how every graph runs first): each graph is its own plan, copies every array it
 * touches to the device on every execution and the arrays it writes back after it
 * ({@link DataTransferMode#EVERY_EXECUTION}), so the host copy is current between graphs and graphs compose in any
 * order.</li>
 * <li><em>The resident plan.</em> A training step runs the same sequence of graphs every time. When the sequence of
 * copying runs repeats (the last p runs equal the p before them), those graphs are built into one plan
 * ({@link ResidentPlan}) that keeps every array the step touches on the device. After warm-up a training step moves
 * the inputs to the device and the loss back, nothing else ({@link #counters()} counts the bytes). A graph the plan
 * does not hold (a new shape, another command) runs as a copying graph, fetching what it needs first; if a new
 * sequence repeats, the plan is rebuilt with it.</li>
 * </ul>
 * Before the host reads an array it calls {@link #beforeHostRead} (the device's newer copy is fetched), after it
 * wrote one {@link #afterHostWrite} (the device's copy is out of date).
 *
 * <p>Not thread-safe: one engine, one thread.
 */
final class TaskGraphs implements AutoCloseable {
    /** Adds one operation's task(s) to a task graph. */
    @FunctionalInterface
    interface Tasks {
        void add(TaskGraph graph, String taskName, GridScheduler grid, String graphName);
    }

    /** One recorded operation: its signature (kind, array ids, offsets, shapes), the arrays it reads and writes. */
    record Op(String signature, Object[] reads, Object[] writes, Tasks tasks) {
    }

    /**
     * A region's operations as one self-contained task graph in its own execution plan (the copying mode): it copies
     * every array it touches to the device when it runs and the arrays it writes back after.
     */
    record Graph(TornadoExecutionPlan plan, String region, List<Op> ops, List<Object> touched, List<Object> written,
                 long bytesIn, long bytesOut) {
    }

    private final TornadoDevice device;
    private final boolean regions;
    private final int maxTasks;
    private final boolean resident;
    private final Map<Object, Integer> ids = new IdentityHashMap<>();
    private final Map<String, Graph> graphs = new HashMap<>();
    private String region;
    private List<Op> recorded;
    private int graphCount;
    private long compiles;
    private long launches;
    private long residentPlans;
    private long hostToDeviceBytes;
    private long deviceToHostBytes;
    // Keys of the copying runs since the resident plan was last built, and each key's last position among them.
    private final List<String> history = new ArrayList<>();
    private final Map<String, Integer> lastRun = new HashMap<>();
    private ResidentPlan residentPlan;

    /**
     * @param regions  whether regions become graphs (false: every operation runs as its own graph)
     * @param maxTasks the most tasks one graph holds (a longer region is cut)
     * @param resident whether to build the resident plan (false: copying graphs only)
     */
    TaskGraphs(TornadoDevice device, boolean regions, int maxTasks, boolean resident) {
        this.device = device;
        this.regions = regions;
        this.maxTasks = maxTasks;
        this.resident = resident;
    }

    /**
     * Executes a plan. TornadoVM refuses allocations beyond its own budget, {@code tornado.device.memory} (default
     * 4GB, whatever the device has); that refusal becomes one line that says how to raise the budget.
     */
    static TornadoExecutionResult execute(TornadoExecutionPlan executionPlan, TornadoDevice device) {
        try {
            return executionPlan.execute();
        } catch (TornadoOutOfMemoryException e) {
            long deviceBytes = device.getMaxGlobalMemory();
            throw new UserError("TornadoVM's device-memory budget is spent (tornado.device.memory = "
                    + System.getProperty("tornado.device.memory", "4GB") + "; " + TornadoDevices.describe(device)
                    + " has " + (deviceBytes >> 20) + " MB): raise it, e.g. JAVA_TOOL_OPTIONS=-Dtornado.device.memory="
                    + Math.max(1, (deviceBytes >> 30) * 9 / 10) + "GB, or train a smaller batch or model", e);
        }
    }

    /** A small number naming an array in operation signatures (the same array, the same number). */
    int id(Object array) {
        return ids.computeIfAbsent(array, k -> ids.size());
    }

    /** Running totals: bytes copied each way, graph launches, graphs compiled, resident plans built. */
    Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("hostToDeviceBytes", hostToDeviceBytes);
        counters.put("deviceToHostBytes", deviceToHostBytes);
        counters.put("graphLaunches", launches);
        counters.put("graphsCompiled", compiles);
        counters.put("residentPlans", residentPlans);
        return counters;
    }

    // ------------------------------------------------------------------------------------------------ recording

    /** Whether a region is being recorded. */
    boolean recording() {
        return recorded != null;
    }

    /** Whether regions become graphs (else every operation runs as its own graph and regions are ignored). */
    boolean regionsEnabled() {
        return regions;
    }

    void beginRegion(String name) {
        if (!regions) {
            return;
        }
        if (region != null) {
            throw new IllegalStateException("region " + name + " opened inside region " + region);
        }
        region = name;
        recorded = new ArrayList<>();
    }

    void endRegion() {
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

    /**
     * Records an operation of the given kind: inside a region it joins the region's graph, outside it runs at once as
     * its own graph. The signature is the kind, the ids of the arrays read and written, and the shape values (the
     * offsets and sizes its tasks were built with): two operations with equal signatures run the same tasks.
     */
    void record(String kind, Object[] reads, Object[] writes, Tasks tasks, Object... shape) {
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

    /** Before a host access inside a region: runs what the region has recorded so far, then goes on recording. */
    void flushRecorded() {
        if (recorded != null && !recorded.isEmpty()) {
            run(region + "~part", recorded);
            recorded = new ArrayList<>();
        }
    }

    // ------------------------------------------------------------------------------------------------ running

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
            int index = residentPlan.indexOf(key);
            if (index >= 0) {
                hostToDeviceBytes += residentPlan.run(index);
                launches++;
                return;
            }
        }
        Graph graph = graphs.computeIfAbsent(key, k -> build(name, ops));
        for (Object a : graph.touched()) {
            beforeHostRead(a);
        }
        execute(graph.plan(), device);
        launches++;
        hostToDeviceBytes += graph.bytesIn();
        deviceToHostBytes += graph.bytesOut();
        for (Object a : graph.written()) {
            afterHostWrite(a);
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

    /** Bytes of a {@link FloatArray} or {@link IntArray}. */
    static long bytes(Object array) {
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
    static void addTasks(TaskGraph graph, List<Op> ops, GridScheduler grid, String graphName) {
        int task = 0;
        for (Op op : ops) {
            op.tasks().add(graph, "t" + task++ + "_" + op.signature().split(" ", 2)[0], grid, graphName);
        }
    }

    /** A graph name from a region name (letters and digits kept, the rest '_') and the next graph number. */
    private String nextGraphName(String region) {
        return region.replaceAll("[^A-Za-z0-9]", "_") + "_" + graphCount++;
    }

    private Graph build(String name, List<Op> ops) {
        String graphName = nextGraphName(name);
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
        return new Graph(plan, name, ops, all, written, bytes(all), bytes(written));
    }

    // ------------------------------------------------------------------------------------------------ residency

    /**
     * Called after every copying run. A training step runs the same sequence of graphs every time; when the last
     * {@code p} copying runs repeat the {@code p} runs before them exactly (p &gt;= 2), that sequence is a step, and
     * the resident plan is (re)built to hold its graphs and those of the previous plan that ran since it was built (a
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
            for (String used : residentPlan.usedKeys()) {
                step.put(used, residentPlan.graph(used));
            }
        }
        for (int k = before + 1; k <= now; k++) {
            step.put(history.get(k), graphs.get(history.get(k)));
        }
        buildResidentPlan(step);
    }

    private void buildResidentPlan(Map<String, Graph> step) {
        releaseResidentPlan();
        residentPlan = new ResidentPlan(step, device, this::nextGraphName);
        compiles += residentPlan.compiledGraphs();
        residentPlans++;
        history.clear();
        lastRun.clear();
    }

    private void releaseResidentPlan() {
        if (residentPlan != null) {
            deviceToHostBytes += residentPlan.release();
        }
    }

    /** Before the host reads an array (a download, or a copying graph that takes it): fetches a newer device copy. */
    void beforeHostRead(Object array) {
        if (residentPlan != null) {
            deviceToHostBytes += residentPlan.fetch(array);
        }
    }

    /** After the host (or a copying graph) wrote an array: the resident device copy, if any, is out of date. */
    void afterHostWrite(Object array) {
        if (residentPlan != null) {
            residentPlan.deviceCopyStale(array);
        }
    }

    /** Copies what only the device holds back to the host and frees every plan's device memory. */
    @Override
    public void close() {
        releaseResidentPlan();
        residentPlan = null;
        for (Graph g : graphs.values()) {
            try {
                g.plan().close();
            } catch (Exception e) {
                // freeing device memory at shutdown is best effort
            }
        }
        graphs.clear();
    }
}
