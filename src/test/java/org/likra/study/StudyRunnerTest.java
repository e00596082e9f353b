package org.likra.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.likra.util.UserError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A whole study at toy size: a demo world, two llama-tiny bases pretrained for 30 steps, two head seeds, N = 8 and
 * 16, a near-miss arm and a DPO baseline; its report, resuming, a changed plan, and shards merged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StudyRunnerTest {
    static final String PLAN = """
            {
              "name": "tiny",
              "world": {"preset": "demo", "seed": 1},
              "tokenizer": "bpe:300",
              "pretrain": {"batch": 4, "seq": 64, "lr": 1e-2, "warmup": 5, "evalEvery": 15, "evalBatches": 2},
              "bases": [{"model": "llama-tiny", "seeds": [1, 2], "steps": 30, "ablations": true}],
              "heads": {"seeds": [1, 2], "lr": [1e-2], "epochs": [1]},
              "ns": [8, 16],
              "arms": [{"name": "near-miss", "negatives": "tag:near-miss"}],
              "dpo": [{"name": "dpo"}],
              "maxTest": 24,
              "bootstrap": 200
            }
            """;
    /** Cells of the plan: per base, its base and selection cells and 4 heads for each of 2 head seeds. */
    static final int CELLS = 2 * (2 + 2 * 4);

    @TempDir
    static Path dir;
    StudyPlan plan;
    Path full;
    String firstLog;

    static String run(StudyPlan plan, Path out, int shard, int shards) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int failed = new StudyRunner(plan, out, ps, 1, shard, shards, "cpu").run();
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, failed, text);
        return text;
    }

    static void report(Path study) throws IOException {
        StudyReport.write(study, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    static String reportJson(Path study) throws IOException {
        return Files.readString(study.resolve("report/report.json"), StandardCharsets.UTF_8);
    }

    /**
     * report.json without the wall-clock pretraining times and the compute records (the only fields a rerun of a
     * base, or another run, may change).
     */
    static JsonNode withoutTimes(Path study) throws IOException {
        ObjectNode r = (ObjectNode) StudyPlan.JSON.readTree(reportJson(study));
        r.remove("compute");
        r.get("sizes").forEach(s -> s.get("bases").forEach(b -> ((ObjectNode) b).remove("pretrainSeconds")));
        return r;
    }

    @BeforeAll
    void runTheStudyOnce() throws IOException {
        Path file = dir.resolve("tiny.json");
        Files.writeString(file, PLAN);
        plan = StudyPlan.read(file);
        full = dir.resolve("full");
        firstLog = run(plan, full, 0, 1);
        report(full);
    }

    @Test
    void theFirstRunRunsEveryCell() {
        assertTrue(firstLog.contains(CELLS + " cells in shard 0/1 (0 done, " + CELLS + " to run)"), firstLog);
        assertEquals(CELLS, firstLog.lines().filter(l -> l.contains("] done   ")).count(), firstLog);
        assertFalse(firstLog.contains("FAILED"), firstLog);
    }

    @Test
    void theReportIsWritten() throws IOException {
        Path r = full.resolve("report");
        for (String f : List.of("report.json", "report.md", "curves.csv", "tests.csv", "curves-llama-tiny.png",
                "arms-llama-tiny.png", "weights-llama-tiny.png", "dpo-llama-tiny.png")) {
            assertTrue(Files.isRegularFile(r.resolve(f)) && Files.size(r.resolve(f)) > 0, f);
        }
        byte[] png = Files.readAllBytes(r.resolve("curves-llama-tiny.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals("PNG", new String(png, 1, 3, StandardCharsets.US_ASCII));
        String curves = Files.readString(r.resolve("curves.csv"));
        assertTrue(curves.startsWith("model,series,n,metric,estimate,low,high,replicates\n"), curves);
        assertTrue(curves.contains("\nllama-tiny,likra,16,acc_norm,"), curves);
        String tests = Files.readString(r.resolve("tests.csv"));
        assertTrue(tests.startsWith("family,model,n,estimate,low,high,p,p_holm,replicates\n"), tests);
        assertTrue(tests.contains("\nlikra-sft,llama-tiny,8,"), tests);
        String markdown = Files.readString(r.resolve("report.md"));
        assertTrue(markdown.contains("tiny"));
        // every verdict row has the table's four cells: a '|' inside a measure is escaped
        String verdicts = markdown.substring(markdown.indexOf("## Verdicts"));
        verdicts = verdicts.substring(0, verdicts.indexOf("\n\n", verdicts.indexOf("| ---")));
        for (String row : verdicts.split("\n")) {
            if (row.startsWith("| ")) {
                assertEquals(5, row.split("(?<!\\\\)\\|", -1).length - 1, row);
            }
        }
    }

    @Test
    void theReportHoldsCurvesTestsAndVerdicts() throws IOException {
        JsonNode r = StudyPlan.JSON.readTree(reportJson(full));
        assertEquals("tiny", r.get("study").asText());
        assertEquals(24, r.get("testQuestions").asInt());
        assertEquals(List.of(8, 16), ints(r.get("ns")));
        assertEquals(1, r.get("sizes").size());
        JsonNode size = r.get("sizes").get(0);
        assertEquals("llama-tiny", size.get("model").asText());
        assertEquals(2, size.get("bases").size());
        for (JsonNode b : size.get("bases")) {
            assertEquals(2, b.get("headSeedsFinished").asInt(), b.toString());
        }
        JsonNode curves = size.get("curves");
        for (String series : List.of("base", "sft", "likra", "base-neg", "dpo", "likra:near-miss",
                "base-neg:near-miss")) {
            JsonNode points = curves.get(series);
            assertNotNull(points, series);
            Set<Integer> ns = new HashSet<>();
            for (JsonNode p : points) {
                ns.add(p.get("n").asInt());
                for (String metric : List.of("acc_norm", "acc")) {
                    JsonNode iv = p.get(metric);
                    double est = iv.get("estimate").asDouble();
                    assertTrue(iv.get("low").asDouble() <= est && est <= iv.get("high").asDouble()
                            && est >= 0 && est <= 1, series + " " + p);
                }
                // Base-model points: one replicate per base seed; heads: base seeds x head seeds.
                int n = p.get("n").asInt();
                boolean baseOnly = series.equals("base") || n == 0;
                assertEquals(baseOnly ? 2 : 4, p.get("replicates").asInt(), series + " " + p);
            }
            // The base model is a flat line; SFT and DPO start from it at N = 0; the scorers with a negative head
            // start at N = 8.
            Set<Integer> expected = List.of("base", "sft", "dpo").contains(series) ? Set.of(0, 8, 16)
                    : Set.of(8, 16);
            assertEquals(expected, ns, series);
        }
        // N = 0 of SFT is the base model itself.
        assertEquals(curves.get("base").get(0), withoutN(curves.get("sft").get(0)).set("n",
                curves.get("base").get(0).get("n")));
        JsonNode tests = r.get("tests");
        assertTrue(tests.size() >= 8, tests.toString());
        Set<String> families = new HashSet<>();
        for (JsonNode t : tests) {
            families.add(t.get("family").asText());
            double p = t.get("p").asDouble();
            assertTrue(p >= 0 && p <= 1, t.toString());
            assertTrue(t.get("pHolm").asDouble() >= p && t.get("pHolm").asDouble() <= 1, t.toString());
            assertTrue(t.get("low").asDouble() <= t.get("estimate").asDouble()
                    && t.get("estimate").asDouble() <= t.get("high").asDouble(), t.toString());
        }
        assertTrue(families.containsAll(List.of("likra-sft", "base_neg-base", "likra-base_neg")), families.toString());
        List<String> keys = new java.util.ArrayList<>();
        for (JsonNode v : r.get("verdicts")) {
            keys.add(v.get("key").asText());
            assertTrue(v.get("perSize").has("llama-tiny"), v.toString());
            assertTrue(List.of("reproduced", "contradicted", "undecided", "measured", "not measured",
                    "undecided (sizes disagree)").contains(v.get("verdict").asText()), v.toString());
        }
        assertEquals(List.of("jump", "negatives-alone", "near-miss", "plausible-wrong", "worth"), keys);
    }

    private static ObjectNode withoutN(JsonNode point) {
        ObjectNode copy = point.deepCopy();
        copy.remove("n");
        return copy;
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> out = new java.util.ArrayList<>();
        array.forEach(x -> out.add(x.asInt()));
        return out;
    }

    @Test
    void aSecondRunSkipsEveryCellAndAnAbsentCellIsRecomputed() throws IOException {
        JsonNode before = withoutTimes(full);
        String again = run(plan, full, 0, 1);
        assertTrue(again.contains("(" + CELLS + " done, 0 to run)"), again);
        assertFalse(again.contains("] start "), again);
        report(full);
        assertEquals(before, withoutTimes(full));

        Path cell = new StudyLayout(full).head("llama-tiny-s2", 1, "negative", "near-miss");
        assertTrue(Files.isRegularFile(cell), cell.toString());
        Files.delete(cell);
        String redo = run(plan, full, 0, 1);
        assertTrue(redo.contains("(" + (CELLS - 1) + " done, 1 to run)"), redo);
        List<String> started = redo.lines().filter(l -> l.contains("] start ")).toList();
        assertEquals(1, started.size(), redo);
        assertTrue(started.get(0).endsWith("start  negative near-miss llama-tiny-s2 h1"), started.get(0));
        assertTrue(Files.isRegularFile(cell));
        report(full);
        assertEquals(before, withoutTimes(full), "the recomputed cell gives the same report");
    }

    @Test
    void anotherPlanInTheSameFolderIsRefused() throws IOException {
        Path other = dir.resolve("other.json");
        Files.writeString(other, PLAN.replace("\"bootstrap\": 200", "\"bootstrap\": 300"));
        StudyPlan changed = StudyPlan.read(other);
        UserError e = assertThrows(UserError.class, () -> new StudyRunner(changed, full,
                new PrintStream(new ByteArrayOutputStream()), 1, 0, 1, "cpu").run());
        assertTrue(e.getMessage().contains("plan.json"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(plan.toJson(), Files.readString(full.resolve("plan.json")), "the folder keeps its plan");
    }

    @Test
    void shardsMergeIntoTheUnshardedReport() throws IOException {
        StudyRunner zero = new StudyRunner(plan, dir.resolve("s0"), System.out, 1, 0, 2, "cpu");
        StudyRunner one = new StudyRunner(plan, dir.resolve("s1"), System.out, 1, 1, 2, "cpu");
        List<String> ids0 = zero.basesOfShard().stream().map(b -> b[0] + "-s" + b[1]).toList();
        List<String> ids1 = one.basesOfShard().stream().map(b -> b[0] + "-s" + b[1]).toList();
        assertEquals(List.of("llama-tiny-s1"), ids0);
        assertEquals(List.of("llama-tiny-s2"), ids1);

        String log0 = run(plan, dir.resolve("s0"), 0, 2);
        String log1 = run(plan, dir.resolve("s1"), 1, 2);
        assertTrue(log0.contains(CELLS / 2 + " cells in shard 0/2"), log0);
        assertTrue(log1.contains(CELLS / 2 + " cells in shard 1/2"), log1);
        // No base model runs in both shards.
        assertEquals(Set.of("llama-tiny-s1", "compute"), children(dir.resolve("s0/cells")));
        assertEquals(Set.of("llama-tiny-s2", "compute"), children(dir.resolve("s1/cells")));
        assertEquals(Set.of("llama-tiny-s1"), children(dir.resolve("s0/bases")));
        assertEquals(Set.of("llama-tiny-s2"), children(dir.resolve("s1/bases")));

        Path merged = dir.resolve("merged");
        StudyMerge.merge(List.of(dir.resolve("s0"), dir.resolve("s1")), merged,
                new PrintStream(new ByteArrayOutputStream()));
        report(merged);
        assertEquals(withoutTimes(full), withoutTimes(merged));
        JsonNode compute = StudyPlan.JSON.readTree(reportJson(merged)).get("compute");
        assertEquals(2, compute.get("runs").asInt(), "one compute record per shard's run, merged");
        assertEquals(CELLS, compute.get("cellsFinished").asInt(), compute.toString());
    }

    @Test
    void eachRunRecordsItsComputeBesideTheCells() throws IOException {
        Path study = dir.resolve("compute");
        run(plan, study, 0, 2);
        report(study);
        JsonNode first = StudyPlan.JSON.readTree(reportJson(study)).get("compute");
        assertEquals(1, first.get("runs").asInt(), first.toString());
        assertEquals(CELLS / 2, first.get("cellsFinished").asInt(), first.toString());
        assertTrue(first.get("cpuSeconds").asDouble() > 0 && first.get("wallSeconds").asDouble() > 0, first.toString());
        run(plan, study, 0, 2);
        report(study);
        JsonNode second = StudyPlan.JSON.readTree(reportJson(study)).get("compute");
        assertEquals(first, second, "a run with no cell left to run records nothing");
        assertTrue(Files.readString(study.resolve("report/report.md")).contains("Compute recorded: " + CELLS / 2
                + " cells in 1 runs"));
        Files.delete(new StudyLayout(study).head("llama-tiny-s1", 1, "negative", "near-miss"));
        run(plan, study, 0, 2);
        report(study);
        JsonNode third = StudyPlan.JSON.readTree(reportJson(study)).get("compute");
        assertEquals(2, third.get("runs").asInt(), "a resumed run that runs a cell adds its own record: " + third);
        assertEquals(CELLS / 2 + 1, third.get("cellsFinished").asInt(), third.toString());
    }

    private static Set<String> children(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return new HashSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }
}
