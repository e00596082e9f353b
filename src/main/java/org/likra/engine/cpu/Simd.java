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
        return switch (Integer.parseInt(bits.trim())) {
            case 64 -> FloatVector.SPECIES_64;
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("likra.cpu.vectorBits must be 64, 128, 256 or 512: " + bits);
        };
    }

    /** sum_i a[ao + i] b[bo + i], i &lt; n, accumulated in float vectors. */
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
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /** y[yo + i] += alpha x[xo + i], i &lt; n. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(F, alpha);
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xo + i).fma(va, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
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

    /** y[yo + i] = exp(x[xo + i] - shift), i &lt; n; returns the sum of the written values (in double). */
    static double expShifted(float[] x, int xo, float shift, float[] y, int yo, int n) {
        int i = 0;
        FloatVector vs = FloatVector.broadcast(F, shift);
        FloatVector acc = FloatVector.zero(F);
        double sum = 0;
        int sinceFlush = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, xo + i).sub(vs).lanewise(VectorOperators.EXP);
            e.intoArray(y, yo + i);
            acc = acc.add(e);
            if (++sinceFlush == 256) { // bound the float partial sums; the total is kept in double
                sum += acc.reduceLanes(VectorOperators.ADD);
                acc = FloatVector.zero(F);
                sinceFlush = 0;
            }
        }
        sum += acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] - shift);
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
