package org.likra.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.util.AtomicFiles;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** {@code metrics.jsonl}: one JSON object per logged step (step, loss, lr, tokens_per_s, grad_norm, val_loss). */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final BufferedWriter out;

    /**
     * Opens the log for appending. When resuming from step {@code keepUpTo}, lines of later steps (written after
     * that checkpoint by the interrupted run) are dropped first, so the file reads as one uninterrupted run.
     */
    public MetricsLog(Path file, int keepUpTo) throws IOException {
        this.file = file;
        if (keepUpTo >= 0 && Files.exists(file)) {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    if (JSON.readTree(line).path("step").asInt(Integer.MAX_VALUE) <= keepUpTo) {
                        kept.add(line);
                    }
                } catch (IOException e) {
                    // a line cut short by the interruption: drop it
                }
            }
            AtomicFiles.writeString(file, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
        } else {
            AtomicFiles.writeString(file, "");
        }
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    public static ObjectNode record(int step) {
        ObjectNode node = JSON.createObjectNode();
        node.put("step", step);
        return node;
    }

    /** Appends one record; a write error (a full disk) names this file. */
    public void write(ObjectNode record) throws IOException {
        try {
            out.write(JSON.writeValueAsString(record));
            out.write('\n');
            out.flush();
        } catch (java.nio.file.FileSystemException e) {
            throw e;
        } catch (IOException e) {
            throw AtomicFiles.namingFile(file, e);
        }
    }

    /** Reads every record of a metrics file. */
    public static List<JsonNode> read(Path file) throws IOException {
        List<JsonNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                records.add(JSON.readTree(line));
            }
        }
        return records;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
