package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.IntTensor;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;

import java.util.Arrays;

/**
 * The fast JVM engine: float32 tensors on the heap ({@code float[]} storage, {@code int[]} for integers), every
 * operation vectorised with the Vector API ({@link Simd}) and split over a persistent pool of threads
 * ({@link WorkPool}). Matrix products live in {@link MatMul}, attention in {@link Attention}.
 *
 * <p>The work split does not change the arithmetic: every output element is computed by one thread with the same
 * order of operations whatever the thread count, and reductions across threads ({@link #sumOfSquares}) combine
 * fixed blocks in a fixed order. Gradients that many rows add into (norm weights, biases, embedding tables) are
 * computed column-parallel, so no two threads write the same element. (Bits may still differ between runs where
 * the Vector API's lane reductions, whose order is unspecified, run interpreted or compiled.)
 *
 * <p>Not thread-safe: one operation at a time, from one thread (as the model calls it).
 */
public final class CpuEngine implements Engine {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;
    /** Target work per parallel chunk, in elements, for the memory-bound operations. */
    private static final int GRAIN = 1 << 14;
    /** Block of the parallel sum of squares: partial sums of fixed blocks, added in order. */
    private static final int SUM_BLOCK = 1 << 16;

    private final WorkPool pool;
    private final MatMul matMul;
    private final Attention attention;
    private final RopeTable[] ropeTables = new RopeTable[4];
    private double[] partials = new double[0];

    /** An engine that uses {@code threads} cores (the caller plus threads - 1 pool threads). */
    public CpuEngine(int threads) {
        this.pool = new WorkPool(threads);
        this.matMul = new MatMul(pool);
        this.attention = new Attention(pool);
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Precision precision() {
        return Precision.F32;
    }

    /** Number of threads the operations run on. */
    public int threads() {
        return pool.threads();
    }

    @Override
    public void close() {
        pool.close();
    }

    private static float[] f(Tensor t) {
        return (float[]) t.storage();
    }

    private static int[] ints(IntTensor t) {
        return (int[]) t.storage();
    }

    /** Rows per parallel chunk for row-wise operations on rows of {@code cols} elements. */
    private static int rowGrain(int cols) {
        return Math.max(1, GRAIN / Math.max(1, cols));
    }

    // ------------------------------------------------------------------------------------------------ memory

    @Override
    public Tensor allocate(int length) {
        return new Tensor(this, new float[length], 0, length);
    }

    @Override
    public IntTensor allocateInts(int length) {
        return new IntTensor(this, new int[length], 0, length);
    }

    @Override
    public void upload(Tensor dst, float[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, f(dst), dst.offset(), dst.length());
    }

    @Override
    public void upload(Tensor dst, double[] src, int srcOffset) {
        float[] d = f(dst);
        for (int i = 0; i < dst.length(); i++) {
            d[dst.offset() + i] = (float) src[srcOffset + i];
        }
    }

    @Override
    public void upload(IntTensor dst, int[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, ints(dst), dst.offset(), dst.length());
    }

    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        System.arraycopy(f(src), src.offset(), dst, dstOffset, src.length());
    }

    @Override
    public void download(Tensor src, double[] dst, int dstOffset) {
        float[] s = f(src);
        for (int i = 0; i < src.length(); i++) {
            dst[dstOffset + i] = s[src.offset() + i];
        }
    }

    @Override
    public void zero(Tensor t) {
        Arrays.fill(f(t), t.offset(), t.offset() + t.length(), 0f);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        if (dst.length() != src.length()) {
            throw new IllegalArgumentException("copy of " + src.length() + " into " + dst.length());
        }
        System.arraycopy(f(src), src.offset(), f(dst), dst.offset(), src.length());
    }

    // ------------------------------------------------------------------------------------------------ embeddings

    /** out[i, :] = table[tokens[i], :]; out (n, c), table (V, c). */
    @Override
    public void embeddingForward(Tensor out, IntTensor tokens, Tensor table, int n, int c) {
        float[] o = f(out), w = f(table);
        int[] tok = ints(tokens);
        pool.run(n, rowGrain(c), (start, end, worker) -> {
            for (int i = start; i < end; i++) {
                System.arraycopy(w, table.offset() + tok[tokens.offset() + i] * c, o, out.offset() + i * c, c);
            }
        });
    }

    /** dTable[tokens[i], :] += dOut[i, :]; column-parallel, so repeated tokens never race. */
    @Override
    public void embeddingBackward(Tensor dTable, Tensor dOut, IntTensor tokens, int n, int c) {
        float[] dw = f(dTable), dout = f(dOut);
        int[] tok = ints(tokens);
        pool.run(c, columnGrain(n), (j0, j1, worker) -> {
            for (int i = 0; i < n; i++) {
                int row = tok[tokens.offset() + i];
                Simd.addInto(dout, dOut.offset() + i * c + j0, dw, dTable.offset() + row * c + j0, j1 - j0);
            }
        });
    }

    /** Columns per chunk for column-parallel passes over {@code rows} rows (whole vectors, at least 64 columns). */
    private static int columnGrain(int rows) {
        return Math.max(Math.max(64, L), GRAIN / Math.max(1, rows)) / L * L;
    }

    /** out[b, t, :] += positions[t, :]; out (batch, time, c), positions (T max, c). */
    @Override
    public void positionEmbeddingForward(Tensor out, Tensor positions, int batch, int time, int c) {
        float[] o = f(out), p = f(positions);
        pool.run(batch * time, rowGrain(c), (start, end, worker) -> {
            for (int r = start; r < end; r++) {
                Simd.addInto(p, positions.offset() + (r % time) * c, o, out.offset() + r * c, c);
            }
        });
    }

    /** dPositions[t, :] += sum_b dOut[b, t, :]; parallel over t. */
    @Override
    public void positionEmbeddingBackward(Tensor dPositions, Tensor dOut, int batch, int time, int c) {
        float[] dp = f(dPositions), dout = f(dOut);
        pool.run(time, rowGrain(c * batch), (start, end, worker) -> {
            for (int t = start; t < end; t++) {
                for (int b = 0; b < batch; b++) {
                    Simd.addInto(dout, dOut.offset() + (b * time + t) * c, dp, dPositions.offset() + t * c, c);
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ norms

    /** rstd[i] = 1 / sqrt(mean_j x[i, j]^2 + eps); out[i, j] = x[i, j] rstd[i] weight[j]. x, out (n, c). */
    @Override
    public void rmsNormForward(Tensor out, Tensor rstd, Tensor x, Tensor weight, int n, int c, float eps) {
        float[] o = f(out), r = f(rstd), xs = f(x), w = f(weight);
        int wo = weight.offset();
        pool.run(n, rowGrain(c), (start, end, worker) -> {
            for (int i = start; i < end; i++) {
                int row = x.offset() + i * c, orow = out.offset() + i * c;
                double meanSquare = Simd.dot(xs, row, xs, row, c) / (double) c;
                float rs = (float) (1.0 / Math.sqrt(meanSquare + eps));
                r[rstd.offset() + i] = rs;
                FloatVector vrs = FloatVector.broadcast(F, rs);
                int j = 0;
                for (int bound = F.loopBound(c); j < bound; j += L) {
                    FloatVector.fromArray(F, xs, row + j).mul(vrs).mul(FloatVector.fromArray(F, w, wo + j))
                            .intoArray(o, orow + j);
                }
                for (; j < c; j++) {
                    o[orow + j] = xs[row + j] * rs * w[wo + j];
                }
            }
        });
    }

    /**
     * With dot_i = sum_j dOut[i, j] w[j] x[i, j]: dx[i, j] += rs w[j] dOut[i, j] - rs^3 x[i, j] dot_i / c;
     * dWeight[j] += sum_i dOut[i, j] x[i, j] rs_i (column-parallel).
     */
    @Override
    public void rmsNormBackward(Tensor dx, Tensor dWeight, Tensor dOut, Tensor x, Tensor weight, Tensor rstd, int n,
                                int c) {
        float[] xs = f(x), w = f(weight), r = f(rstd), dout = f(dOut);
        int wo = weight.offset();
        if (dx != null) {
            float[] d = f(dx);
            pool.run(n, rowGrain(c), (start, end, worker) -> {
                for (int i = start; i < end; i++) {
                    int row = x.offset() + i * c, drow = dOut.offset() + i * c, dxrow = dx.offset() + i * c;
                    float rs = r[rstd.offset() + i];
                    FloatVector acc = FloatVector.zero(F);
                    int j = 0;
                    for (int bound = F.loopBound(c); j < bound; j += L) {
                        acc = FloatVector.fromArray(F, dout, drow + j).mul(FloatVector.fromArray(F, w, wo + j))
                                .fma(FloatVector.fromArray(F, xs, row + j), acc);
                    }
                    float dot = acc.reduceLanes(VectorOperators.ADD);
                    for (; j < c; j++) {
                        dot += dout[drow + j] * w[wo + j] * xs[row + j];
                    }
                    float coef = rs * rs * rs * dot / c;
                    FloatVector vrs = FloatVector.broadcast(F, rs), vcoef = FloatVector.broadcast(F, -coef);
                    j = 0;
                    for (int bound = F.loopBound(c); j < bound; j += L) {
                        FloatVector g = FloatVector.fromArray(F, w, wo + j).mul(vrs)
                                .mul(FloatVector.fromArray(F, dout, drow + j))
                                .add(FloatVector.fromArray(F, xs, row + j).mul(vcoef));
                        g.add(FloatVector.fromArray(F, d, dxrow + j)).intoArray(d, dxrow + j);
                    }
                    for (; j < c; j++) {
                        d[dxrow + j] += rs * w[wo + j] * dout[drow + j] - coef * xs[row + j];
                    }
                }
            });
        }
        if (dWeight != null) {
            float[] dw = f(dWeight);
            pool.run(c, columnGrain(n), (j0, j1, worker) -> {
                for (int i = 0; i < n; i++) {
                    float rs = r[rstd.offset() + i];
                    int row = x.offset() + i * c, drow = dOut.offset() + i * c, dwo = dWeight.offset();
                    FloatVector vrs = FloatVector.broadcast(F, rs);
                    int j = j0;
                    for (int bound = j0 + F.loopBound(j1 - j0); j < bound; j += L) {
                        FloatVector.fromArray(F, dout, drow + j).mul(FloatVector.fromArray(F, xs, row + j))
                                .fma(vrs, FloatVector.fromArray(F, dw, dwo + j)).intoArray(dw, dwo + j);
                    }
                    for (; j < j1; j++) {
                        dw[dwo + j] += dout[drow + j] * xs[row + j] * rs;
                    }
                }
            });
        }
    }

    /**
     * mean[i] = mean_j x[i, j]; rstd[i] = 1 / sqrt(mean_j (x[i, j] - mean[i])^2 + eps);
     * out[i, j] = (x[i, j] - mean[i]) rstd[i] weight[j] + bias[j].
     */
    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, int n,
                                 int c, float eps) {
        float[] o = f(out), mu = f(mean), r = f(rstd), xs = f(x), w = f(weight), bs = f(bias);
        int wo = weight.offset(), bo = bias.offset();
        pool.run(n, rowGrain(c), (start, end, worker) -> {
            for (int i = start; i < end; i++) {
                int row = x.offset() + i * c, orow = out.offset() + i * c;
                float m = (float) (sum(xs, row, c) / c);
                FloatVector vm = FloatVector.broadcast(F, m);
                FloatVector acc = FloatVector.zero(F);
                int j = 0;
                for (int bound = F.loopBound(c); j < bound; j += L) {
                    FloatVector dv = FloatVector.fromArray(F, xs, row + j).sub(vm);
                    acc = dv.fma(dv, acc);
                }
                double var = acc.reduceLanes(VectorOperators.ADD);
                for (; j < c; j++) {
                    double dv = xs[row + j] - m;
                    var += dv * dv;
                }
                float rs = (float) (1.0 / Math.sqrt(var / c + eps));
                mu[mean.offset() + i] = m;
                r[rstd.offset() + i] = rs;
                FloatVector vrs = FloatVector.broadcast(F, rs);
                j = 0;
                for (int bound = F.loopBound(c); j < bound; j += L) {
                    FloatVector.fromArray(F, xs, row + j).sub(vm).mul(vrs)
                            .fma(FloatVector.fromArray(F, w, wo + j), FloatVector.fromArray(F, bs, bo + j))
                            .intoArray(o, orow + j);
                }
                for (; j < c; j++) {
                    o[orow + j] = (xs[row + j] - m) * rs * w[wo + j] + bs[bo + j];
                }
            }
        });
    }

    /** sum_j x[at + j], j &lt; n, in a float vector then double. */
    private static double sum(float[] x, int at, int n) {
        FloatVector acc = FloatVector.zero(F);
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += L) {
            acc = acc.add(FloatVector.fromArray(F, x, at + j));
        }
        double s = acc.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            s += x[at + j];
        }
        return s;
    }

    /**
     * norm = (x - mean) rstd, dnorm = dOut w: dx += rstd (dnorm - mean_j dnorm - norm mean_j(dnorm norm));
     * dWeight[j] += sum_i dOut[i, j] norm[i, j]; dBias[j] += sum_i dOut[i, j] (column-parallel).
     */
    @Override
    public void layerNormBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight,
                                  Tensor mean, Tensor rstd, int n, int c) {
        float[] xs = f(x), w = f(weight), mu = f(mean), r = f(rstd), dout = f(dOut);
        int wo = weight.offset();
        if (dx != null) {
            float[] d = f(dx);
            pool.run(n, rowGrain(c), (start, end, worker) -> {
                for (int i = start; i < end; i++) {
                    int row = x.offset() + i * c, drow = dOut.offset() + i * c, dxrow = dx.offset() + i * c;
                    float m = mu[mean.offset() + i], rs = r[rstd.offset() + i];
                    FloatVector vm = FloatVector.broadcast(F, m), vrs = FloatVector.broadcast(F, rs);
                    FloatVector accD = FloatVector.zero(F), accDN = FloatVector.zero(F);
                    int j = 0;
                    for (int bound = F.loopBound(c); j < bound; j += L) {
                        FloatVector norm = FloatVector.fromArray(F, xs, row + j).sub(vm).mul(vrs);
                        FloatVector dnorm = FloatVector.fromArray(F, dout, drow + j)
                                .mul(FloatVector.fromArray(F, w, wo + j));
                        accD = accD.add(dnorm);
                        accDN = dnorm.fma(norm, accDN);
                    }
                    float sumD = accD.reduceLanes(VectorOperators.ADD);
                    float sumDN = accDN.reduceLanes(VectorOperators.ADD);
                    for (; j < c; j++) {
                        float norm = (xs[row + j] - m) * rs, dnorm = dout[drow + j] * w[wo + j];
                        sumD += dnorm;
                        sumDN += dnorm * norm;
                    }
                    float meanD = sumD / c, meanDN = sumDN / c;
                    FloatVector vmd = FloatVector.broadcast(F, meanD), vmdn = FloatVector.broadcast(F, meanDN);
                    j = 0;
                    for (int bound = F.loopBound(c); j < bound; j += L) {
                        FloatVector norm = FloatVector.fromArray(F, xs, row + j).sub(vm).mul(vrs);
                        FloatVector dnorm = FloatVector.fromArray(F, dout, drow + j)
                                .mul(FloatVector.fromArray(F, w, wo + j));
                        FloatVector g = dnorm.sub(vmd).sub(norm.mul(vmdn)).mul(vrs);
                        g.add(FloatVector.fromArray(F, d, dxrow + j)).intoArray(d, dxrow + j);
                    }
                    for (; j < c; j++) {
                        float norm = (xs[row + j] - m) * rs, dnorm = dout[drow + j] * w[wo + j];
                        d[dxrow + j] += rs * (dnorm - meanD - norm * meanDN);
                    }
                }
            });
        }
        if (dWeight != null || dBias != null) {
            pool.run(c, columnGrain(n), (j0, j1, worker) -> {
                for (int i = 0; i < n; i++) {
                    int row = x.offset() + i * c, drow = dOut.offset() + i * c;
                    float m = mu[mean.offset() + i], rs = r[rstd.offset() + i];
                    if (dWeight != null) {
                        float[] dw = f(dWeight);
                        int dwo = dWeight.offset();
                        FloatVector vm = FloatVector.broadcast(F, m), vrs = FloatVector.broadcast(F, rs);
                        int j = j0;
                        for (int bound = j0 + F.loopBound(j1 - j0); j < bound; j += L) {
                            FloatVector norm = FloatVector.fromArray(F, xs, row + j).sub(vm).mul(vrs);
                            FloatVector.fromArray(F, dout, drow + j).fma(norm, FloatVector.fromArray(F, dw, dwo + j))
                                    .intoArray(dw, dwo + j);
                        }
                        for (; j < j1; j++) {
                            dw[dwo + j] += dout[drow + j] * ((xs[row + j] - m) * rs);
                        }
                    }
                    if (dBias != null) {
                        Simd.addInto(dout, drow + j0, f(dBias), dBias.offset() + j0, j1 - j0);
                    }
                }
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ linear

    /** out (n, outDim) = x (n, inDim) W^T + bias; W (outDim, inDim). See {@link MatMul#forward}. */
    @Override
    public void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias, int n, int inDim, int outDim) {
        matMul.forward(f(out), out.offset(), f(x), x.offset(), f(weight), weight.offset(),
                bias == null ? null : f(bias), bias == null ? 0 : bias.offset(), n, inDim, outDim);
    }

    /** dx += dOut W; dWeight += dOut^T x; dBias += column sums of dOut. Null gradients are skipped. */
    @Override
    public void linearBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight, int n,
                               int inDim, int outDim) {
        if (dx != null) {
            matMul.backwardInput(f(dx), dx.offset(), f(dOut), dOut.offset(), f(weight), weight.offset(), n, inDim,
                    outDim);
        }
        if (dWeight != null) {
            matMul.backwardWeight(f(dWeight), dWeight.offset(), f(dOut), dOut.offset(), f(x), x.offset(), n, inDim,
                    outDim);
        }
        if (dBias != null) {
            matMul.backwardBias(f(dBias), dBias.offset(), f(dOut), dOut.offset(), n, outDim);
        }
    }

    // ------------------------------------------------------------------------------------------------ RoPE

    /** The cached cos/sin table for (theta, headDim) covering at least {@code positions} positions. */
    private RopeTable ropeTable(float theta, int headDim, int positions) {
        for (RopeTable t : ropeTables) {
            if (t != null && t.fits(theta, headDim, positions)) {
                return t;
            }
        }
        // Replace the entry for the same (theta, headDim), if any, else the oldest.
        int slot = ropeTables.length - 1;
        for (int i = 0; i < ropeTables.length; i++) {
            RopeTable t = ropeTables[i];
            if (t == null || (t.theta == theta && t.headDim == headDim)) {
                slot = i;
                break;
            }
        }
        System.arraycopy(ropeTables, 0, ropeTables, 1, slot);
        ropeTables[0] = new RopeTable(theta, headDim, Math.max(positions, 256));
        return ropeTables[0];
    }

    /**
     * For pair i &lt; d/2 at position p = positionOffset + t: out[i] = x[i] cos - x[i + d/2] sin;
     * out[i + d/2] = x[i + d/2] cos + x[i] sin. x, out (batch, time, heads, d).
     */
    @Override
    public void ropeForward(Tensor out, Tensor x, int batch, int time, int heads, int headDim, float theta,
                            int positionOffset) {
        rope(f(out), out.offset(), f(x), x.offset(), batch, time, heads, headDim, theta, positionOffset, false);
    }

    /** The transposed rotation: dx[i] += g1 cos + g2 sin; dx[i + d/2] += g2 cos - g1 sin. */
    @Override
    public void ropeBackward(Tensor dx, Tensor dOut, int batch, int time, int heads, int headDim, float theta,
                             int positionOffset) {
        rope(f(dx), dx.offset(), f(dOut), dOut.offset(), batch, time, heads, headDim, theta, positionOffset, true);
    }

    /** Forward (overwrite, angle +) or backward (accumulate, angle -) rotation of every head vector. */
    private void rope(float[] o, int oOff, float[] xs, int xOff, int batch, int time, int heads, int headDim,
                      float theta, int positionOffset, boolean backward) {
        RopeTable table = ropeTable(theta, headDim, positionOffset + time);
        float[] cosT = table.cos, sinT = table.sin;
        int half = headDim / 2;
        pool.run(batch * time, rowGrain(heads * headDim), (start, end, worker) -> {
            for (int bt = start; bt < end; bt++) {
                int tab = (positionOffset + bt % time) * half;
                for (int h = 0; h < heads; h++) {
                    int base = (bt * heads + h) * headDim;
                    int x1 = xOff + base, o1 = oOff + base;
                    int i = 0;
                    for (int bound = F.loopBound(half); i < bound; i += L) {
                        FloatVector cos = FloatVector.fromArray(F, cosT, tab + i);
                        FloatVector sin = FloatVector.fromArray(F, sinT, tab + i);
                        FloatVector a = FloatVector.fromArray(F, xs, x1 + i);
                        FloatVector b = FloatVector.fromArray(F, xs, x1 + i + half);
                        if (backward) {
                            a.mul(cos).add(b.mul(sin)).add(FloatVector.fromArray(F, o, o1 + i)).intoArray(o, o1 + i);
                            b.mul(cos).sub(a.mul(sin)).add(FloatVector.fromArray(F, o, o1 + i + half))
                                    .intoArray(o, o1 + i + half);
                        } else {
                            a.mul(cos).sub(b.mul(sin)).intoArray(o, o1 + i);
                            b.mul(cos).add(a.mul(sin)).intoArray(o, o1 + i + half);
                        }
                    }
                    for (; i < half; i++) {
                        float cos = cosT[tab + i], sin = sinT[tab + i];
                        float a = xs[x1 + i], b = xs[x1 + i + half];
                        if (backward) {
                            o[o1 + i] += a * cos + b * sin;
                            o[o1 + i + half] += b * cos - a * sin;
                        } else {
                            o[o1 + i] = a * cos - b * sin;
                            o[o1 + i + half] = b * cos + a * sin;
                        }
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ attention

    /** Causal grouped-query attention; see {@link Attention} for the math and layouts. */
    @Override
    public void attentionForward(Tensor out, Tensor probs, Tensor q, Tensor k, Tensor v, int batch, int time,
                                 int heads, int kvHeads, int headDim) {
        attention.forward(f(out), out.offset(), f(probs), probs.offset(), f(q), q.offset(), f(k), k.offset(),
                f(v), v.offset(), batch, time, heads, kvHeads, headDim);
    }

    @Override
    public void attentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dOut, Tensor q, Tensor k, Tensor v,
                                  Tensor probs, int batch, int time, int heads, int kvHeads, int headDim) {
        attention.backward(dq == null ? null : f(dq), dq == null ? 0 : dq.offset(),
                dk == null ? null : f(dk), dk == null ? 0 : dk.offset(),
                dv == null ? null : f(dv), dv == null ? 0 : dv.offset(),
                f(dOut), dOut.offset(), f(q), q.offset(), f(k), k.offset(), f(v), v.offset(),
                f(probs), probs.offset(), batch, time, heads, kvHeads, headDim);
    }

    /** out[i, :] = exp(x[i, :] - max_i) / sum_j exp(x[i, j] - max_i). x, out (rows, cols). */
    @Override
    public void softmaxForward(Tensor out, Tensor x, int rows, int cols) {
        float[] o = f(out), xs = f(x);
        pool.run(rows, rowGrain(cols), (start, end, worker) -> {
            for (int r = start; r < end; r++) {
                int row = x.offset() + r * cols, orow = out.offset() + r * cols;
                float max = Simd.max(xs, row, cols);
                double sum = Simd.expShifted(xs, row, max, o, orow, cols);
                Simd.scale(o, orow, (float) (1.0 / sum), cols);
            }
        });
    }

    /** dx[i, j] += out[i, j] (dOut[i, j] - sum_k dOut[i, k] out[i, k]). */
    @Override
    public void softmaxBackward(Tensor dx, Tensor dOut, Tensor out, int rows, int cols) {
        float[] d = f(dx), dout = f(dOut), o = f(out);
        pool.run(rows, rowGrain(cols), (start, end, worker) -> {
            for (int r = start; r < end; r++) {
                int orow = out.offset() + r * cols, drow = dOut.offset() + r * cols, dxrow = dx.offset() + r * cols;
                FloatVector dot = FloatVector.broadcast(F, Simd.dot(dout, drow, o, orow, cols));
                float dotS = dot.lane(0);
                int j = 0;
                for (int bound = F.loopBound(cols); j < bound; j += L) {
                    FloatVector.fromArray(F, dout, drow + j).sub(dot).mul(FloatVector.fromArray(F, o, orow + j))
                            .add(FloatVector.fromArray(F, d, dxrow + j)).intoArray(d, dxrow + j);
                }
                for (; j < cols; j++) {
                    d[dxrow + j] += o[orow + j] * (dout[drow + j] - dotS);
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ activations

    /** out = silu(gate) up, silu(g) = g sigmoid(g) = g / (1 + exp(-g)). */
    @Override
    public void swigluForward(Tensor out, Tensor gate, Tensor up, int n) {
        float[] o = f(out), g = f(gate), u = f(up);
        int oo = out.offset(), go = gate.offset(), uo = up.offset();
        pool.run(n, GRAIN, (start, end, worker) -> {
            FloatVector one = FloatVector.broadcast(F, 1f);
            int i = start;
            for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
                FloatVector x = FloatVector.fromArray(F, g, go + i);
                FloatVector sig = one.div(x.neg().lanewise(VectorOperators.EXP).add(one));
                x.mul(sig).mul(FloatVector.fromArray(F, u, uo + i)).intoArray(o, oo + i);
            }
            for (; i < end; i++) {
                float x = g[go + i];
                o[oo + i] = (float) (x / (1.0 + Math.exp(-x))) * u[uo + i];
            }
        });
    }

    /** dGate += dOut up sig (1 + g (1 - sig)); dUp += dOut g sig. */
    @Override
    public void swigluBackward(Tensor dGate, Tensor dUp, Tensor dOut, Tensor gate, Tensor up, int n) {
        float[] g = f(gate), u = f(up), dout = f(dOut);
        float[] dg = dGate == null ? null : f(dGate), du = dUp == null ? null : f(dUp);
        int go = gate.offset(), uo = up.offset(), doo = dOut.offset();
        int dgo = dGate == null ? 0 : dGate.offset(), duo = dUp == null ? 0 : dUp.offset();
        pool.run(n, GRAIN, (start, end, worker) -> {
            FloatVector one = FloatVector.broadcast(F, 1f);
            int i = start;
            for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
                FloatVector x = FloatVector.fromArray(F, g, go + i);
                FloatVector sig = one.div(x.neg().lanewise(VectorOperators.EXP).add(one));
                FloatVector d = FloatVector.fromArray(F, dout, doo + i);
                if (dg != null) {
                    FloatVector local = sig.mul(one.add(x.mul(one.sub(sig))));
                    d.mul(FloatVector.fromArray(F, u, uo + i)).fma(local, FloatVector.fromArray(F, dg, dgo + i))
                            .intoArray(dg, dgo + i);
                }
                if (du != null) {
                    d.mul(x).fma(sig, FloatVector.fromArray(F, du, duo + i)).intoArray(du, duo + i);
                }
            }
            for (; i < end; i++) {
                float x = g[go + i], d = dout[doo + i];
                float sig = (float) (1.0 / (1.0 + Math.exp(-x)));
                if (dg != null) {
                    dg[dgo + i] += d * u[uo + i] * sig * (1 + x * (1 - sig));
                }
                if (du != null) {
                    du[duo + i] += d * x * sig;
                }
            }
        });
    }

    private static final float GELU_SCALE = (float) Math.sqrt(2.0 / Math.PI);
    private static final float GELU_CUBE = 0.044715f;

    /** out = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    @Override
    public void geluForward(Tensor out, Tensor x, int n) {
        float[] o = f(out), xs = f(x);
        int oo = out.offset(), xo = x.offset();
        pool.run(n, GRAIN, (start, end, worker) -> {
            FloatVector half = FloatVector.broadcast(F, 0.5f), one = FloatVector.broadcast(F, 1f);
            int i = start;
            for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(F, xs, xo + i);
                FloatVector u = v.mul(v).mul(GELU_CUBE).add(one).mul(v).mul(GELU_SCALE);
                v.mul(half).mul(u.lanewise(VectorOperators.TANH).add(one)).intoArray(o, oo + i);
            }
            for (; i < end; i++) {
                float v = xs[xo + i];
                float u = GELU_SCALE * (v + GELU_CUBE * v * v * v);
                o[oo + i] = 0.5f * v * (1 + (float) Math.tanh(u));
            }
        });
    }

    /** dx += dOut (1/2 (1 + th) + x/2 (1 - th^2) sqrt(2/pi) (1 + 3 0.044715 x^2)), th = tanh(u). */
    @Override
    public void geluBackward(Tensor dx, Tensor dOut, Tensor x, int n) {
        float[] d = f(dx), xs = f(x), dout = f(dOut);
        int dxo = dx.offset(), xo = x.offset(), doo = dOut.offset();
        pool.run(n, GRAIN, (start, end, worker) -> {
            FloatVector half = FloatVector.broadcast(F, 0.5f), one = FloatVector.broadcast(F, 1f);
            int i = start;
            for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(F, xs, xo + i);
                FloatVector v2 = v.mul(v);
                FloatVector th = v2.mul(GELU_CUBE).add(one).mul(v).mul(GELU_SCALE).lanewise(VectorOperators.TANH);
                FloatVector du = v2.mul(3 * GELU_CUBE).add(one).mul(GELU_SCALE);
                FloatVector grad = th.add(one).mul(half).add(v.mul(half).mul(one.sub(th.mul(th))).mul(du));
                grad.fma(FloatVector.fromArray(F, dout, doo + i), FloatVector.fromArray(F, d, dxo + i))
                        .intoArray(d, dxo + i);
            }
            for (; i < end; i++) {
                float v = xs[xo + i];
                float th = (float) Math.tanh(GELU_SCALE * (v + GELU_CUBE * v * v * v));
                float du = GELU_SCALE * (1 + 3 * GELU_CUBE * v * v);
                float grad = 0.5f * (1 + th) + 0.5f * v * (1 - th * th) * du;
                d[dxo + i] += grad * dout[doo + i];
            }
        });
    }

    /** out = a + b. */
    @Override
    public void add(Tensor out, Tensor a, Tensor b, int n) {
        float[] o = f(out), x = f(a), y = f(b);
        int oo = out.offset(), xo = a.offset(), yo = b.offset();
        pool.run(n, GRAIN, (start, end, worker) -> {
            int i = start;
            for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
                FloatVector.fromArray(F, x, xo + i).add(FloatVector.fromArray(F, y, yo + i)).intoArray(o, oo + i);
            }
            for (; i < end; i++) {
                o[oo + i] = x[xo + i] + y[yo + i];
            }
        });
    }

    /** dst += scale src. */
    @Override
    public void accumulate(Tensor dst, Tensor src, float scale, int n) {
        float[] d = f(dst), s = f(src);
        int dOff = dst.offset(), sOff = src.offset();
        pool.run(n, GRAIN, (start, end, worker) -> Simd.axpy(scale, s, sOff + start, d, dOff + start, end - start));
    }

    // ------------------------------------------------------------------------------------------------ loss

    /** probs[i, :] = softmax(logits[i, :]); losses[i] = logsumexp(logits[i, :]) - logits[i, targets[i]]. */
    @Override
    public void crossEntropyForward(Tensor losses, Tensor probs, Tensor logits, IntTensor targets, int n, int vocab) {
        float[] l = f(losses), p = f(probs), z = f(logits);
        int[] tg = ints(targets);
        pool.run(n, rowGrain(vocab), (start, end, worker) -> {
            for (int i = start; i < end; i++) {
                int row = logits.offset() + i * vocab, prow = probs.offset() + i * vocab;
                float max = Simd.max(z, row, vocab);
                double sum = Simd.expShifted(z, row, max, p, prow, vocab);
                Simd.scale(p, prow, (float) (1.0 / sum), vocab);
                int target = tg[targets.offset() + i];
                l[losses.offset() + i] = (float) (Math.log(sum) + max - z[row + target]);
            }
        });
    }

    /** dLogits[i, :] = weights[i] (probs[i, :] - onehot(targets[i])); overwrites dLogits. */
    @Override
    public void crossEntropyBackward(Tensor dLogits, Tensor probs, IntTensor targets, Tensor weights, int n,
                                     int vocab) {
        float[] d = f(dLogits), p = f(probs), w = f(weights);
        int[] tg = ints(targets);
        pool.run(n, rowGrain(vocab), (start, end, worker) -> {
            for (int i = start; i < end; i++) {
                float wi = w[weights.offset() + i];
                int prow = probs.offset() + i * vocab, drow = dLogits.offset() + i * vocab;
                FloatVector vw = FloatVector.broadcast(F, wi);
                int j = 0;
                for (int bound = F.loopBound(vocab); j < bound; j += L) {
                    FloatVector.fromArray(F, p, prow + j).mul(vw).intoArray(d, drow + j);
                }
                for (; j < vocab; j++) {
                    d[drow + j] = wi * p[prow + j];
                }
                int target = tg[targets.offset() + i];
                d[drow + target] = wi * (p[prow + target] - 1f);
            }
        });
    }

    /** out[0] = sum_i values[i] weights[i], accumulated in double. */
    @Override
    public void weightedSum(Tensor out, Tensor values, Tensor weights, int n) {
        f(out)[out.offset()] = (float) Simd.dotDouble(f(values), values.offset(), f(weights), weights.offset(), n);
    }

    // ------------------------------------------------------------------------------------------------ optimizer

    /** out[0] = sum_i x[i]^2: float blocks of {@link #SUM_BLOCK} in parallel, block sums added in order in double. */
    @Override
    public void sumOfSquares(Tensor out, Tensor x, int n) {
        float[] xs = f(x);
        int blocks = (n + SUM_BLOCK - 1) / SUM_BLOCK;
        if (partials.length < blocks) {
            partials = new double[blocks];
        }
        double[] part = partials;
        pool.run(blocks, 1, (start, end, worker) -> {
            for (int blk = start; blk < end; blk++) {
                int from = blk * SUM_BLOCK;
                part[blk] = Simd.dotDouble(xs, x.offset() + from, null, 0, Math.min(SUM_BLOCK, n - from));
            }
        });
        double total = 0;
        for (int blk = 0; blk < blocks; blk++) {
            total += part[blk];
        }
        f(out)[out.offset()] = (float) total;
    }

    /**
     * g = clip grad, clip = min(1, maxGradNorm / sqrt(gradNormSquared[0])); m = b1 m + (1 - b1) g;
     * v = b2 v + (1 - b2) g^2; p -= lr (m / (1 - b1^step) / (sqrt(v / (1 - b2^step)) + eps) + weightDecay p).
     */
    @Override
    public void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor gradNormSquared, AdamWSettings s,
                      int n) {
        float[] p = f(params), g = f(grads), ms = f(m), vs = f(v);
        double clipD = 1.0;
        if (s.maxGradNorm() > 0 && gradNormSquared != null) {
            double norm = Math.sqrt(f(gradNormSquared)[gradNormSquared.offset()]);
            if (norm > s.maxGradNorm()) {
                clipD = s.maxGradNorm() / norm;
            }
        }
        float clip = (float) clipD;
        float b1 = s.beta1(), b2 = s.beta2(), c1 = (float) (1.0 - b1), c2 = (float) (1.0 - b2);
        float invCorr1 = (float) (1.0 / (1.0 - Math.pow(b1, s.step())));
        float invCorr2 = (float) (1.0 / (1.0 - Math.pow(b2, s.step())));
        float lr = s.lr(), eps = s.eps(), decay = s.weightDecay();
        int po = params.offset(), go = grads.offset(), mo = m.offset(), vo = v.offset();
        pool.run(n, GRAIN, (start, end, worker) -> {
            int i = start;
            for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
                FloatVector grad = FloatVector.fromArray(F, g, go + i).mul(clip);
                FloatVector mi = FloatVector.fromArray(F, ms, mo + i).mul(b1).add(grad.mul(c1));
                FloatVector vi = FloatVector.fromArray(F, vs, vo + i).mul(b2).add(grad.mul(grad).mul(c2));
                mi.intoArray(ms, mo + i);
                vi.intoArray(vs, vo + i);
                FloatVector pi = FloatVector.fromArray(F, p, po + i);
                FloatVector step = mi.mul(invCorr1).div(vi.mul(invCorr2).lanewise(VectorOperators.SQRT).add(eps))
                        .add(pi.mul(decay));
                pi.sub(step.mul(lr)).intoArray(p, po + i);
            }
            for (; i < end; i++) {
                float grad = g[go + i] * clip;
                float mi = b1 * ms[mo + i] + c1 * grad;
                float vi = b2 * vs[vo + i] + c2 * grad * grad;
                ms[mo + i] = mi;
                vs[vo + i] = vi;
                float pi = p[po + i];
                p[po + i] = pi - lr * (mi * invCorr1 / ((float) Math.sqrt(vi * invCorr2) + eps) + decay * pi);
            }
        });
    }
}
