package org.likra.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.util.AtomicFiles;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.stream.Stream;

/**
 * The compute a study has used: each run of {@code likra study} (one process: a first run, a resumed one, one shard on
 * another machine) keeps a record {@code cells/compute/<run>.json} with its wall time and the CPU time of its process,
 * rewritten after every cell it finishes, so that a killed run's record is at most one cell behind. The records live
 * beside the cells so that {@code study merge} copies them; the report sums them.
 */
final class StudyCompute {
    private final Path file;
    private final ObjectNode record = StudyPlan.JSON.createObjectNode();
    private final long startNanos = System.nanoTime();
    private final long startCpuNanos = processCpuNanos();
    private int cellsFinished;

    StudyCompute(StudyLayout layout, int shard, int shards, int workers) {
        Instant now = Instant.now();
        String run = now.toString().replace(':', '-') + "-" + ProcessHandle.current().pid();
        this.file = layout.cells().resolve("compute").resolve(run + ".json");
        record.put("started", now.toString()).put("host", host()).put("shard", shard + "/" + shards)
                .put("workers", workers).put("cores", Runtime.getRuntime().availableProcessors());
    }

    /** Counts a finished cell and rewrites this run's record. */
    synchronized void cellFinished() throws IOException {
        cellsFinished++;
        save();
    }

    /** Rewrites this run's record: wall seconds since the run began, CPU seconds of this process since then. */
    synchronized void save() throws IOException {
        record.put("cellsFinished", cellsFinished)
                .put("wallSeconds", (System.nanoTime() - startNanos) / 1e9)
                .put("cpuSeconds", (processCpuNanos() - startCpuNanos) / 1e9);
        Files.createDirectories(file.getParent());
        AtomicFiles.writeString(file, StudyPlan.JSON.writeValueAsString(record) + "\n");
    }

    /** The sum over every run recorded under {@code layout}: runs, cells, wall seconds and CPU seconds. */
    static ObjectNode total(StudyLayout layout) throws IOException {
        ObjectNode out = StudyPlan.JSON.createObjectNode();
        int runs = 0;
        int cells = 0;
        double wall = 0;
        double cpu = 0;
        Path dir = layout.cells().resolve("compute");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                    JsonNode r = StudyPlan.JSON.readTree(f.toFile());
                    runs++;
                    cells += r.path("cellsFinished").asInt();
                    wall += r.path("wallSeconds").asDouble();
                    cpu += r.path("cpuSeconds").asDouble();
                }
            }
        }
        return out.put("runs", runs).put("cellsFinished", cells).put("wallSeconds", wall).put("cpuSeconds", cpu);
    }

    /** CPU time of this process (all threads), or 0 where the JVM cannot tell. */
    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getProcessCpuTime());
        }
        return 0;
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
