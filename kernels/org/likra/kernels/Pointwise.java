package org.likra.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Pointwise kernels: fill, residual add and accumulate, SwiGLU and GELU (tanh form) forward and backward.
 * All are {@code @Parallel} loops over n elements and also run as plain Java.
 */
public final class Pointwise {
    private Pointwise() {
    }

    /** sqrt(2 / pi). */
    public static final float GELU_SCALE = 0.7978845608028654f;

    /**
     * x[xOff + i] = 0. The read under {@code n < 0} never runs; it is there because TornadoVM decides from the code
     * whether a task reads an array: one that is only written is allocated on the device without the host's
     * contents, and a graph that copies it back would overwrite the elements outside [xOff, xOff + n) with whatever
     * the device buffer held. Read-write, the whole array is copied in first.
     */
    public static void zero(FloatArray x, int xOff, int n) {
        if (n < 0) {
            x.set(xOff, x.get(xOff));
        }
        for (@Parallel int i = 0; i < n; i++) {
            x.set(xOff + i, 0f);
        }
    }

    /** out = a + b. */
    public static void add(FloatArray out, int oOff, FloatArray a, int aOff, FloatArray b, int bOff, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            out.set(oOff + i, a.get(aOff + i) + b.get(bOff + i));
        }
    }

    /** dst += scale * src. */
    public static void accumulate(FloatArray dst, int dOff, FloatArray src, int sOff, float scale, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            dst.set(dOff + i, dst.get(dOff + i) + scale * src.get(sOff + i));
        }
    }

    /** out = silu(gate) * up. */
    public static void swigluForward(FloatArray out, int oOff, FloatArray gate, int gOff, FloatArray up, int uOff,
                                     int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float g = gate.get(gOff + i);
            float sig = 1f / (1f + TornadoMath.exp(-g));
            out.set(oOff + i, g * sig * up.get(uOff + i));
        }
    }

    /** dGate += dOut * up * sig (1 + g (1 - sig)). */
    public static void swigluBackwardGate(FloatArray dGate, int dgOff, FloatArray dOut, int doOff, FloatArray gate,
                                          int gOff, FloatArray up, int uOff, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float g = gate.get(gOff + i);
            float sig = 1f / (1f + TornadoMath.exp(-g));
            float d = dOut.get(doOff + i) * up.get(uOff + i) * sig * (1f + g * (1f - sig));
            dGate.set(dgOff + i, dGate.get(dgOff + i) + d);
        }
    }

    /** dUp += dOut * silu(gate). */
    public static void swigluBackwardUp(FloatArray dUp, int duOff, FloatArray dOut, int doOff, FloatArray gate,
                                        int gOff, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float g = gate.get(gOff + i);
            float sig = 1f / (1f + TornadoMath.exp(-g));
            dUp.set(duOff + i, dUp.get(duOff + i) + dOut.get(doOff + i) * g * sig);
        }
    }

    /**
     * tanh(u) = 1 - 2 / (e^(2u) + 1), through exp: OpenCL's tanh was a scalar call on PoCL (the GELU kernels took
     * 17 ns per element on 2 cores), exp is vectorised. The absolute error stays at float rounding (~1e-7); e^(2u)
     * overflowing to infinity for u > 44 gives 1, its underflow to 0 gives -1.
     */
    private static float tanh(float u) {
        return 1f - 2f / (TornadoMath.exp(2f * u) + 1f);
    }

    /** gelu(v) = v/2 (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3))); also the epilogue of {@link MatMul}'s products. */
    public static float gelu(float v) {
        float u = GELU_SCALE * (v + 0.044715f * v * v * v);
        return 0.5f * v * (1f + tanh(u));
    }

    /** out = gelu(x). */
    public static void geluForward(FloatArray out, int oOff, FloatArray x, int xOff, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            out.set(oOff + i, gelu(x.get(xOff + i)));
        }
    }

    /**
     * x[outOff + i] = gelu(x[xOff + i]): {@link #geluForward} where out and x are views of one array, which TornadoVM
     * cannot take as two parameters of one task (one read, one written: its graph compiler never schedules the task).
     */
    public static void geluForwardWithin(FloatArray x, int outOff, int xOff, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            x.set(outOff + i, gelu(x.get(xOff + i)));
        }
    }

    /** dx (+)= gelu'(x) dOut: accumulate 1 adds to dx, 0 overwrites it. */
    public static void geluBackward(FloatArray dx, int dxOff, FloatArray dOut, int doOff, FloatArray x, int xOff,
                                    int n, int accumulate) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = x.get(xOff + i);
            float u = GELU_SCALE * (v + 0.044715f * v * v * v);
            float th = tanh(u);
            float du = GELU_SCALE * (1f + 3f * 0.044715f * v * v);
            float grad = 0.5f * (1f + th) + 0.5f * v * (1f - th * th) * du;
            float d = grad * dOut.get(doOff + i);
            if (accumulate == 1) {
                d += dx.get(dxOff + i);
            }
            dx.set(dxOff + i, d);
        }
    }
}
