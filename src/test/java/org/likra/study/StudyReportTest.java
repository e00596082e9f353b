package org.likra.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.data.MultipleChoiceQuestion;
import org.likra.util.UserError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report's statistics on hand-made cells (no training): a base model right on half the test questions, a
 * positive head right on all of them (except one replicate at N = 8, wrong on all), a negative head that scores
 * every choice alike. So SFT = Likra = 0.5 at N = 0, 0.75 at N = 8 and 1 at N = 16, and base-neg = base = 0.5.
 */
class StudyReportTest {
    static final String PLAN = """
            {"name": "made", "world": {"preset": "demo", "seed": 1}, "tokenizer": "byte",
             "bases": [{"model": "llama-tiny", "seeds": [1, 2]}], "heads": {"seeds": [1, 2]},
             "ns": [8, 16], "maxTest": 24, "bootstrap": 200}
            """;

    @TempDir
    Path dir;
    StudyPlan plan;
    StudyLayout layout;
    List<MultipleChoiceQuestion> test;

    /** Scores that make choice {@code pick(q)} the prediction (acc and acc_norm alike). */
    private List<double[]> scores(java.util.function.ToIntFunction<Integer> pick) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < test.size(); i++) {
            double[] s = new double[test.get(i).choiceCount()];
            java.util.Arrays.fill(s, -1000);
            s[pick.applyAsInt(i)] = 0;
            out.add(s);
        }
        return out;
    }

    private int right(int i) {
        return test.get(i).answer();
    }

    private int wrong(int i) {
        return (test.get(i).answer() + 1) % test.get(i).choiceCount();
    }

    private void cell(Path file, String kind, String name, Map<String, List<double[]>> scores) throws IOException {
        ObjectNode info = StudyPlan.JSON.createObjectNode();
        info.put("parameters", 1).put("testAccNorm", 0.5).put("testAcc", 0.5).put("pretrainSeconds", 1.0);
        info.putArray("heldOutLoss");
        Map<String, List<String>> ids = new LinkedHashMap<>();
        List<String> testIds = test.stream().map(MultipleChoiceQuestion::id).toList();
        scores.keySet().forEach(k -> ids.put(k, testIds));
        new CellScores(kind, name, info, ids, scores).write(file);
    }

    @BeforeEach
    void makeCells() throws IOException {
        Path file = dir.resolve("made.json");
        Files.writeString(file, PLAN);
        plan = StudyPlan.read(file);
        layout = new StudyLayout(dir.resolve("study"));
        Files.createDirectories(layout.root());
        Files.writeString(layout.plan(), plan.toJson());
        test = StudyWorld.generate(plan).test();
        assertEquals(24, test.size());
        for (long seed : List.of(1L, 2L)) {
            String id = "llama-tiny-s" + seed;
            cell(layout.baseScores(id), "base", "base", Map.of("test", scores(i -> i % 2 == 0 ? right(i)
                    : wrong(i))));
            for (long h : List.of(1L, 2L)) {
                boolean bad = seed == 2 && h == 2;
                Map<String, List<double[]>> pos = new LinkedHashMap<>();
                pos.put("8", scores(i -> bad ? wrong(i) : right(i)));
                pos.put("16", scores(this::right));
                cell(layout.head(id, h, "positive", "positive"), "positive", "positive", pos);
                Map<String, List<double[]>> neg = new LinkedHashMap<>();
                neg.put("8", scores(i -> 0).stream().map(s -> new double[s.length]).toList());
                neg.put("16", neg.get("8"));
                cell(layout.head(id, h, "negative", "main"), "negative", "main", neg);
            }
        }
    }

    private JsonNode report() throws IOException {
        StudyReport.write(layout.root(), new PrintStream(new ByteArrayOutputStream()));
        return StudyPlan.JSON.readTree(layout.report().resolve("report.json").toFile());
    }

    private static double estimate(JsonNode curves, String series, int n) {
        for (JsonNode p : curves.get(series)) {
            if (p.get("n").asInt() == n) {
                return p.get("acc_norm").get("estimate").asDouble();
            }
        }
        throw new AssertionError(series + " has no point at N = " + n + ": " + curves.get(series));
    }

    private static JsonNode test(JsonNode report, String family, int n) {
        JsonNode t = StudyVerdicts.find((ObjectNode) report, family, "llama-tiny", n);
        assertTrue(t != null, family + " at " + n);
        return t;
    }

    @Test
    void curvesAreTheMeansOfTheReplicates() throws IOException {
        JsonNode curves = report().get("sizes").get(0).get("curves");
        assertEquals(0.5, estimate(curves, "base", 0), 1e-12);
        assertEquals(0.5, estimate(curves, "sft", 0), 1e-12);
        assertEquals(0.75, estimate(curves, "sft", 8), 1e-12);
        assertEquals(1.0, estimate(curves, "sft", 16), 1e-12);
        assertEquals(0.75, estimate(curves, "likra", 8), 1e-12);
        assertEquals(0.5, estimate(curves, "base-neg", 16), 1e-12);
    }

    @Test
    void theN0PointOfSftIsTheBaseModel() throws IOException {
        JsonNode curves = report().get("sizes").get(0).get("curves");
        JsonNode base = curves.get("base").get(0);
        JsonNode sft = curves.get("sft").get(0);
        assertEquals(0, sft.get("n").asInt());
        assertEquals(base, sft, "SFT at N = 0 is the base model, interval and replicates included");
        assertEquals(2, base.get("replicates").asInt(), "one replicate per base seed");
        assertEquals(4, curves.get("sft").get(1).get("replicates").asInt(), "base seeds x head seeds");
    }

    @Test
    void holmAdjustsWithinEachFamily() throws IOException {
        JsonNode r = report();
        Map<String, List<JsonNode>> families = new LinkedHashMap<>();
        for (JsonNode t : r.get("tests")) {
            assertTrue(t.get("pHolm").asDouble() >= t.get("p").asDouble(), t.toString());
            families.computeIfAbsent(t.get("family").asText(), k -> new ArrayList<>()).add(t);
        }
        for (List<JsonNode> f : families.values()) {
            double[] p = f.stream().mapToDouble(t -> t.get("p").asDouble()).toArray();
            double[] adjusted = org.likra.stats.Holm.adjust(p);
            for (int i = 0; i < f.size(); i++) {
                assertEquals(adjusted[i], f.get(i).get("pHolm").asDouble(), 0, f.get(i).toString());
                assertEquals(f.size(), f.get(i).get("familySize").asInt());
            }
        }
        assertEquals(2, families.get("likra-base_neg").size(), "one test per N");
        // Likra - base-neg: 0.25 at N = 8, 0.5 at N = 16; both clear, and Holm doubles the smaller p.
        JsonNode at8 = test(r, "likra-base_neg", 8);
        JsonNode at16 = test(r, "likra-base_neg", 16);
        assertEquals(0.25, at8.get("estimate").asDouble(), 1e-12);
        assertEquals(0.5, at16.get("estimate").asDouble(), 1e-12);
        assertTrue(at16.get("pHolm").asDouble() < StudyReport.ALPHA, at16.toString());
        double smaller = Math.min(at8.get("p").asDouble(), at16.get("p").asDouble());
        assertEquals(Math.min(1, 2 * smaller), Math.min(at8.get("pHolm").asDouble(), at16.get("pHolm")
                .asDouble()), 1e-15);
        // Identical scorers: no difference, not significant.
        JsonNode same = test(r, "likra-sft", 16);
        assertEquals(0, same.get("estimate").asDouble(), 0);
        assertFalse(same.get("pHolm").asDouble() < StudyReport.ALPHA, same.toString());
    }

    @Test
    void verdictsFollowTheRules() throws IOException {
        Map<String, String> v = new LinkedHashMap<>();
        for (JsonNode f : report().get("verdicts")) {
            v.put(f.get("key").asText(), f.get("perSize").get("llama-tiny").get("verdict").asText());
        }
        assertEquals("undecided", v.get("jump"), "Likra = SFT at the smallest N");
        assertEquals("contradicted", v.get("negatives-alone"), "Likra is far above base-neg at the largest N");
        assertEquals("not measured", v.get("near-miss"), "no near-miss and far arms");
        assertEquals("undecided", v.get("worth"), "base-neg never rises above the base model");
    }

    @Test
    void aCellOfOtherQuestionsIsRefusedNamingIt() throws IOException {
        Path f = layout.head("llama-tiny-s1", 1, "negative", "main");
        List<String> ids = new ArrayList<>(test.stream().map(MultipleChoiceQuestion::id).toList());
        java.util.Collections.swap(ids, 0, 1);
        new CellScores("negative", "main", StudyPlan.JSON.createObjectNode(), Map.of("8", ids),
                Map.of("8", scores(this::right))).write(f);
        UserError e = assertThrows(UserError.class, this::report);
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }
}
