package org.likra.engine.tornado;

import org.likra.engine.tornado.TaskGraphs.Graph;
import org.likra.kernels.Transfers;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One {@link TornadoExecutionPlan} holding the graphs of a training step, which share their device buffers.
 *
 * <p>TornadoVM 5.2 shares a buffer between the graphs of one plan only as "consume from the graph executed last":
 * before a graph runs, {@code TornadoTaskGraph.updatePersistedObjectState} points each array the graph
 * {@code consumeFromDevice}s at the buffer the previously executed graph of the plan holds for it. So every graph
 * here declares the whole set of arrays the step touches: it consumes all of them, whether its tasks use them or not,
 * and {@code persistOnDevice}s all of them (no copy back, buffers kept), and each graph hands every buffer on to
 * whichever graph runs next, in any order. A graph's own transfers are therefore none.
 *
 * <p>Data enters through one load graph per array: it consumes the others, copies its array in
 * ({@link DataTransferMode#EVERY_EXECUTION}) to a buffer of its own, and its single task
 * ({@link Transfers#receiveFloats}) computes nothing. An array is loaded before the first graph that touches it
 * runs and again only after the host wrote it ({@link #onDevice} tracks which device copies are current); an
 * array whose device copy is newer than the host's ({@link #hostStale}) is copied back only when the host reads
 * it, with {@code transferToHost} on the last execution's result (the executed graph holds every buffer).
 *
 * <p>The methods that move data return the bytes they moved, for {@link TaskGraphs#counters()}.
 */
final class ResidentPlan {
    private final TornadoDevice device;
    private final Map<String, Graph> graphs;
    private final Map<String, Integer> graphIndex = new HashMap<>();
    private final List<List<Object>> touchedByGraph = new ArrayList<>();
    private final List<List<Object>> writtenByGraph = new ArrayList<>();
    private final Map<Object, Integer> loadIndex = new IdentityHashMap<>();
    private final Set<Object> onDevice = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Object> hostStale = Collections.newSetFromMap(new IdentityHashMap<>());
    // Keys of the graphs that ran, in first-run order.
    private final Set<String> used = new LinkedHashSet<>();
    private final List<String> keys = new ArrayList<>();
    private final TornadoExecutionPlan plan;
    private final int compiledGraphs;
    private TornadoExecutionResult lastExecution;

    /**
     * @param graphs     the step's copying graphs by key
     * @param graphNames a unique graph name for a prefix ("resident_" + region, "load")
     */
    ResidentPlan(Map<String, Graph> graphs, TornadoDevice device, Function<String, String> graphNames) {
        this.device = device;
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
            String name = graphNames.apply("resident_" + g.region());
            TaskGraph graph = new TaskGraph(name);
            graph.consumeFromDevice(everything);
            TaskGraphs.addTasks(graph, g.ops(), grid, name);
            graph.persistOnDevice(everything);
            graphIndex.put(e.getKey(), snapshots.size());
            keys.add(e.getKey());
            touchedByGraph.add(g.touched());
            writtenByGraph.add(g.written());
            snapshots.add(graph.snapshot());
        }
        for (Object a : all) {
            loadIndex.put(a, snapshots.size());
            snapshots.add(loadGraph(a, all, everything, graphNames.apply("load")));
        }
        plan = new TornadoExecutionPlan(snapshots.toArray(new ImmutableTaskGraph[0]));
        plan.withDevice(device);
        if (!grid.keySet().isEmpty()) {
            plan.withGridScheduler(grid);
        }
        compiledGraphs = snapshots.size();
    }

    /** The graph that copies {@code array} in, consuming the others and persisting everything. */
    private static ImmutableTaskGraph loadGraph(Object array, List<Object> all, Object[] everything, String name) {
        TaskGraph graph = new TaskGraph(name);
        Object[] others = all.stream().filter(o -> o != array).toArray();
        if (others.length > 0) {
            graph.consumeFromDevice(others);
        }
        graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, array);
        if (array instanceof FloatArray floats) {
            graph.task("receive", Transfers::receiveFloats, floats);
        } else {
            graph.task("receive", Transfers::receiveInts, (IntArray) array);
        }
        graph.persistOnDevice(everything);
        return graph.snapshot();
    }

    /** Graphs this plan compiled: the step's graphs and one load graph per array. */
    int compiledGraphs() {
        return compiledGraphs;
    }

    /** The index of the graph with this key, or -1 where the plan does not hold it. */
    int indexOf(String key) {
        Integer index = graphIndex.get(key);
        return index == null ? -1 : index;
    }

    /** The keys of the graphs that ran, in first-run order. */
    Collection<String> usedKeys() {
        return used;
    }

    /** The copying graph this plan was built from, by key. */
    Graph graph(String key) {
        return graphs.get(key);
    }

    /**
     * Runs graph {@code index}: loads what it touches that is not current on the device, then executes it.
     *
     * @return the bytes loaded to the device
     */
    long run(int index) {
        long loaded = 0;
        for (Object a : touchedByGraph.get(index)) {
            if (!onDevice.contains(a)) {
                lastExecution = TaskGraphs.execute(plan.withGraph(loadIndex.get(a)), device);
                onDevice.add(a);
                loaded += TaskGraphs.bytes(a);
            }
        }
        lastExecution = TaskGraphs.execute(plan.withGraph(index), device);
        hostStale.addAll(writtenByGraph.get(index));
        used.add(keys.get(index));
        return loaded;
    }

    /** The host wrote an array: its device copy, if any, is out of date (it is loaded again before its next use). */
    void deviceCopyStale(Object array) {
        onDevice.remove(array);
    }

    /**
     * Copies an array to the host if the device holds a newer copy.
     *
     * @return the bytes copied back (0 or the array's size)
     */
    long fetch(Object array) {
        if (hostStale.remove(array)) {
            lastExecution.transferToHost(array);
            return TaskGraphs.bytes(array);
        }
        return 0;
    }

    /**
     * Copies every array whose device copy is newer to the host, then frees the device buffers.
     *
     * @return the bytes copied back
     */
    long release() {
        long copied = 0;
        for (Object a : new ArrayList<>(hostStale)) {
            copied += fetch(a);
        }
        onDevice.clear();
        try {
            plan.close();
        } catch (Exception e) {
            // freeing device memory is best effort; the host copies are current
        }
        return copied;
    }
}
