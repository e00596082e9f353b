package org.likra.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping each tensor
 * name to {dtype, shape, data_offsets}, then the raw little-endian data. Reading maps each tensor's bytes from the
 * file (nothing is read whole, so files larger than memory work); F32, F16 and BF16 are converted to float.
 * Writing produces F32, F16 or BF16.
 */
public final class SafeTensors implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    /** One tensor's entry in the header. */
    public record Entry(String name, String dtype, int[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        public String shapeString() {
            return java.util.Arrays.toString(shape);
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path path, FileChannel channel, long dataStart, Map<String, Entry> entries,
                        Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens and validates a safetensors file (header only; tensor data is mapped on demand). */
    public static SafeTensors open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new UserError(path + ": no such file");
        } catch (IOException e) {
            throw new UserError(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            long size = channel.size();
            long headerLength = headerLength(path, channel, size);
            JsonNode root = header(path, channel, headerLength);
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String name = field.getKey();
                JsonNode node = field.getValue();
                if (name.equals("__metadata__")) {
                    if (!node.isObject()) {
                        throw new UserError(path + ": __metadata__ must be a JSON object of strings, got " + node);
                    }
                    node.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(name, parseEntry(path, name, node, dataSize));
            }
            checkCoverage(path, entries.values(), dataSize);
            return new SafeTensors(path, channel, dataStart, Collections.unmodifiableMap(entries),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UserError(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** The length of the JSON header, from the file's first 8 bytes (little-endian), checked against its size. */
    private static long headerLength(Path path, FileChannel channel, long size) throws IOException {
        if (size < 8) {
            throw new UserError(path + ": truncated safetensors file (" + size + " bytes, no header)");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        channel.read(lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength <= 0 || headerLength > MAX_HEADER || headerLength > size - 8) {
            throw new UserError(path + ": not a safetensors file or truncated (header length " + headerLength
                    + ", file size " + size + ")");
        }
        return headerLength;
    }

    /** The JSON header after the length, which must be an object. */
    private static JsonNode header(Path path, FileChannel channel, long headerLength) throws IOException {
        ByteBuffer header = ByteBuffer.allocate((int) headerLength);
        channel.read(header, 8);
        JsonNode root;
        try {
            root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " at header column " + e.getLocation().getColumnNr();
            throw new UserError(path + ": the safetensors header is not valid JSON" + at + ": "
                    + e.getOriginalMessage().lines().findFirst().orElse("") + " (corrupt or not a safetensors "
                    + "file)");
        }
        if (root == null || !root.isObject()) {
            throw new UserError(path + ": the safetensors header is not a JSON object");
        }
        return root;
    }

    private static Entry parseEntry(Path path, String name, JsonNode node, long dataSize) {
        String where = path + ": tensor " + name;
        if (!node.isObject() || !node.has("dtype") || !node.has("shape") || !node.has("data_offsets")) {
            throw new UserError(where + ": header entry lacks dtype, shape or data_offsets");
        }
        if (!node.get("dtype").isTextual()) {
            throw new UserError(where + ": dtype must be a string, got " + node.get("dtype"));
        }
        String dtype = node.get("dtype").asText();
        int width = bytesPer(dtype);
        if (width == 0) {
            throw new UserError(where + ": unsupported dtype " + dtype + " (supported: F32, F16, BF16)");
        }
        JsonNode shapeNode = node.get("shape");
        if (!shapeNode.isArray()) {
            throw new UserError(where + ": shape must be an array of integers, got " + shapeNode);
        }
        int[] shape = new int[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode dim = shapeNode.get(i);
            long d = dim.isIntegralNumber() && dim.canConvertToLong() ? dim.asLong() : -1;
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new UserError(where + ": bad shape " + shapeNode);
            }
            shape[i] = (int) d;
            elements = d == 0 || elements == 0 ? 0 : elements * d;
            if (elements > dataSize) {
                throw new UserError(where + ": shape " + shapeNode + " needs more bytes than the file's "
                        + dataSize + " data bytes (truncated file?)");
            }
        }
        JsonNode offsets = node.get("data_offsets");
        if (!offsets.isArray() || offsets.size() != 2) {
            throw new UserError(where + ": data_offsets must have two numbers, got " + offsets);
        }
        long begin = offsets.get(0).isIntegralNumber() && offsets.get(0).canConvertToLong()
                ? offsets.get(0).asLong() : -1;
        long end = offsets.get(1).isIntegralNumber() && offsets.get(1).canConvertToLong()
                ? offsets.get(1).asLong() : -1;
        if (begin < 0 || end < begin) {
            throw new UserError(where + ": bad data_offsets " + offsets);
        }
        if (end > dataSize) {
            throw new UserError(where + ": data ends at byte " + end + " but the file has only " + dataSize
                    + " data bytes (truncated file?)");
        }
        if (end - begin != elements * width) {
            throw new UserError(where + ": shape " + shapeNode + " of " + dtype + " needs " + elements * width
                    + " bytes but data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /**
     * As the safetensors specification requires: the tensors' byte ranges neither overlap nor leave holes, and
     * together cover the data section exactly.
     */
    private static void checkCoverage(Path path, java.util.Collection<Entry> entries, long dataSize) {
        java.util.List<Entry> sorted = new java.util.ArrayList<>(entries);
        sorted.sort(java.util.Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        for (Entry e : sorted) {
            if (e.begin() < at) {
                throw new UserError(path + ": tensor " + e.name() + ": data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap another tensor's data");
            }
            if (e.begin() > at) {
                throw new UserError(path + ": tensor " + e.name() + ": data_offsets [" + e.begin() + ", " + e.end()
                        + "] leave a hole after byte " + at + " of the data section (corrupt header?)");
            }
            at = e.end();
        }
        if (at != dataSize) {
            throw new UserError(path + ": the tensors' data ends at byte " + at + " but the data section has "
                    + dataSize + " bytes (" + (at < dataSize ? "trailing bytes or a corrupt header" : "truncated")
                    + ")");
        }
    }

    private static int bytesPer(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> 0;
        };
    }

    public Path path() {
        return path;
    }

    /** Tensors in header order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The optional {@code __metadata__} string map. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The entry for {@code name}, or a clear error naming the file and the tensor. */
    public Entry require(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new UserError(path + ": missing tensor " + name);
        }
        return e;
    }

    /**
     * Reads a tensor as floats into {@code dst[dstOffset ...]}, checking its shape.
     *
     * @param expectedShape the shape the model needs
     */
    public void readInto(String name, int[] expectedShape, float[] dst, int dstOffset) {
        Entry e = require(name);
        if (!java.util.Arrays.equals(e.shape(), expectedShape)) {
            throw new UserError(path + ": tensor " + name + " has shape " + e.shapeString() + " but the model's "
                    + "config needs " + java.util.Arrays.toString(expectedShape));
        }
        readInto(e, dst, dstOffset);
    }

    /** Reads a tensor as floats, whatever its shape. */
    public float[] read(String name) {
        Entry e = require(name);
        float[] out = new float[Math.toIntExact(e.elements())];
        readInto(e, out, 0);
        return out;
    }

    private void readInto(Entry e, float[] dst, int dstOffset) {
        readRange(e, 0, Math.toIntExact(e.elements()), dst, dstOffset);
    }

    /**
     * Reads elements [first, first + count) of a tensor (row-major) as floats into {@code dst[dstOffset ...]},
     * mapping only those bytes of the file: a caller can move a tensor larger than memory piece by piece.
     */
    public void readRange(Entry e, long first, int count, float[] dst, int dstOffset) {
        if (first < 0 || count < 0 || first + count > e.elements()) {
            throw new IllegalArgumentException("elements [" + first + ", " + (first + count) + ") of tensor "
                    + e.name() + " with " + e.elements());
        }
        int width = bytesPer(e.dtype());
        try {
            ByteBuffer bytes = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin() + first * width,
                    (long) count * width).order(ByteOrder.LITTLE_ENDIAN);
            switch (e.dtype()) {
                case "F32" -> bytes.asFloatBuffer().get(dst, dstOffset, count);
                case "F16" -> {
                    for (int i = 0; i < count; i++) {
                        dst[dstOffset + i] = Float.float16ToFloat(bytes.getShort(2 * i));
                    }
                }
                case "BF16" -> {
                    for (int i = 0; i < count; i++) {
                        dst[dstOffset + i] = Float.intBitsToFloat((bytes.getShort(2 * i) & 0xffff) << 16);
                    }
                }
                default -> throw new IllegalStateException(e.dtype());
            }
        } catch (IOException ex) {
            throw new UserError(path + ": cannot read tensor " + e.name() + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }

    // ---------------------------------------------------------------------------------------------------- writing

    /** The bfloat16 nearest to {@code x} (ties to even); NaN maps to a quiet NaN. */
    public static short toBfloat16(float x) {
        return org.likra.engine.Precision.toBfloat16(x);
    }

    /** {@code x} rounded to bfloat16 and back. */
    public static float roundToBfloat16(float x) {
        return Float.intBitsToFloat((toBfloat16(x) & 0xffff) << 16);
    }

    /** A tensor to write: values[offset, offset + product(shape)) as F32. */
    public record Output(String name, int[] shape, float[] values, int offset) {
        public long elements() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Writes an F32 safetensors file atomically (temporary file, fsync, rename). */
    public static void write(Path target, Iterable<Output> tensors, Map<String, String> metadata) throws IOException {
        write(target, tensors, metadata, "F32");
    }

    /**
     * Writes a safetensors file atomically with every tensor in {@code dtype}: F32, F16 (IEEE half, rounded to
     * nearest even) or BF16 (the top 16 bits of the float32, rounded to nearest even; NaN stays NaN).
     */
    public static void write(Path target, Iterable<Output> tensors, Map<String, String> metadata, String dtype)
            throws IOException {
        int width = bytesPer(dtype);
        if (width == 0) {
            throw new IllegalArgumentException("cannot write dtype " + dtype);
        }
        byte[] json = JSON.writeValueAsBytes(header(tensors, metadata, dtype, width));
        int padded = (json.length + 7) / 8 * 8;
        AtomicFiles.write(target, out -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(length.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            writeData(out, tensors, dtype, width);
        });
    }

    /** The header: the metadata, then each tensor's dtype, shape and byte range, back to back in order. */
    private static ObjectNode header(Iterable<Output> tensors, Map<String, String> metadata, String dtype,
                                     int width) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Output t : tensors) {
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", dtype);
            var shape = entry.putArray("shape");
            for (int d : t.shape()) {
                shape.add(d);
            }
            long bytes = t.elements() * width;
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        return header;
    }

    /** Each tensor's values in {@code dtype} (little-endian), through a 64 KB buffer. */
    private static void writeData(java.io.OutputStream out, Iterable<Output> tensors, String dtype, int width)
            throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = chunk.capacity() / width;
        for (Output t : tensors) {
            long remaining = t.elements();
            int at = t.offset();
            while (remaining > 0) {
                int n = (int) Math.min(remaining, perChunk);
                chunk.clear();
                float[] v = t.values();
                switch (dtype) {
                    case "F32" -> chunk.asFloatBuffer().put(v, at, n);
                    case "F16" -> {
                        for (int i = 0; i < n; i++) {
                            chunk.putShort(2 * i, Float.floatToFloat16(v[at + i]));
                        }
                    }
                    default -> {
                        for (int i = 0; i < n; i++) {
                            chunk.putShort(2 * i, toBfloat16(v[at + i]));
                        }
                    }
                }
                out.write(chunk.array(), 0, n * width);
                at += n;
                remaining -= n;
            }
        }
    }

}
