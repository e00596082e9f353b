package org.likra.engine.tornado;

import org.likra.config.RopeScaling;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.Gradient;
import org.likra.engine.IntTensor;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;
import org.likra.engine.tornado.TaskGraphs.Tasks;
import org.likra.util.UserError;
import org.likra.kernels.Embeddings;
import org.likra.kernels.Losses;
import org.likra.kernels.Norms;
import org.likra.kernels.MatMul;
import org.likra.kernels.Optimizer;
import org.likra.kernels.Pointwise;
import org.likra.kernels.Reductions;
import org.likra.kernels.Rope;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.List;
import java.util.Map;

/**
 * The TornadoVM engine: every tensor is a view into a TornadoVM off-heap array ({@link FloatArray} /
 * {@link IntArray}), and every operation is a TornadoVM task ({@code org.likra.kernels}) compiled for the selected
 * device (OpenCL or PTX backend). This class binds each operation to its kernel(s): the arrays it reads and writes,
 * the kernel arguments, and the values that make up its signature; the matrix products' bindings live in
 * {@link MatrixProducts}, the norms' and column sums' in {@link NormOperations}, attention's in
 * {@link AttentionOperations}. {@link TaskGraphs} records the operations into
 * task graphs per region, runs them, and keeps the arrays on the device between them ({@link ResidentPlan}).
 *
 * <p>Values that change every step (AdamW's learning rate and bias corrections) travel in a small hyper-parameter
 * array rather than as compiled-in constants, so the optimizer's graphs are reused too. {@code zero} runs as a task
 * inside regions and out, so that zeroing the gradients every step stays on the device.
 *
 * <p><b>Switches</b> (system properties, for diagnosis): {@code likra.tornado.product=tiled} or {@code parallel}
 * launches the 16 x 16 tiled or the {@code @Parallel} matrix product instead of the register-blocked one, and
 * {@code likra.tornado.depth=D} sets the latter's slice depth (default 128 on a CPU device, 32 elsewhere; see
 * {@link MatrixProducts#productDepth(String, TornadoDevice)});
 * {@code likra.tornado.regions=false} runs every operation as its own graph; {@code likra.tornado.maxTasks=N} cuts
 * a region into graphs of at most N tasks (default 16, see {@link TornadoVmOptions}); {@code
 * likra.tornado.resident=false} never builds the resident plan (copying graphs only); {@code
 * likra.tornado.rows=groups} or {@code threads} runs the norms, their column sums and the cross-entropy one
 * work-group per row with per-block column sums and the attention forward pass one work-group per tile of query rows
 * ({@link AttentionOperations}), or one thread per row and per column (default: threads on a CPU device, groups
 * elsewhere; see {@link #groupRows(String, TornadoDevice)}); {@code likra.tornado.attention=tiled} or {@code rows}
 * sets the attention forward pass's form alone.
 */
public final class TornadoEngine implements Engine {
    static {
        TornadoVmOptions.setDefaults(); // before anything touches TornadoVM
    }

    private final TornadoDevice device;
    /** Row operations as one work-group per row (else one thread per row); see {@link Norms}. */
    private final boolean groupRows;
    private final TaskGraphs graphs;
    private final MatrixProducts products;
    private final NormOperations norms;
    private final AttentionOperations attention;
    /** The gradient-norm argument of AdamW without clipping (never read). */
    private final FloatArray dummy = new FloatArray(1);
    private final FloatArray partials = new FloatArray(Reductions.PARTS);
    private final RopeTables ropeTables = new RopeTables();
    private final AdamWHyperParameters hypers = new AdamWHyperParameters();
    /** Bytes of the tensors allocated so far ({@link #allocatedBytes}): host arrays, each mirrored on the device. */
    private long allocatedBytes;

    /** @param deviceSpec "backend:device" as {@code tornado --devices} numbers them (e.g. "0:0"); "" for the default */
    public TornadoEngine(String deviceSpec) {
        this.device = TornadoDevices.select(deviceSpec);
        MatrixProducts.Product product =
                MatrixProducts.productSwitch(System.getProperty("likra.tornado.product", "blocked"));
        int productDepth = MatrixProducts.productDepth(System.getProperty("likra.tornado.depth"), device);
        this.groupRows = groupRows(System.getProperty("likra.tornado.rows"), device);
        boolean regions = !"false".equals(System.getProperty("likra.tornado.regions", "true"));
        int maxTasks = Integer.getInteger("likra.tornado.maxTasks", 16);
        boolean resident = !"false".equals(System.getProperty("likra.tornado.resident", "true"));
        this.graphs = new TaskGraphs(device, regions, maxTasks, resident);
        this.products = new MatrixProducts(graphs, product, productDepth);
        this.norms = new NormOperations(graphs, groupRows);
        this.attention = new AttentionOperations(graphs, tiledAttention(System.getProperty("likra.tornado.attention"),
                groupRows));
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
     * Whether the attention forward pass runs in tiles of query rows (one work-group each) or one thread per query
     * row: as the row operations run unless {@code likra.tornado.attention=tiled} or {@code rows} says otherwise.
     */
    private static boolean tiledAttention(String value, boolean groupRows) {
        if (value == null) {
            return groupRows;
        }
        if (!value.equals("tiled") && !value.equals("rows")) {
            throw new UserError("-Dlikra.tornado.attention=" + value + " is neither tiled nor rows");
        }
        return value.equals("tiled");
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

    /** The TornadoVM array behind a tensor (its storage), for the task bindings. */
    static FloatArray f(Tensor t) {
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
        norms.rmsNormForward(out, rstd, x, weight, n, c, eps);
    }

    @Override
    public void rmsNormBackward(Tensor dx, Tensor dWeight, Tensor dOut, Tensor x, Tensor weight, Tensor rstd, int n,
                                int c) {
        norms.rmsNormBackward(dx, dWeight, dOut, x, weight, rstd, n, c);
    }

    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, int n,
                                 int c, float eps) {
        norms.layerNormForward(out, mean, rstd, x, weight, bias, n, c, eps);
    }

    @Override
    public void layerNormBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight,
                                  Tensor mean, Tensor rstd, int n, int c) {
        norms.layerNormBackward(dx, dWeight, dBias, dOut, x, weight, mean, rstd, n, c);
    }

    // ------------------------------------------------------------------------------------------------ linear

    @Override
    public void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias, int n, int inDim, int outDim) {
        // out[i, j] = sum_p x[i, p] W[j, p] + b[j]
        products.matmul("linearForward", x, inDim, 1, weight, 1, inDim, out, outDim, bias, 0, 0, n, outDim, inDim);
    }

    /**
     * One product of x with the stacked Wq, Wk, Wv (MatMul.QKV) when the weights, the biases and the outputs each
     * lie one after the other in one array (as ParameterLayout and Activations place them), else three.
     */
    @Override
    public void linearForwardQkv(Tensor q, Tensor k, Tensor v, Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor bq,
                                 Tensor bk, Tensor bv, int n, int inDim, int qDim, int kvDim) {
        int rows = stackedRows(q, k, v, n, qDim, kvDim);
        boolean stacked = rows > 0 && follows(wq, wk, qDim * inDim) && follows(wk, wv, kvDim * inDim)
                && (bq == null ? bk == null && bv == null : follows(bq, bk, qDim) && follows(bk, bv, kvDim));
        if (!stacked) {
            Engine.super.linearForwardQkv(q, k, v, x, wq, wk, wv, bq, bk, bv, n, inDim, qDim, kvDim);
            return;
        }
        // q|k|v[i, j] = sum_p x[i, p] Wqkv[j, p] + bqkv[j], the columns routed to the three outputs
        products.matmul("linearForwardQkv", x, inDim, 1, wq, 1, inDim, q, qDim, bq, MatMul.QKV, rows, n,
                qDim + 2 * kvDim, inDim);
    }

    /**
     * dx and the three weight gradients as one product each (MatMul.QKV_A_COLUMNS, QKV_A_ROWS) when dq, dk, dv, the
     * weights and their gradients each lie one after the other in one array, else three linearBackward calls. The
     * bias gradients stay three column sums.
     */
    @Override
    public void linearBackwardQkv(Tensor dx, Gradient dxGradient, Tensor dWq, Tensor dWk, Tensor dWv, Tensor dBq,
                                  Tensor dBk, Tensor dBv, Gradient weightGradients, Tensor dq, Tensor dk, Tensor dv,
                                  Tensor x, Tensor wq, Tensor wk, Tensor wv, int n, int inDim, int qDim, int kvDim) {
        int rows = stackedRows(dq, dk, dv, n, qDim, kvDim);
        boolean stacked = rows > 0 && follows(wq, wk, qDim * inDim) && follows(wk, wv, kvDim * inDim)
                && (dWq == null ? dWk == null && dWv == null
                        : follows(dWq, dWk, qDim * inDim) && follows(dWk, dWv, kvDim * inDim));
        if (!stacked) {
            Engine.super.linearBackwardQkv(dx, dxGradient, dWq, dWk, dWv, dBq, dBk, dBv, weightGradients, dq, dk, dv,
                    x, wq, wk, wv, n, inDim, qDim, kvDim);
            return;
        }
        int width = qDim + 2 * kvDim;
        int weightsAdded = weightGradients == Gradient.ACCUMULATE ? MatMul.ACCUMULATE : 0;
        if (dx != null) {
            // dx[i, j] (+)= sum_k dqkv[i, k] Wqkv[k, j], k over the stacked columns of dq, dk, dv
            products.matmul("linearBackwardInputQkv", dq, qDim, kvDim, wq, inDim, 1, dx, inDim, null,
                    MatMul.QKV_A_COLUMNS | (dxGradient == Gradient.ACCUMULATE ? MatMul.ACCUMULATE : 0), rows, n,
                    inDim, width);
        }
        if (dWq != null) {
            // dWqkv[k, j] (+)= sum_i dqkv[i, k] x[i, j]
            products.matmul("linearBackwardWeightQkv", dq, qDim, kvDim, x, inDim, 1, dWq, inDim, null,
                    MatMul.QKV_A_ROWS | weightsAdded, rows, width, inDim, n);
        }
        boolean biasesAdded = weightGradients == Gradient.ACCUMULATE;
        if (dBq != null) {
            norms.columnSums(dBq, dq, n, qDim, biasesAdded);
        }
        if (dBk != null) {
            norms.columnSums(dBk, dk, n, kvDim, biasesAdded);
        }
        if (dBv != null) {
            norms.columnSums(dBv, dv, n, kvDim, biasesAdded);
        }
    }

    /** GELU in the product's epilogue (MatMul.GELU) when activated and pre share an array, else two kernels. */
    @Override
    public void linearGeluForward(Tensor activated, Tensor pre, Tensor x, Tensor weight, Tensor bias, int n, int inDim,
                                  int outDim) {
        int distance = activated.offset() - pre.offset();
        if (f(activated) != f(pre) || Math.abs(distance) < n * outDim) {
            Engine.super.linearGeluForward(activated, pre, x, weight, bias, n, inDim, outDim);
            return;
        }
        products.matmul("linearGeluForward", x, inDim, 1, weight, 1, inDim, pre, outDim, bias, MatMul.GELU, distance,
                n, outDim, inDim);
    }

    /**
     * The rows each of q (width qDim), k and v (kvDim) holds where the three lie one after the other in one array,
     * each holding the same number of rows, at least n; else 0.
     */
    private static int stackedRows(Tensor q, Tensor k, Tensor v, int n, int qDim, int kvDim) {
        int rows = (k.offset() - q.offset()) / qDim;
        boolean stacked = f(k) == f(q) && f(v) == f(q) && rows >= n && k.offset() == q.offset() + rows * qDim
                && v.offset() == k.offset() + rows * kvDim && v.length() >= n * kvDim;
        return stacked ? rows : 0;
    }

    /** Whether next starts where first's first {@code length} elements end, in the same array. */
    private static boolean follows(Tensor first, Tensor next, int length) {
        return next != null && f(next) == f(first) && next.offset() == first.offset() + length;
    }

    /** An overwritten gradient is written by its product (or column sums) without reading the old values. */
    @Override
    public void linearBackward(Tensor dx, Gradient dxGradient, Tensor dWeight, Tensor dBias, Gradient weightGradients,
                               Tensor dOut, Tensor x, Tensor weight, int n, int inDim, int outDim) {
        boolean weightsAdded = weightGradients == Gradient.ACCUMULATE;
        if (dx != null) {
            // dx[i, j] (+)= sum_k dOut[i, k] W[k, j]
            products.matmul("linearBackwardInput", dOut, outDim, 1, weight, inDim, 1, dx, inDim, null,
                    dxGradient == Gradient.ACCUMULATE ? MatMul.ACCUMULATE : 0, 0, n, inDim, outDim);
        }
        if (dWeight != null) {
            // dW[k, j] (+)= sum_i dOut[i, k] x[i, j]
            products.matmul("linearBackwardWeight", dOut, 1, outDim, x, inDim, 1, dWeight, inDim, null,
                    weightsAdded ? MatMul.ACCUMULATE : 0, 0, outDim, inDim, n);
        }
        if (dBias != null) {
            norms.columnSums(dBias, dOut, n, outDim, weightsAdded);
        }
    }

    // ------------------------------------------------------------------------------------------------ RoPE

    @Override
    public void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                            int positionOffset) {
        ropeForward(out, x, batch, time, heads, headDim, theta, null, positionOffset);
    }

    /** RoPE from the table of (theta, scaling): Llama 3's rescaled frequencies where scaling is not null. */
    @Override
    public void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                            RopeScaling scaling, int positionOffset) {
        FloatArray table = ropeTables.table(time, headDim, theta, scaling, positionOffset);
        record("ropeForward", new Object[]{f(x), table}, new Object[]{f(out)},
                (g, name, grid, graph) -> g.task(name, Rope::forward, f(out), out.offset(), f(x), x.offset(), table,
                        batch * time * heads, time, heads, headDim),
                out.offset(), x.offset(), batch, time, heads, headDim);
    }

    @Override
    public void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                             int positionOffset) {
        ropeBackward(dx, dOut, batch, time, heads, headDim, theta, null, positionOffset);
    }

    @Override
    public void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                             RopeScaling scaling, int positionOffset) {
        FloatArray table = ropeTables.table(time, headDim, theta, scaling, positionOffset);
        record("ropeBackward", new Object[]{f(dOut), table}, new Object[]{f(dx)},
                (g, name, grid, graph) -> g.task(name, Rope::backward, f(dx), dx.offset(), f(dOut), dOut.offset(),
                        table, batch * time * heads, time, heads, headDim),
                dx.offset(), dOut.offset(), batch, time, heads, headDim);
    }

    // ------------------------------------------------------------------------------------------------ attention

    /** B H T: each query row's log-sum-exp; the backward pass recomputes the probabilities from it. */
    @Override
    public int attentionStateLength(int batch, int heads, int time) {
        return Math.multiplyExact(batch * heads, time);
    }

    @Override
    public void attentionForward(Tensor out, Tensor state, Tensor q, Tensor k, Tensor v, int batch, int time,
                                 int heads, int kvHeads, int headDim) {
        attention.forward(out, state, q, k, v, batch, time, heads, kvHeads, headDim);
    }

    @Override
    public void attentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dOut, Tensor q, Tensor k, Tensor v,
                                  Tensor state, int batch, int time, int heads, int kvHeads, int headDim) {
        attention.backward(dq, dk, dv, dOut, q, k, v, state, batch, time, heads, kvHeads, headDim);
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
        if (f(out) == f(x)) {
            record("geluForwardWithin", new Object[]{f(x)}, new Object[]{f(out)},
                    (g, name, grid, graph) -> g.task(name, Pointwise::geluForwardWithin, f(out), out.offset(),
                            x.offset(), n),
                    out.offset(), x.offset(), n);
            return;
        }
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
                    NormOperations.groupsOf(grid, graph, name, n, Losses.ROW_THREADS);
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
        adamw(params, grads, m, v, gradNormSquared, s, lr, step, n, n);
    }

    /**
     * Both ranges in one launch where the second follows the first in all four buffers and its settings are the
     * first's without weight decay (a model's parameters, matrices first); else one launch per range.
     */
    @Override
    public void adamw(Tensor[] first, AdamWSettings firstSettings, Tensor[] second, AdamWSettings secondSettings,
                      Tensor gradNormSquared, float lr, int step) {
        int decayed = first[0].length();
        boolean oneRange = decayed > 0 && second[0].length() > 0 && secondSettings.weightDecay() == 0f
                && secondSettings.beta1() == firstSettings.beta1() && secondSettings.beta2() == firstSettings.beta2()
                && secondSettings.eps() == firstSettings.eps()
                && secondSettings.maxGradNorm() == firstSettings.maxGradNorm();
        for (int i = 0; i < 4 && oneRange; i++) {
            oneRange = first[i].length() == decayed && follows(first[i], second[i], decayed);
        }
        if (!oneRange) {
            Engine.super.adamw(first, firstSettings, second, secondSettings, gradNormSquared, lr, step);
            return;
        }
        adamw(first[0], first[1], first[2], first[3], gradNormSquared, firstSettings, lr, step,
                decayed + second[0].length(), decayed);
    }

    /** AdamW over n parameters, the first {@code decayed} with the settings' weight decay (Optimizer.adamw). */
    private void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor gradNormSquared, AdamWSettings s,
                       float lr, int step, int n, int decayed) {
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
                        grads.offset(), f(m), m.offset(), f(v), v.offset(), norm2, normOff, hyper, n, decayed),
                params.offset(), grads.offset(), m.offset(), v.offset(), normOff, n, decayed);
    }
}
