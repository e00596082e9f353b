package org.likra.engine.tornado;

import org.likra.engine.Tensor;
import org.likra.engine.tornado.TaskGraphs.Tasks;
import org.likra.kernels.Attention;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.HashMap;
import java.util.Map;

import static org.likra.engine.tornado.TornadoEngine.f;

/**
 * The tornado engine's causal attention, bound to {@link Attention}'s kernels and recorded as tasks
 * ({@link TaskGraphs#record}). The forward pass keeps each query row's log-sum-exp (B H T floats, the engine's
 * {@code attentionStateLength}) instead of the B H T^2 probabilities, computing the softmax online: one work-group
 * per (batch, head, tile of query rows) with keys and values staged in local memory where {@code tiled} and the head
 * dimension is at most {@link Attention#MAX_TILED_DIM}, one thread per query row otherwise. The backward pass
 * recomputes the probabilities in both its kernels and keeps B H T floats between them (delta), so nothing of size
 * T^2 is stored anywhere.
 */
final class AttentionOperations {
    private final TaskGraphs graphs;
    private final boolean tiled;
    private final Map<String, FloatArray> scratch = new HashMap<>();

    AttentionOperations(TaskGraphs graphs, boolean tiled) {
        this.graphs = graphs;
        this.tiled = tiled;
    }

    private FloatArray scratch(String kind, int length) {
        return scratch.computeIfAbsent(kind + length, k -> new FloatArray(Math.max(1, length)));
    }

    void forward(Tensor out, Tensor lse, Tensor q, Tensor k, Tensor v, int batch, int time, int heads, int kvHeads,
                 int d) {
        boolean useTiles = tiled && d <= Attention.MAX_TILED_DIM;
        Tasks tasks;
        if (useTiles) {
            int rows = Attention.tiledRows(d);
            int keys = Attention.keyTile(d);
            int groups = batch * heads * ((time + rows - 1) / rows);
            tasks = (g, name, grid, graph) -> {
                g.task(name, Attention::forwardTiled, new KernelContext(), f(out), out.offset(), f(lse),
                        lse.offset(), f(q), q.offset(), f(k), k.offset(), f(v), v.offset(), time, heads, kvHeads, d,
                        rows, keys);
                WorkerGrid2D worker = new WorkerGrid2D(d, groups * rows);
                worker.setLocalWork(d, rows, 1);
                grid.addWorkerGrid(graph + "." + name, worker);
            };
        } else {
            tasks = (g, name, grid, graph) -> g.task(name, Attention::forwardRows, f(out), out.offset(), f(lse),
                    lse.offset(), f(q), q.offset(), f(k), k.offset(), f(v), v.offset(), batch, time, heads, kvHeads,
                    d);
        }
        graphs.record("attentionForward", new Object[]{f(q), f(k), f(v)}, new Object[]{f(out), f(lse)}, tasks,
                out.offset(), lse.offset(), q.offset(), k.offset(), v.offset(), batch, time, heads, kvHeads, d,
                useTiles);
    }

    /**
     * dq, dk and dv accumulate; a null one goes to a scratch sink (the kernels compute them together). The
     * probabilities are recomputed in both kernels; between them only delta (B H T floats) is kept.
     */
    void backward(Tensor dqOrNull, Tensor dkOrNull, Tensor dvOrNull, Tensor dOut, Tensor q, Tensor k, Tensor v,
                  Tensor lse, int batch, int time, int heads, int kvHeads, int d) {
        FloatArray delta = scratch("delta", Math.multiplyExact(batch * heads, time));
        int qLen = batch * time * heads * d;
        int kvLen = batch * time * kvHeads * d;
        Tensor dq = dqOrNull != null ? dqOrNull : new Tensor(scratch("sinkQ", qLen), 0, qLen);
        Tensor dk = dkOrNull != null ? dkOrNull : new Tensor(scratch("sinkK", kvLen), 0, kvLen);
        Tensor dv = dvOrNull != null ? dvOrNull : new Tensor(scratch("sinkV", kvLen), 0, kvLen);
        graphs.record("attentionBackwardQuery", new Object[]{f(dOut), f(q), f(k), f(v), f(lse)},
                new Object[]{f(dq), delta},
                (g, name, grid, graph) -> g.task(name, Attention::backwardQuery, f(dq), dq.offset(), delta, f(dOut),
                        dOut.offset(), f(q), q.offset(), f(k), k.offset(), f(v), v.offset(), f(lse), lse.offset(),
                        batch, time, heads, kvHeads, d),
                dq.offset(), dOut.offset(), q.offset(), k.offset(), v.offset(), lse.offset(), batch, time, heads,
                kvHeads, d);
        graphs.record("attentionBackwardKeyValue", new Object[]{delta, f(dOut), f(q), f(k), f(v), f(lse)},
                new Object[]{f(dk), f(dv)},
                (g, name, grid, graph) -> g.task(name, Attention::backwardKeyValue, f(dk), dk.offset(), f(dv),
                        dv.offset(), delta, f(dOut), dOut.offset(), f(q), q.offset(), f(k), k.offset(), f(v),
                        v.offset(), f(lse), lse.offset(), batch, time, heads, kvHeads, d),
                dk.offset(), dv.offset(), dOut.offset(), q.offset(), k.offset(), v.offset(), lse.offset(), batch,
                time, heads, kvHeads, d);
    }
}
