package org.likra.engine.tornado;

import org.likra.engine.Tensor;
import org.likra.engine.tornado.TaskGraphs.Tasks;
import org.likra.kernels.Norms;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.HashMap;
import java.util.Map;

import static org.likra.engine.tornado.TornadoEngine.f;

/**
 * The tornado engine's normalisations (RMSNorm, LayerNorm, forward and backward) and column sums (bias and norm-weight
 * gradients), bound to {@link Norms}' kernels and recorded as tasks ({@link TaskGraphs#record}): one work-group per
 * row with per-block column partials where {@code groupRows} (GPUs), one thread per row and per column otherwise
 * (CPU devices; see {@code TornadoEngine}'s {@code likra.tornado.rows}).
 */
final class NormOperations {
    private final TaskGraphs graphs;
    private final boolean groupRows;
    /** Placeholders for the parameters a column reduction does not read (see {@link #columnReduction}). */
    private final FloatArray[] unused = {new FloatArray(1), new FloatArray(1), new FloatArray(1)};
    /** The column reductions' partial sums, one array per length. */
    private final Map<Integer, FloatArray> partialArrays = new HashMap<>();

    NormOperations(TaskGraphs graphs, boolean groupRows) {
        this.graphs = graphs;
        this.groupRows = groupRows;
    }

    private FloatArray partialSums(int length) {
        return partialArrays.computeIfAbsent(length, k -> new FloatArray(Math.max(1, length)));
    }

    /** A 1D launch of {@code groups} work-groups of {@code threads} threads for a KernelContext task. */
    static void groupsOf(GridScheduler grid, String graph, String task, int groups, int threads) {
        WorkerGrid1D worker = new WorkerGrid1D(groups * threads);
        worker.setLocalWork(threads, 1, 1);
        grid.addWorkerGrid(graph + "." + task, worker);
    }

    void rmsNormForward(Tensor out, Tensor rstd, Tensor x, Tensor weight, int n, int c, float eps) {
        Tasks tasks = groupRows
                ? (g, name, grid, graph) -> {
                    g.task(name, Norms::rmsForwardRows, new KernelContext(), f(out), out.offset(), f(rstd),
                            rstd.offset(), f(x), x.offset(), f(weight), weight.offset(), n, c, eps);
                    groupsOf(grid, graph, name, n, Norms.ROW_THREADS);
                }
                : (g, name, grid, graph) -> g.task(name, Norms::rmsForward, f(out), out.offset(), f(rstd),
                        rstd.offset(), f(x), x.offset(), f(weight), weight.offset(), n, c, eps);
        graphs.record("rmsNormForward", new Object[]{f(x), f(weight)}, new Object[]{f(out), f(rstd)}, tasks,
                out.offset(), rstd.offset(), x.offset(), weight.offset(), n, c, eps, groupRows);
    }

    void rmsNormBackward(Tensor dx, Tensor dWeight, Tensor dOut, Tensor x, Tensor weight, Tensor rstd, int n,
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
            graphs.record("rmsNormBackwardInput", new Object[]{f(dOut), f(x), f(weight), f(rstd)}, new Object[]{f(dx)},
                    tasks, dx.offset(), dOut.offset(), x.offset(), weight.offset(), rstd.offset(), n, c, groupRows);
        }
        if (dWeight != null) {
            if (groupRows) {
                columnReduction(Norms.COLUMNS_RMS_WEIGHT, dWeight, null, dOut, x, null, rstd, n, c,
                        true);
            } else {
                graphs.record("rmsNormBackwardWeight", new Object[]{f(dOut), f(x), f(rstd)}, new Object[]{f(dWeight)},
                        (g, name, grid, graph) -> g.task(name, Norms::rmsBackwardWeight, f(dWeight),
                                dWeight.offset(), f(dOut), dOut.offset(), f(x), x.offset(), f(rstd), rstd.offset(),
                                n, c),
                        dWeight.offset(), dOut.offset(), x.offset(), rstd.offset(), n, c);
            }
        }
    }

    void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, int n,
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
        graphs.record("layerNormForward", new Object[]{f(x), f(weight), f(bias)},
                new Object[]{f(out), f(mean), f(rstd)}, tasks, out.offset(), mean.offset(), rstd.offset(), x.offset(),
                weight.offset(), bias.offset(), n, c, eps, groupRows);
    }

    void layerNormBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight,
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
            graphs.record("layerNormBackwardInput", new Object[]{f(dOut), f(x), f(weight), f(mean), f(rstd)},
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
            graphs.record("layerNormBackwardWeight", new Object[]{f(dOut), f(x), f(mean), f(rstd)},
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
    void columnSums(Tensor dBias, Tensor dOut, int n, int c, boolean accumulate) {
        if (groupRows) {
            columnReduction(Norms.COLUMNS_PLAIN, dBias, null, dOut, null, null, null, n, c, accumulate);
            return;
        }
        int acc = accumulate ? 1 : 0;
        graphs.record("columnSums", new Object[]{f(dOut)}, new Object[]{f(dBias)},
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
        FloatArray partials = partialSums(2 * blocks * c);
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
        graphs.record("columnReduction", reads, writes,
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
}
