package org.likra.engine;

/**
 * A handle to a contiguous run of floating-point numbers owned by one {@link Engine}: on the heap for the JVM
 * engines, in device memory for a device engine. The model never reads a tensor's numbers directly; it asks the
 * engine to run operations on tensors and downloads only what it needs (the loss, logits for sampling).
 *
 * <p>A tensor is a view {@code [offset, offset + length)} into its engine's storage object, so all parameters can
 * live in one buffer while each parameter is its own tensor (as in llm.c).
 *
 * <p>Its {@link #format()} says how the elements are stored: float32 ({@code F32}, the engines' own format; the
 * reference engine's F64 tensors say F64), or BF16/F16 for the parameters of a frozen base that
 * {@link Engine#allocate(int, Precision)} made in 16 bits ({@code short[]} storage on the JVM engines).
 */
public final class Tensor {
    private final Object storage;
    private final int offset;
    private final int length;
    private final Precision format;

    /** A view of {@code length} float32 elements at {@code offset} into an engine's storage object. */
    public Tensor(Object storage, int offset, int length) {
        this(storage, offset, length, Precision.F32);
    }

    /**
     * A view of {@code length} elements stored in {@code format} at {@code offset} into an engine's storage object
     * (engines make these).
     */
    public Tensor(Object storage, int offset, int length, Precision format) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("bad view: offset " + offset + ", length " + length);
        }
        this.storage = storage;
        this.offset = offset;
        this.length = length;
        this.format = java.util.Objects.requireNonNull(format, "format");
    }

    /**
     * The engine-specific storage object (double[] for reference, float[] for cpu, a device array otherwise;
     * short[] for a 16-bit tensor of the JVM engines).
     */
    public Object storage() {
        return storage;
    }

    /** How the elements are stored: F32 (F64 on a float64 reference engine), or BF16/F16. */
    public Precision format() {
        return format;
    }

    /** First element of this view inside {@link #storage()}. */
    public int offset() {
        return offset;
    }

    /** Number of elements in this view. */
    public int length() {
        return length;
    }

    /** A sub-view of {@code length} elements starting {@code start} elements into this view. */
    public Tensor view(int start, int viewLength) {
        if (start < 0 || viewLength < 0 || start + viewLength > length) {
            throw new IndexOutOfBoundsException("view [" + start + ", " + (start + viewLength)
                    + ") outside a tensor of " + length);
        }
        return new Tensor(storage, offset + start, viewLength, format);
    }

    @Override
    public String toString() {
        return "Tensor[offset " + offset + ", length " + length + (format == Precision.F32 ? "" : ", " + format)
                + "]";
    }
}
