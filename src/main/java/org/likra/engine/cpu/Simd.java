package org.likra.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every cpu kernel uses, and the small vector loops the kernels share (dot, axpy, scale, sums).
 * Every loop handles any vector length: a vector body up to {@code loopBound} and a scalar tail.
 *
 * <p>The species is {@link FloatVector#SPECIES_PREFERRED} (the widest the CPU runs natively: 512 bits with
 * AVX-512, 256 with AVX2). The system property {@code likra.cpu.vectorBits} (64, 128, 256 or 512) forces another
 * length, to test the tail handling with other species; it is read once, so the species stays a JIT constant.
 *
 * <p>Determinism: nothing here uses {@code reduceLanes(ADD)} or the Vector API's transcendental lane operations;
 * see the "fixed order" section.
 */
final class Simd {
    static final VectorSpecies<Float> F = chooseSpecies();
    /** Lanes per vector. */
    static final int L = F.length();

    private Simd() {
    }

    private static VectorSpecies<Float> chooseSpecies() {
        String bits = System.getProperty("likra.cpu.vectorBits");
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return switch (bits.trim()) {
            case "64" -> FloatVector.SPECIES_64;
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("likra.cpu.vectorBits must be 64, 128, 256 or 512, got '"
                    + bits + "'");
        };
    }

    // ------------------------------------------------------------------------------------------------ fixed order
    // The Vector API leaves the order of reduceLanes(ADD) unspecified (the interpreter and C2 may add the lanes in
    // different orders), and its EXP and TANH may use different approximations when compiled. Every kernel uses
    // the helpers below instead, which are built from IEEE-exact operations (add, mul, fma, div, sqrt, bit moves)
    // in a fixed order, so each result is the same bits interpreted, C1- or C2-compiled.

    /** Sum of the lanes of v, added in lane order 0, 1, ..., L-1. */
    static float sumLanes(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < L; i++) {
            s += v.lane(i);
        }
        return s;
    }

    /** sum_i a[ao + i] b[bo + i], i &lt; n: two vector accumulators, combined lane-wise, then lanes in order. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
            acc1 = FloatVector.fromArray(F, a, ao + i + L).fma(FloatVector.fromArray(F, b, bo + i + L), acc1);
        }
        for (int bound = n - L; i <= bound; i += L) {
            acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
        }
        float sum = sumLanes(acc0.add(acc1));
        for (; i < n; i++) {
            sum = Math.fma(a[ao + i], b[bo + i], sum);
        }
        return sum;
    }

    /** sum_i x[xo + i], i &lt; n (vector accumulator, lanes in order, then the tail). */
    static float sum(float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            acc = acc.add(FloatVector.fromArray(F, x, xo + i));
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            s += x[xo + i];
        }
        return s;
    }

    // exp(x) = 2^m exp(r), m = round(x / ln 2), r = x - m ln 2 (ln 2 split in two for an exact product), exp(r) by
    // a degree-6 polynomial on |r| <= ln2 / 2 (Cephes' expf coefficients, about 1 ulp). x is clamped to
    // [-87, 88] so that 2^m is a normal float: exp(-87) = 1.6e-38 stands in for anything smaller.
    private static final float EXP_LO = -87f, EXP_HI = 88f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude &lt; 2^22 to an integer held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** exp of every lane (see the constants above); lane for lane the same bits as {@link #exp(float)}. */
    static FloatVector exp(FloatVector x) {
        // Clamped by compare and blend: the same values as max/min (NaN stays NaN), without the extra instructions
        // that Java's max/min semantics (NaN, signed zeros) cost on AVX2 (measured 0.6 against 0.35 ns per lane).
        x = x.blend(EXP_LO, x.compare(VectorOperators.LT, EXP_LO)).blend(EXP_HI, x.compare(VectorOperators.GT, EXP_HI));
        FloatVector shifted = x.fma(LOG2E, ROUNDER);
        FloatVector m = shifted.sub(ROUNDER);
        FloatVector r = m.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = m.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        p = p.mul(r.mul(r)).add(r).add(1f);
        FloatVector scale = shifted.reinterpretAsInts().sub(ROUNDER_BITS - 127)
                .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale);
    }

    /** exp(x), the scalar twin of {@link #exp(FloatVector)}: the same operations in the same order. */
    static float exp(float x) {
        x = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float shifted = Math.fma(x, LOG2E, ROUNDER);
        float m = shifted - ROUNDER;
        float r = Math.fma(m, -LN2_HI, x);
        r = Math.fma(m, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = p * (r * r) + r + 1f;
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(shifted) - (ROUNDER_BITS - 127)) << 23);
        return p * scale;
    }

    /** tanh(u) = 1 - 2 / (exp(2u) + 1), lane-wise (absolute error about 1e-7). */
    static FloatVector tanh(FloatVector u) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        return one.sub(FloatVector.broadcast(F, 2f).div(exp(u.add(u)).add(one)));
    }

    /** The scalar twin of {@link #tanh(FloatVector)}. */
    static float tanh(float u) {
        return 1f - 2f / (exp(u + u) + 1f);
    }

    /** sigmoid(x) = 1 / (1 + exp(-x)), lane-wise. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        return one.div(exp(x.neg()).add(one));
    }

    /** The scalar twin of {@link #sigmoid(FloatVector)}. */
    static float sigmoid(float x) {
        return 1f / (exp(-x) + 1f);
    }

    // ------------------------------------------------------------------------------------------------ loops

    /** y[yo + i] += alpha x[xo + i], i &lt; n. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(F, alpha);
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xo + i).fma(va, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = Math.fma(x[xo + i], alpha, y[yo + i]);
        }
    }

    /** y[yo + i] += x[xo + i], i &lt; n. */
    static void addInto(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xo + i).add(FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += x[xo + i];
        }
    }

    /** x[xo + i] *= alpha, i &lt; n. */
    static void scale(float[] x, int xo, float alpha, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(F, alpha);
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xo + i).mul(va).intoArray(x, xo + i);
        }
        for (; i < n; i++) {
            x[xo + i] *= alpha;
        }
    }

    /** max_i x[xo + i], i &lt; n (n &gt; 0). */
    static float max(float[] x, int xo, int n) {
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int bound = F.loopBound(n); i < bound; i += L) {
                acc = acc.max(FloatVector.fromArray(F, x, xo + i));
            }
            max = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            max = Math.max(max, x[xo + i]);
        }
        return max;
    }

    /**
     * y[yo + i] = exp(x[xo + i] - shift), i &lt; n; returns the sum of the written values: float vector partial sums
     * over blocks of 256 vectors, each block's lanes added in order and the block sums in double.
     */
    static double expShifted(float[] x, int xo, float shift, float[] y, int yo, int n) {
        int i = 0;
        FloatVector vs = FloatVector.broadcast(F, shift);
        FloatVector acc = FloatVector.zero(F);
        double sum = 0;
        int sinceFlush = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector e = exp(FloatVector.fromArray(F, x, xo + i).sub(vs));
            e.intoArray(y, yo + i);
            acc = acc.add(e);
            if (++sinceFlush == 256) {
                sum += sumLanes(acc);
                acc = FloatVector.zero(F);
                sinceFlush = 0;
            }
        }
        sum += sumLanes(acc);
        for (; i < n; i++) {
            float e = exp(x[xo + i] - shift);
            y[yo + i] = e;
            sum += e;
        }
        return sum;
    }

    /**
     * sum_i a[ao + i] b[bo + i] (or sum_i a[ao + i]^2 when b is null), in float vectors over blocks of 4096
     * elements, with the block sums added in double: stable for millions of terms.
     */
    static double dotDouble(float[] a, int ao, float[] b, int bo, int n) {
        double total = 0;
        for (int start = 0; start < n; start += 4096) {
            int len = Math.min(4096, n - start);
            total += b == null ? dot(a, ao + start, a, ao + start, len) : dot(a, ao + start, b, bo + start, len);
        }
        return total;
    }
}
