package org.likra.engine;

/**
 * The number format an engine stores tensors in ({@link Engine#precision()}), or that one tensor is stored in
 * ({@link Tensor#format()}): the 16-bit formats hold the parameters of a frozen base model
 * ({@link Engine#allocate(int, Precision)}), whose values the operations convert to float exactly as they read them.
 */
public enum Precision {
    /** IEEE binary32: what models train in. */
    F32,
    /** IEEE binary64: for finite-difference gradient checks (reference engine only). */
    F64,
    /** bfloat16: the top 16 bits of a binary32 (8 exponent bits, 7 mantissa bits); 2 bytes an element. */
    BF16,
    /** IEEE binary16 (5 exponent bits, 10 mantissa bits, largest finite value 65504); 2 bytes an element. */
    F16;

    /** Largest finite F16 value. */
    public static final float F16_MAX = 65504f;

    /** Whether elements are stored in 16 bits (BF16 or F16). */
    public boolean is16Bit() {
        return this == BF16 || this == F16;
    }

    /**
     * The 16 bits nearest to {@code x} in this format (BF16 or F16), ties to even; NaN stays NaN, and for F16 a value
     * beyond &plusmn;65504 (after rounding) becomes an infinity.
     */
    public short encode(float x) {
        return switch (this) {
            case BF16 -> toBfloat16(x);
            case F16 -> Float.floatToFloat16(x);
            default -> throw new IllegalStateException(this + " is not a 16-bit format");
        };
    }

    /** The float that 16 bits of this format (BF16 or F16) stand for; exact. */
    public float decode(short bits) {
        return this == BF16 ? fromBfloat16(bits) : Float.float16ToFloat(bits);
    }

    /** {@code x} rounded to this format and back: itself for F32 and F64. */
    public float round(float x) {
        return is16Bit() ? decode(encode(x)) : x;
    }

    /** The bfloat16 nearest to {@code x} (ties to even); NaN maps to a quiet NaN. */
    public static short toBfloat16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float a bfloat16 stands for: its bits as the top half of a binary32. */
    public static float fromBfloat16(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }
}
