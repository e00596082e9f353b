package org.likra.io;

import com.fasterxml.jackson.databind.JsonNode;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model directory's weights: {@code model.safetensors}, or the shards that {@code model.safetensors.index.json}
 * lists (Hugging Face's layout for large checkpoints: {@code {"metadata": {...}, "weight_map": {tensor name: shard
 * file}}}). Only headers are read on opening; tensor data is mapped from the files as it is read.
 */
public final class WeightFiles implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path source;
    private final List<SafeTensors> files;
    /** Every tensor, by name, with the file that holds it. */
    private final Map<String, SafeTensors> owner;
    private final Map<String, SafeTensors.Entry> entries;

    private WeightFiles(Path source, List<SafeTensors> files, Map<String, SafeTensors> owner) {
        this.source = source;
        this.files = files;
        this.owner = owner;
        Map<String, SafeTensors.Entry> all = new LinkedHashMap<>();
        owner.forEach((name, st) -> all.put(name, st.entries().get(name)));
        this.entries = Collections.unmodifiableMap(all);
    }

    /** Whether {@code dir} holds weights: a model.safetensors or an index of shards. */
    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve(SINGLE)) || Files.isRegularFile(dir.resolve(INDEX));
    }

    /** Opens the weights of a model directory: model.safetensors when there is one, else the index's shards. */
    public static WeightFiles open(Path dir) {
        Path single = dir.resolve(SINGLE);
        if (Files.isRegularFile(single) || !Files.isRegularFile(dir.resolve(INDEX))) {
            SafeTensors st = SafeTensors.open(single);
            return new WeightFiles(single, List.of(st), byName(List.of(st)));
        }
        return openIndex(dir.resolve(INDEX));
    }

    private static Map<String, SafeTensors> byName(List<SafeTensors> files) {
        Map<String, SafeTensors> owner = new LinkedHashMap<>();
        for (SafeTensors st : files) {
            for (String name : st.entries().keySet()) {
                owner.put(name, st);
            }
        }
        return owner;
    }

    /** Reads and checks an index: every tensor it lists is in the shard it names, with no name twice. */
    static WeightFiles openIndex(Path index) {
        JsonNode root;
        try {
            root = HfConfig.JSON.readTree(Files.readString(index));
        } catch (NoSuchFileException e) {
            throw new UserError(index + ": no such file");
        } catch (IOException e) {
            String first = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw new UserError(index + ": not valid JSON: " + first);
        }
        if (root == null || !root.isObject()) {
            throw new UserError(index + ": not a JSON object (expected {\"metadata\": ..., \"weight_map\": ...})");
        }
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new UserError(index + ": missing, empty or non-object field 'weight_map' (tensor name -> shard "
                    + "file)");
        }
        Map<String, SafeTensors> shards = new LinkedHashMap<>();
        Map<String, SafeTensors> owner = new LinkedHashMap<>();
        List<SafeTensors> opened = new ArrayList<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                JsonNode fileNode = e.getValue();
                String file = fileNode.isTextual() ? fileNode.asText() : "";
                if (file.isEmpty() || file.contains("/") || file.contains("\\") || file.equals("..")
                        || file.equals(".")) {
                    throw new UserError(index + ": weight_map['" + name + "'] is " + fileNode + "; it must name a "
                            + "shard file in the same directory");
                }
                SafeTensors st = shards.get(file);
                if (st == null) {
                    Path shard = index.resolveSibling(file);
                    if (!Files.isRegularFile(shard)) {
                        throw new UserError(index + ": weight_map['" + name + "'] names " + file + ", which is not "
                                + "in " + index.getParent() + " (a shard is missing)");
                    }
                    st = SafeTensors.open(shard);
                    opened.add(st);
                    shards.put(file, st);
                }
                if (!st.entries().containsKey(name)) {
                    throw new UserError(index + ": weight_map puts tensor " + name + " in " + file + ", but that "
                            + "shard has no such tensor (the index and the shards do not belong together)");
                }
                owner.put(name, st);
            }
            return new WeightFiles(index, List.copyOf(opened), owner);
        } catch (RuntimeException e) {
            opened.forEach(SafeTensors::close);
            throw e;
        }
    }

    /** The file named in messages: model.safetensors, or the index. */
    public Path source() {
        return source;
    }

    /** Every tensor, by name (for an index, those it lists). */
    public Map<String, SafeTensors.Entry> entries() {
        return entries;
    }

    /** The {@code __metadata__} of the first file. */
    public Map<String, String> metadata() {
        return files.get(0).metadata();
    }

    /** How many files hold the weights. */
    public int fileCount() {
        return files.size();
    }

    /** The dtypes of the tensors, each once, in order of appearance. */
    public List<String> dtypes() {
        List<String> out = new ArrayList<>();
        for (SafeTensors.Entry e : entries.values()) {
            if (!out.contains(e.dtype())) {
                out.add(e.dtype());
            }
        }
        return out;
    }

    private SafeTensors fileOf(String name) {
        SafeTensors st = owner.get(name);
        if (st == null) {
            throw new UserError(source + ": missing tensor " + name);
        }
        return st;
    }

    /** Reads a whole tensor into {@code dst[dstOffset ...]}, checking its shape. */
    public void readInto(String name, int[] expectedShape, float[] dst, int dstOffset) {
        fileOf(name).readInto(name, expectedShape, dst, dstOffset);
    }

    /** Reads elements [first, first + count) of a tensor. */
    public void readRange(String name, long first, int count, float[] dst, int dstOffset) {
        SafeTensors st = fileOf(name);
        st.readRange(st.entries().get(name), first, count, dst, dstOffset);
    }

    /**
     * Writes tensors as a model directory's weights in {@code dtype}: one {@code model.safetensors} when they fit in
     * {@code maxShardBytes}, else shards {@code model-0000i-of-0000n.safetensors} of at most that many bytes each
     * (a larger tensor gets a shard of its own) and the index, as Hugging Face's {@code save_pretrained} lays them
     * out. The form not written (a stale single file or index) is removed, so that the directory is unambiguous.
     */
    public static void write(Path dir, List<SafeTensors.Output> tensors, Map<String, String> metadata, String dtype,
                             long maxShardBytes) throws IOException {
        int width = dtype.equals("F32") ? 4 : 2;
        List<List<SafeTensors.Output>> shards = new ArrayList<>();
        List<SafeTensors.Output> current = new ArrayList<>();
        long currentBytes = 0;
        long total = 0;
        for (SafeTensors.Output t : tensors) {
            long bytes = t.elements() * width;
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += bytes;
            total += bytes;
        }
        shards.add(current);
        Files.createDirectories(dir);
        if (shards.size() == 1) {
            SafeTensors.write(dir.resolve(SINGLE), tensors, metadata, dtype);
            Files.deleteIfExists(dir.resolve(INDEX));
            return;
        }
        var index = HfConfig.JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        var map = index.putObject("weight_map");
        int n = shards.size();
        for (int i = 0; i < n; i++) {
            String name = String.format(java.util.Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, n);
            SafeTensors.write(dir.resolve(name), shards.get(i), metadata, dtype);
            for (SafeTensors.Output t : shards.get(i)) {
                map.put(t.name(), name);
            }
        }
        Files.deleteIfExists(dir.resolve(SINGLE));
        AtomicFiles.writeString(dir.resolve(INDEX), HfConfig.JSON.writeValueAsString(index) + "\n");
    }

    @Override
    public void close() {
        files.forEach(SafeTensors::close);
    }
}
