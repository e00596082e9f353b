package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.likra.engine.Gradient;
import org.likra.engine.Tensor;

import java.util.Arrays;

import static org.likra.engine.cpu.CpuEngine.f;

/**
 * Element-wise operations on flat tensors of n elements: SwiGLU and GELU (forward and backward), the residual add
 * and the scaled accumulate. Each is a vector loop with a scalar tail that performs the same operations in the same
 * order ({@link Simd}'s scalar twins, {@link Math#fma} where the vector code fuses), split over the pool in chunks
 * of whole vectors, so every element gets the same bits whatever the thread count.
 *
 * <p>Not thread-safe: the arguments of the call in progress live in fields, so that no per-call objects are made.
 */
final class Pointwise {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.L;
    private static final float GELU_SCALE = (float) Math.sqrt(2.0 / Math.PI);
    private static final float GELU_CUBE = 0.044715f;

    private final WorkPool pool;
    private final int grain;
    private final WorkPool.Body swigluForwardBody = this::swigluForwardRange;
    private final WorkPool.Body swigluBackwardBody = this::swigluBackwardRange;
    private final WorkPool.Body geluForwardBody = this::geluForwardRange;
    private final WorkPool.Body geluBackwardBody = this::geluBackwardRange;
    private final WorkPool.Body addBody = this::addRange;
    private final WorkPool.Body accumulateBody = this::accumulateRange;
    private final WorkPool.Body zeroBody = this::zeroRange;

    // Arguments of the call in progress: up to four arrays with their offsets (plus SwiGLU's up), and a scalar.
    private float[] a, b, c, d, up;
    private int ao, bo, co, dO, upOff;
    private float alpha;
    private boolean overwrite;

    /** grain: elements per chunk unit, a multiple of the vector length. */
    Pointwise(WorkPool pool, int grain) {
        this.pool = pool;
        this.grain = grain / L * L;
    }

    private void set(Tensor a, Tensor b, Tensor c, Tensor d) {
        this.a = a == null ? null : f(a);
        this.ao = a == null ? 0 : a.offset();
        this.b = b == null ? null : f(b);
        this.bo = b == null ? 0 : b.offset();
        this.c = c == null ? null : f(c);
        this.co = c == null ? 0 : c.offset();
        this.d = d == null ? null : f(d);
        this.dO = d == null ? 0 : d.offset();
    }

    private void run(int n, WorkPool.Body body) {
        pool.run(n, grain, body);
        a = b = c = d = null;
    }

    // ------------------------------------------------------------------------------------------------ SwiGLU

    /** out = silu(gate) up = gate sigmoid(gate) up. (a = out, b = gate, c = up) */
    void swigluForward(Tensor out, Tensor gate, Tensor up, int n) {
        set(out, gate, up, null);
        run(n, swigluForwardBody);
    }

    private void swigluForwardRange(int start, int end, int worker) {
        float[] o = a, g = b, u = c;
        int i = start;
        for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(F, g, bo + i);
            x.mul(Simd.sigmoid(x)).mul(FloatVector.fromArray(F, u, co + i)).intoArray(o, ao + i);
        }
        for (; i < end; i++) {
            float x = g[bo + i];
            o[ao + i] = x * Simd.sigmoid(x) * u[co + i];
        }
    }

    /**
     * With s = sigmoid(g): dGate += (dOut up) s (1 + g (1 - s)); dUp += (dOut g) s. Either may be null.
     * (a = dGate, b = dUp, c = dOut, d = gate; the up tensor is read through {@link #up})
     */
    void swigluBackward(Tensor dGate, Tensor dUp, Tensor dOut, Tensor gate, Tensor up, int n) {
        set(dGate, dUp, dOut, gate);
        this.up = f(up);
        this.upOff = up.offset();
        run(n, swigluBackwardBody);
        this.up = null;
    }

    private void swigluBackwardRange(int start, int end, int worker) {
        float[] dg = a, du = b, dout = c, g = d, u = up;
        FloatVector one = FloatVector.broadcast(F, 1f);
        int i = start;
        for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(F, g, dO + i);
            FloatVector sig = Simd.sigmoid(x);
            FloatVector dv = FloatVector.fromArray(F, dout, co + i);
            if (dg != null) {
                FloatVector local = sig.mul(one.add(x.mul(one.sub(sig))));
                dv.mul(FloatVector.fromArray(F, u, upOff + i)).fma(local, FloatVector.fromArray(F, dg, ao + i))
                        .intoArray(dg, ao + i);
            }
            if (du != null) {
                dv.mul(x).fma(sig, FloatVector.fromArray(F, du, bo + i)).intoArray(du, bo + i);
            }
        }
        for (; i < end; i++) {
            float x = g[dO + i], dv = dout[co + i];
            float sig = Simd.sigmoid(x);
            if (dg != null) {
                float local = sig * (1f + x * (1f - sig));
                dg[ao + i] = Math.fma(dv * u[upOff + i], local, dg[ao + i]);
            }
            if (du != null) {
                du[bo + i] = Math.fma(dv * x, sig, du[bo + i]);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ GELU

    /** out = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3) = ((x^2 0.044715 + 1) x) sqrt(2/pi). */
    void geluForward(Tensor out, Tensor x, int n) {
        set(out, x, null, null);
        run(n, geluForwardBody);
    }

    private void geluForwardRange(int start, int end, int worker) {
        float[] o = a, xs = b;
        FloatVector half = FloatVector.broadcast(F, 0.5f), one = FloatVector.broadcast(F, 1f);
        int i = start;
        for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, xs, bo + i);
            FloatVector u = v.mul(v).mul(GELU_CUBE).add(one).mul(v).mul(GELU_SCALE);
            v.mul(half).mul(Simd.tanh(u).add(one)).intoArray(o, ao + i);
        }
        for (; i < end; i++) {
            float v = xs[bo + i];
            float u = ((v * v) * GELU_CUBE + 1f) * v * GELU_SCALE;
            o[ao + i] = (v * 0.5f) * (Simd.tanh(u) + 1f);
        }
    }

    /**
     * dx += dOut ((1 + th)/2 + x/2 (1 - th^2) sqrt(2/pi) (1 + 3 0.044715 x^2)), th = tanh(u); overwriting, dx = the
     * same (no read of dx).
     */
    void geluBackward(Tensor dx, Gradient dxGradient, Tensor dOut, Tensor x, int n) {
        set(dx, dOut, x, null);
        this.overwrite = dxGradient == Gradient.OVERWRITE;
        run(n, geluBackwardBody);
    }

    private void geluBackwardRange(int start, int end, int worker) {
        float[] dxs = a, dout = b, xs = c;
        FloatVector half = FloatVector.broadcast(F, 0.5f), one = FloatVector.broadcast(F, 1f);
        int i = start;
        for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, xs, co + i);
            FloatVector v2 = v.mul(v);
            FloatVector th = Simd.tanh(v2.mul(GELU_CUBE).add(one).mul(v).mul(GELU_SCALE));
            FloatVector du = v2.mul(3 * GELU_CUBE).add(one).mul(GELU_SCALE);
            FloatVector grad = th.add(one).mul(half).add(v.mul(half).mul(one.sub(th.mul(th))).mul(du));
            FloatVector g = FloatVector.fromArray(F, dout, bo + i);
            (overwrite ? grad.mul(g) : grad.fma(g, FloatVector.fromArray(F, dxs, ao + i))).intoArray(dxs, ao + i);
        }
        for (; i < end; i++) {
            float v = xs[co + i];
            float v2 = v * v;
            float th = Simd.tanh((v2 * GELU_CUBE + 1f) * v * GELU_SCALE);
            float du = (v2 * (3 * GELU_CUBE) + 1f) * GELU_SCALE;
            float grad = (th + 1f) * 0.5f + (v * 0.5f) * (1f - th * th) * du;
            dxs[ao + i] = overwrite ? grad * dout[bo + i] : Math.fma(grad, dout[bo + i], dxs[ao + i]);
        }
    }

    // ------------------------------------------------------------------------------------------------ residuals

    /** out = x + y. (a = out, b = x, c = y) */
    void add(Tensor out, Tensor x, Tensor y, int n) {
        set(out, x, y, null);
        run(n, addBody);
    }

    private void addRange(int start, int end, int worker) {
        float[] o = a, x = b, y = c;
        int i = start;
        for (int bound = start + F.loopBound(end - start); i < bound; i += L) {
            FloatVector.fromArray(F, x, bo + i).add(FloatVector.fromArray(F, y, co + i)).intoArray(o, ao + i);
        }
        for (; i < end; i++) {
            o[ao + i] = x[bo + i] + y[co + i];
        }
    }

    /** dst += scale src. (a = dst, b = src) */
    void accumulate(Tensor dst, Tensor src, float scale, int n) {
        set(dst, src, null, null);
        alpha = scale;
        run(n, accumulateBody);
    }

    private void accumulateRange(int start, int end, int worker) {
        Simd.axpy(alpha, b, bo + start, a, ao + start, end - start);
    }

    /**
     * t = 0, split over the pool from {@link #PARALLEL_ZERO} elements on (a step zeroes about 18 MB of gradients
     * and scratch in gpt2-S; on the caller alone the other threads wait through it).
     */
    void zero(Tensor t) {
        if (t.length() < PARALLEL_ZERO) {
            Arrays.fill(f(t), t.offset(), t.offset() + t.length(), 0f);
            return;
        }
        set(t, null, null, null);
        run(t.length(), zeroBody);
    }

    private static final int PARALLEL_ZERO = 1 << 15;

    private void zeroRange(int start, int end, int worker) {
        Arrays.fill(a, ao + start, ao + end, 0f);
    }
}
