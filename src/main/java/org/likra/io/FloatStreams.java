package org.likra.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Sequential little-endian float32 / bfloat16 reading and writing through a reusable buffer. */
final class FloatStreams {
    private static final int CHUNK = 1 << 16;

    private FloatStreams() {
    }

    /** Reads {@code n} values into {@code dst[off...]}; {@code bf16} selects 2-byte bfloat16 instead of float32. */
    static void read(InputStream in, float[] dst, int off, int n, boolean bf16, byte[] scratch) throws IOException {
        int width = bf16 ? 2 : 4;
        ByteBuffer buf = ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = scratch.length / width;
        while (n > 0) {
            int m = Math.min(n, perChunk);
            if (in.readNBytes(scratch, 0, m * width) != m * width) {
                throw new EOFException("unexpected end of file");
            }
            if (bf16) {
                for (int i = 0; i < m; i++) {
                    dst[off + i] = Float.intBitsToFloat((buf.getShort(2 * i) & 0xffff) << 16);
                }
            } else {
                buf.clear();
                buf.asFloatBuffer().get(dst, off, m);
            }
            off += m;
            n -= m;
        }
    }

    /** Skips {@code bytes} bytes. */
    static void skip(InputStream in, long bytes) throws IOException {
        in.skipNBytes(bytes);
    }

    /** Writes {@code n} values from {@code src[off...]} as float32, or bfloat16 (the top 16 bits, truncated). */
    static void write(OutputStream out, float[] src, int off, int n, boolean bf16, byte[] scratch) throws IOException {
        int width = bf16 ? 2 : 4;
        ByteBuffer buf = ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = scratch.length / width;
        while (n > 0) {
            int m = Math.min(n, perChunk);
            if (bf16) {
                for (int i = 0; i < m; i++) {
                    buf.putShort(2 * i, (short) (Float.floatToRawIntBits(src[off + i]) >>> 16));
                }
            } else {
                buf.clear();
                buf.asFloatBuffer().put(src, off, m);
            }
            out.write(scratch, 0, m * width);
            off += m;
            n -= m;
        }
    }

    static byte[] scratch() {
        return new byte[CHUNK];
    }

    /**
     * A run of {@code count} consecutive values in a file: parameters {@code values[valueOffset ...]}, or (where
     * {@code valueOffset} is negative) values the model does not keep, which reading skips and writing takes from
     * {@code gap}.
     */
    record Piece(int count, int valueOffset, float[] gap) {
        static Piece of(int count, int valueOffset) {
            return new Piece(count, valueOffset, null);
        }

        static Piece gap(float[] values) {
            return new Piece(values.length, -1, values);
        }
    }

    /** Appends the whole parameter {@code name} of {@code layout} as one piece. */
    static void whole(List<Piece> pieces, org.likra.model.ParameterLayout layout, String name) {
        var spec = layout.get(name);
        pieces.add(Piece.of(spec.size(), spec.offset()));
    }

    /** Appends {@code model.layers.<l>.<suffix>} of every layer, in layer order (how C checkpoints stack them). */
    static void perLayer(List<Piece> pieces, org.likra.model.ParameterLayout layout, int layers, String suffix) {
        for (int l = 0; l < layers; l++) {
            whole(pieces, layout, "model.layers." + l + "." + suffix);
        }
    }

    /** Total values the pieces span. */
    static long count(List<Piece> pieces) {
        long n = 0;
        for (Piece p : pieces) {
            n += p.count();
        }
        return n;
    }

    static void readPieces(InputStream in, List<Piece> pieces, float[] values, boolean bf16) throws IOException {
        byte[] scratch = scratch();
        for (Piece p : pieces) {
            if (p.valueOffset() < 0) {
                skip(in, (long) p.count() * (bf16 ? 2 : 4));
            } else {
                read(in, values, p.valueOffset(), p.count(), bf16, scratch);
            }
        }
    }

    static void writePieces(OutputStream out, List<Piece> pieces, float[] values, boolean bf16) throws IOException {
        byte[] scratch = scratch();
        for (Piece p : pieces) {
            if (p.valueOffset() < 0) {
                write(out, p.gap(), 0, p.count(), bf16, scratch);
            } else {
                write(out, values, p.valueOffset(), p.count(), bf16, scratch);
            }
        }
    }
}
