package org.likra.engine.cpu;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.likra.engine.Precision;

/**
 * 16-bit parameters (BF16 or F16, {@code short[]} storage) read as floats: each value converted exactly, so a kernel
 * that reads through these computes the same bits as on the float32 tensor of the same values. BF16 is converted
 * {@link Simd#L} values at a time (widen to 32 bits, shift into the top half); F16 one at a time
 * ({@link Float#float16ToFloat}).
 */
final class Halves {
    /** Whether BF16 is converted by vectors: the float species is 128 bits or wider (its shorts fill 64 or more). */
    static final boolean VECTOR = Simd.F.vectorBitSize() >= 128;
    /** Shorts of as many lanes as the float species: half its bits. */
    private static final VectorSpecies<Short> S =
            VECTOR ? VectorSpecies.of(short.class, VectorShape.forBitSize(Simd.F.vectorBitSize() / 2)) : null;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, Simd.F.vectorShape());
    private static final int L = Simd.L;

    private Halves() {
    }

    /** The float that {@code bits} stand for in {@code format} (BF16 or F16). */
    static float decode(short bits, boolean bf16) {
        return bf16 ? Float.intBitsToFloat(bits << 16) : Float.float16ToFloat(bits);
    }

    /** dst[dstOff + i] = the float of src[srcOff + i] in {@code format}, i &lt; n. */
    static void decode(short[] src, int srcOff, Precision format, float[] dst, int dstOff, int n) {
        int i = 0;
        if (format == Precision.BF16) {
            // written out here, not in a helper that returns the vector: one that C2 leaves out of line would box it
            for (int bound = VECTOR ? n - L : -1; i <= bound; i += L) {
                IntVector wide = (IntVector) ShortVector.fromArray(S, src, srcOff + i)
                        .convertShape(VectorOperators.S2I, I, 0);
                wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOff + i);
            }
            for (; i < n; i++) {
                dst[dstOff + i] = Float.intBitsToFloat(src[srcOff + i] << 16);
            }
        } else {
            for (; i < n; i++) {
                dst[dstOff + i] = Float.float16ToFloat(src[srcOff + i]);
            }
        }
    }

    /** dst[dstOff + i] += the float of src[srcOff + i], i &lt; n (the same one rounding as a float32 add). */
    static void addInto(short[] src, int srcOff, Precision format, float[] dst, int dstOff, int n) {
        boolean bf16 = format == Precision.BF16;
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] += decode(src[srcOff + i], bf16);
        }
    }

    /** The storage of a 16-bit tensor. */
    static short[] bits(org.likra.engine.Tensor t) {
        return (short[]) t.storage();
    }
}
