package org.likra.engine;

/** A handle to engine-owned 32-bit integers (token ids, targets), the integer twin of {@link Tensor}. */
public final class IntTensor {
    private final Object storage;
    private final int offset;
    private final int length;

    public IntTensor(Object storage, int offset, int length) {
        this.storage = storage;
        this.offset = offset;
        this.length = length;
    }

    public Object storage() {
        return storage;
    }

    public int offset() {
        return offset;
    }

    public int length() {
        return length;
    }

    public IntTensor view(int start, int viewLength) {
        if (start < 0 || viewLength < 0 || start + viewLength > length) {
            throw new IndexOutOfBoundsException("view [" + start + ", " + (start + viewLength)
                    + ") outside an int tensor of " + length);
        }
        return new IntTensor(storage, offset + start, viewLength);
    }
}
