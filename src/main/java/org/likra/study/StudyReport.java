package org.likra.study;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.data.MultipleChoiceQuestion;
import org.likra.experiment.NegativeStrategy;
import org.likra.stats.HierarchicalBootstrap;
import org.likra.stats.Holm;
import org.likra.stats.Interval;
import org.likra.stats.PairedTest;
import org.likra.util.AtomicFiles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A study's report, computed from its finished cells alone: per base size the learning curves of every scorer
 * (mean over base seeds and head seeds, 95% hierarchical bootstrap bands: base seeds, head seeds within them, and
 * test questions clustered by entity), paired tests at every N with Holm's correction within each family, the
 * ablations, the log-likelihood margins of finding (c), MC1/MC2 on the misconception questions, and a verdict for
 * each of the paper's findings by the rules in docs/study.md. Writes {@code report/report.json},
 * {@code report/curves.csv}, {@code report/tests.csv}, PNG plots and {@code report/report.md}.
 */
public final class StudyReport {
    /** Significance level of every verdict (after Holm's correction). */
    static final double ALPHA = 0.05;
    /** Largest |Likra - base-neg| (acc_norm) called "close" by finding (b). */
    static final double CLOSE = 0.05;

    private final StudyData data;
    private final HierarchicalBootstrap bootstrap;
    private final List<ObjectNode> tests = new ArrayList<>();

    private StudyReport(StudyData data) {
        this.data = data;
        this.bootstrap = new HierarchicalBootstrap(data.plan.world().seed(), data.plan.bootstrap());
    }

    /** Computes and writes the report of the study in {@code dir}. */
    public static void write(Path dir, PrintStream log) throws IOException {
        StudyData data = new StudyData(dir);
        if (data.bySize.isEmpty()) {
            throw new org.likra.util.UserError(dir + ": no finished base model yet; run the study first");
        }
        new StudyReport(data).writeTo(new StudyLayout(dir).report(), log);
    }

    /** What one outcome array holds. */
    enum Metric {
        ACC_NORM("acc_norm"), ACC("acc"), MISCONCEPTION_PICKED("misconception_picked");

        final String key;

        Metric(String key) {
            this.key = key;
        }
    }

    /** Outcomes of the replicates where every series needed is available. */
    record Outcomes(List<double[][]> values, int[] groups, List<String> replicates) {
        boolean isEmpty() {
            return replicates.isEmpty();
        }
    }

    /** Outcomes of several series over the same replicates (those where all are available). */
    Outcomes collect(List<StudyData.Base> bases, List<StudySeries> series, int n, Metric metric, int[] subset) {
        List<List<double[]>> perSeries = new ArrayList<>();
        series.forEach(s -> perSeries.add(new ArrayList<>()));
        List<Integer> groups = new ArrayList<>();
        List<String> reps = new ArrayList<>();
        for (int g = 0; g < bases.size(); g++) {
            StudyData.Base b = bases.get(g);
            for (long h : data.plan.heads().seeds()) {
                List<List<double[]>> scores = new ArrayList<>();
                for (StudySeries s : series) {
                    scores.add(s.scores(b, h, n));
                }
                if (scores.stream().anyMatch(x -> x == null)) {
                    continue;
                }
                for (int k = 0; k < series.size(); k++) {
                    perSeries.get(k).add(outcomes(scores.get(k), metric, subset));
                }
                groups.add(g);
                reps.add(b.id + "/h" + h);
                if (n == 0 || series.stream().allMatch(s -> s == StudySeries.BASE)) {
                    break; // the base model alone: one replicate per base seed
                }
            }
        }
        List<double[][]> values = new ArrayList<>();
        perSeries.forEach(l -> values.add(l.toArray(new double[0][])));
        return new Outcomes(values, groups.stream().mapToInt(Integer::intValue).toArray(), reps);
    }

    private double[] outcomes(List<double[]> scores, Metric metric, int[] subset) {
        double[] out = new double[subset.length];
        for (int i = 0; i < subset.length; i++) {
            MultipleChoiceQuestion q = data.test.get(subset[i]);
            int p = StudySeries.predict(q, scores.get(subset[i]), metric != Metric.ACC);
            out[i] = switch (metric) {
                case ACC_NORM, ACC -> p == q.answer() ? 1 : 0;
                case MISCONCEPTION_PICKED -> MultipleChoiceQuestion.TAG_MISCONCEPTION.equals(q.tags().get(p)) ? 1 : 0;
            };
        }
        return out;
    }

    private int[] clusters(int[] subset) {
        int[] c = new int[subset.length];
        for (int i = 0; i < subset.length; i++) {
            c[i] = data.cluster[subset[i]];
        }
        return c;
    }

    private Interval mean(Outcomes o, int[] subset) {
        return bootstrap.mean(o.values().get(0), o.groups(), clusters(subset));
    }

    /** A paired test a - b, recorded in its family for Holm's correction. */
    private ObjectNode test(String family, String model, int n, Outcomes o, int[] subset) {
        PairedTest t = bootstrap.paired(o.values().get(0), o.values().get(1), o.groups(), clusters(subset));
        ObjectNode node = StudyPlan.JSON.createObjectNode();
        node.put("family", family).put("model", model).put("n", n).put("estimate", t.estimate())
                .put("low", t.low()).put("high", t.high()).put("p", t.p()).put("replicates", o.replicates().size());
        tests.add(node);
        return node;
    }

    private void writeTo(Path out, PrintStream log) throws IOException {
        Files.createDirectories(out);
        int[] all = range(data.test.size());
        int[] misconceptions = subset(q -> q.tags().contains(MultipleChoiceQuestion.TAG_MISCONCEPTION));
        ObjectNode report = StudyPlan.JSON.createObjectNode();
        report.put("study", data.plan.name());
        report.put("description", data.plan.description());
        report.put("testQuestions", data.test.size());
        report.put("testEntities", data.clusterNames.size());
        report.put("misconceptionQuestions", misconceptions.length);
        report.put("chance", chance());
        report.put("typeOnly", typeOnly());
        report.set("ns", StudyPlan.JSON.valueToTree(data.ns));
        report.set("headSeeds", StudyPlan.JSON.valueToTree(data.plan.heads().seeds()));
        report.put("bootstrapResamples", data.plan.bootstrap());
        report.set("compute", StudyCompute.total(data.layout));
        ArrayNode sizes = report.putArray("sizes");
        StringBuilder csv = new StringBuilder("model,series,n,metric,estimate,low,high,replicates\n");
        for (Map.Entry<String, List<StudyData.Base>> e : data.bySize.entrySet()) {
            sizes.add(size(e.getKey(), e.getValue(), all, misconceptions, csv, out));
        }
        holm();
        report.set("tests", StudyPlan.JSON.valueToTree(tests));
        report.set("verdicts", StudyVerdicts.of(report));
        AtomicFiles.writeString(out.resolve("report.json"), StudyPlan.JSON.writeValueAsString(report) + "\n");
        AtomicFiles.writeString(out.resolve("curves.csv"), csv.toString());
        AtomicFiles.writeString(out.resolve("tests.csv"), testsCsv());
        String md = StudyMarkdown.of(report);
        AtomicFiles.writeString(out.resolve("report.md"), md);
        log.print(md);
        log.printf("%nreport written to %s (report.json, report.md, curves.csv, tests.csv, *.png)%n", out);
    }

    private ObjectNode size(String model, List<StudyData.Base> bases, int[] all, int[] misconceptions,
                            StringBuilder csv, Path out) throws IOException {
        ObjectNode node = StudyPlan.JSON.createObjectNode();
        node.put("model", model);
        bases(node.putArray("bases"), bases);
        boolean ablations = data.plan.bases().stream().anyMatch(b -> b.model().equals(model) && b.ablations());
        Map<String, StudySeries> series = series(ablations);
        ObjectNode curves = node.putObject("curves");
        curves(curves, model, bases, series, all, csv);
        // Paired tests at every N.
        for (int n : data.ns) {
            tests(model, bases, series, n, all, misconceptions, ablations);
        }
        node.set("margins", margins(bases, all));
        node.set("misconceptionQuestions", mc(bases, misconceptions, series));
        node.set("oneNegativeWorth", worth(curves));
        StudyPlots.write(out, model, curves, chance(), typeOnly(), ablations, data.plan);
        return node;
    }

    /** Per base model: its seed, size, held-out losses, the model kept, time, accuracy at N = 0, head seeds done. */
    private static void bases(ArrayNode baseNodes, List<StudyData.Base> bases) {
        for (StudyData.Base b : bases) {
            ObjectNode bn = baseNodes.addObject();
            bn.put("id", b.id).put("seed", b.seed);
            ObjectNode info = b.cell.info();
            bn.set("parameters", info.get("parameters"));
            bn.set("heldOutLoss", info.get("heldOutLoss"));
            bn.set("bestStep", info.get("bestStep"));
            bn.set("bestHeldOutLoss", info.get("bestHeldOutLoss"));
            bn.set("stoppedEarly", info.get("stoppedEarly"));
            bn.set("stopOn", info.get("stopOn"));
            bn.set("bestValidationAccNorm", info.get("bestValidationAccNorm"));
            bn.set("pretrainSeconds", info.get("pretrainSeconds"));
            bn.set("testAccNormN0", info.get("testAccNorm"));
            bn.set("testAccN0", info.get("testAcc"));
            bn.put("headSeedsFinished", b.heads.values().stream().filter(m -> !m.isEmpty()).count());
        }
    }

    /** The curves of a size by name: the scorers, the DPO baselines, and with ablations the w- and arm variants. */
    private Map<String, StudySeries> series(boolean ablations) {
        String main = data.plan.main().name();
        Map<String, StudySeries> series = new LinkedHashMap<>();
        series.put("base", StudySeries.base());
        series.put("sft", StudySeries.positive());
        series.put("likra", StudySeries.likra(main, 1));
        series.put("base-neg", StudySeries.baseNeg(main));
        series.put("pos-base", StudySeries.posBase());
        for (StudyPlan.Dpo d : data.plan.dpo()) {
            if (!d.ablation() || ablations) {
                series.put(d.name(), StudySeries.dpo(d.name()));
                series.put(d.name() + "-reward", StudySeries.dpoReward(d.name()));
            }
        }
        if (ablations) {
            for (double w : data.plan.negativeWeights()) {
                series.put("likra-w" + fmt(w), StudySeries.likra(main, w));
            }
            for (StudyPlan.Arm a : data.plan.arms()) {
                series.put("likra:" + a.name(), StudySeries.likra(a.name(), 1));
                series.put("base-neg:" + a.name(), StudySeries.baseNeg(a.name()));
            }
        }
        return series;
    }

    /**
     * Each series' mean accuracy (acc_norm and acc) with its interval at N = 0 and every N, into {@code curves} and
     * as rows of curves.csv.
     */
    private void curves(ObjectNode curves, String model, List<StudyData.Base> bases,
                        Map<String, StudySeries> series, int[] all, StringBuilder csv) {
        int[] ns = withZero(data.ns);
        for (Map.Entry<String, StudySeries> s : series.entrySet()) {
            ArrayNode points = curves.putArray(s.getKey());
            for (int n : ns) {
                for (Metric m : new Metric[] {Metric.ACC_NORM, Metric.ACC}) {
                    Outcomes o = collect(bases, List.of(s.getValue()), n, m, all);
                    if (o.isEmpty()) {
                        continue;
                    }
                    Interval iv = mean(o, all);
                    ObjectNode p = pointFor(points, n);
                    p.set(m.key, StudyPlan.JSON.valueToTree(iv));
                    p.put("replicates", o.replicates().size());
                    csv.append(String.format(Locale.ROOT, "%s,%s,%d,%s,%.5f,%.5f,%.5f,%d%n", model, s.getKey(), n,
                            m.key, iv.estimate(), iv.low(), iv.high(), o.replicates().size()));
                }
            }
        }
    }

    /**
     * The paired tests of a size at N: Likra against SFT, base-neg against base, Likra against base-neg, the
     * misconception rate, and with ablations the arms against each other.
     */
    private void tests(String model, List<StudyData.Base> bases, Map<String, StudySeries> series, int n, int[] all,
                   int[] misconceptions, boolean ablations) {
        pair("likra-sft", model, bases, series.get("likra"), series.get("sft"), n, all);
        pair("base_neg-base", model, bases, series.get("base-neg"), series.get("base"), n, all);
        pair("likra-base_neg", model, bases, series.get("likra"), series.get("base-neg"), n, all);
        if (misconceptions.length > 0) {
            Outcomes o = collect(bases, List.of(series.get("likra"), series.get("sft")), n,
                    Metric.MISCONCEPTION_PICKED, misconceptions);
            if (!o.isEmpty()) {
                test("misconception_picked:likra-sft", model, n, o, misconceptions);
            }
        }
        if (ablations) {
            String near = armOf(NegativeStrategy.TAG_NEAR_MISS);
            String far = armOf(NegativeStrategy.TAG_FAR);
            if (near != null && far != null) {
                pair("near_miss-far", model, bases, series.get("likra:" + near), series.get("likra:" + far), n,
                        all);
                pair("near_miss-far:base_neg", model, bases, series.get("base-neg:" + near),
                        series.get("base-neg:" + far), n, all);
            }
            String mis = armOf(NegativeStrategy.TAG_MISCONCEPTION);
            if (mis != null && near != null) {
                pair("misconception-near_miss", model, bases, series.get("likra:" + mis),
                        series.get("likra:" + near), n, all);
            }
        }
    }

    private void pair(String family, String model, List<StudyData.Base> bases, StudySeries a, StudySeries b, int n,
                      int[] subset) {
        Outcomes o = collect(bases, List.of(a, b), n, Metric.ACC_NORM, subset);
        if (!o.isEmpty()) {
            test(family, model, n, o, subset);
        }
    }

    private String armOf(NegativeStrategy s) {
        return data.plan.arms().stream().filter(a -> a.strategy() == s && a.perQuestion() == 1
                && a.contamination() == 0).map(StudyPlan.Arm::name).findFirst().orElse(null);
    }

    /**
     * Finding (c): mean summed log-likelihood of correct, near-miss, far and misconception choices under the base
     * model and each head (main arm) at every N, over replicates, and the margins of correct over each.
     */
    private ObjectNode margins(List<StudyData.Base> bases, int[] all) {
        ObjectNode out = StudyPlan.JSON.createObjectNode();
        String[] tags = {MultipleChoiceQuestion.TAG_CORRECT, MultipleChoiceQuestion.TAG_NEAR_MISS,
                MultipleChoiceQuestion.TAG_FAR, MultipleChoiceQuestion.TAG_MISCONCEPTION};
        Map<String, StudySeries> states = new LinkedHashMap<>();
        states.put("base", StudySeries.base());
        states.put("positive", StudySeries.head("positive-positive"));
        states.put("negative", StudySeries.head("negative-" + data.plan.main().name()));
        states.put("likra", StudySeries.likra(data.plan.main().name(), 1));
        for (Map.Entry<String, StudySeries> s : states.entrySet()) {
            ArrayNode arr = out.putArray(s.getKey());
            for (int n : s.getKey().equals("base") ? new int[] {0} : data.ns) {
                double[] sum = new double[tags.length];
                long[] count = new long[tags.length];
                int reps = 0;
                for (StudyData.Base b : bases) {
                    for (long h : data.plan.heads().seeds()) {
                        List<double[]> sc = s.getValue().scores(b, h, n);
                        if (sc == null) {
                            continue;
                        }
                        reps++;
                        for (int q : all) {
                            MultipleChoiceQuestion question = data.test.get(q);
                            for (int c = 0; c < question.choiceCount(); c++) {
                                for (int t = 0; t < tags.length; t++) {
                                    if (tags[t].equals(question.tags().get(c))) {
                                        sum[t] += sc.get(q)[c];
                                        count[t]++;
                                    }
                                }
                            }
                        }
                        if (n == 0) {
                            break;
                        }
                    }
                }
                if (reps == 0) {
                    continue;
                }
                ObjectNode p = arr.addObject().put("n", n).put("replicates", reps);
                for (int t = 0; t < tags.length; t++) {
                    p.put(tags[t], count[t] == 0 ? Double.NaN : sum[t] / count[t]);
                }
                for (int t = 1; t < tags.length; t++) {
                    p.put("correct-" + tags[t], count[t] == 0 ? Double.NaN : sum[0] / count[0] - sum[t] / count[t]);
                }
            }
        }
        return out;
    }

    /**
     * The misconception questions scored TruthfulQA-style: MC1 (acc_norm of each scorer on them), the share of
     * predictions that pick the misconception, and MC2 (the normalised probability of the correct answer among the
     * choices, exp of each model state's summed log-likelihood), at every N.
     */
    private ObjectNode mc(List<StudyData.Base> bases, int[] subset, Map<String, StudySeries> series) {
        ObjectNode out = StudyPlan.JSON.createObjectNode();
        out.put("questions", subset.length);
        if (subset.length == 0) {
            return out;
        }
        for (String name : List.of("base", "sft", "likra", "base-neg")) {
            ArrayNode arr = out.putArray(name);
            for (int n : name.equals("base") ? new int[] {0} : data.ns) {
                Outcomes acc = collect(bases, List.of(series.get(name)), n, Metric.ACC_NORM, subset);
                Outcomes picked = collect(bases, List.of(series.get(name)), n, Metric.MISCONCEPTION_PICKED, subset);
                if (acc.isEmpty()) {
                    continue;
                }
                ObjectNode p = arr.addObject().put("n", n);
                p.set("mc1", StudyPlan.JSON.valueToTree(mean(acc, subset)));
                p.set("misconceptionPicked", StudyPlan.JSON.valueToTree(mean(picked, subset)));
                p.put("mc2", mc2(bases, series.get(name), n, subset));
            }
        }
        return out;
    }

    private double mc2(List<StudyData.Base> bases, StudySeries s, int n, int[] subset) {
        double sum = 0;
        int count = 0;
        for (StudyData.Base b : bases) {
            for (long h : data.plan.heads().seeds()) {
                List<double[]> sc = s.scores(b, h, n);
                if (sc == null) {
                    continue;
                }
                for (int q : subset) {
                    double[] x = sc.get(q);
                    double max = java.util.Arrays.stream(x).max().orElse(0);
                    double z = 0;
                    for (double v : x) {
                        z += Math.exp(v - max);
                    }
                    sum += Math.exp(x[data.test.get(q).answer()] - max) / z;
                    count++;
                }
                if (n == 0) {
                    break;
                }
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    /**
     * "One negative is worth about k positives": for each N, the number of questions N' at which SFT's mean
     * acc_norm curve (N = 0 being the base model) reaches base-neg's mean acc_norm at N, by linear interpolation in
     * log N'; k = N' / N. Undefined where base-neg is not above the base model or above SFT's whole curve.
     */
    private ObjectNode worth(ObjectNode curves) {
        ObjectNode out = StudyPlan.JSON.createObjectNode();
        Map<Integer, Double> sft = estimates(curves, "sft");
        Map<Integer, Double> neg = estimates(curves, "base-neg");
        ArrayNode arr = out.putArray("points");
        List<Double> ratios = new ArrayList<>();
        Double base = sft.get(0);
        for (int n : data.ns) {
            Double target = neg.get(n);
            if (target == null || base == null) {
                continue;
            }
            ObjectNode p = arr.addObject().put("n", n).put("baseNeg", target);
            Double equivalent = null;
            if (target > base) {
                int prev = 0;
                double prevY = base;
                for (int m : data.ns) {
                    Double y = sft.get(m);
                    if (y == null) {
                        continue;
                    }
                    if (y >= target && prevY < target) {
                        double lx0 = Math.log(Math.max(prev, 1));
                        double lx1 = Math.log(m);
                        double f = (target - prevY) / (y - prevY);
                        equivalent = Math.exp(lx0 + f * (lx1 - lx0));
                        break;
                    }
                    prev = m;
                    prevY = y;
                }
            }
            if (equivalent != null) {
                p.put("sftEquivalentN", equivalent).put("ratio", equivalent / n);
                ratios.add(equivalent / n);
            }
        }
        if (!ratios.isEmpty()) {
            out.put("medianRatio", median(ratios));
        }
        return out;
    }

    static Map<Integer, Double> estimates(ObjectNode curves, String series) {
        Map<Integer, Double> m = new LinkedHashMap<>();
        if (curves.has(series)) {
            curves.get(series).forEach(p -> {
                if (p.has("acc_norm")) {
                    m.put(p.get("n").asInt(), p.get("acc_norm").get("estimate").asDouble());
                }
            });
        }
        return m;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int k = s.size();
        return k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2;
    }

    private void holm() {
        Map<String, List<ObjectNode>> families = new LinkedHashMap<>();
        tests.forEach(t -> families.computeIfAbsent(t.get("family").asText(), k -> new ArrayList<>()).add(t));
        for (List<ObjectNode> f : families.values()) {
            double[] p = f.stream().mapToDouble(t -> t.get("p").asDouble()).toArray();
            double[] adj = Holm.adjust(p);
            for (int i = 0; i < f.size(); i++) {
                f.get(i).put("pHolm", adj[i]).put("familySize", f.size());
            }
        }
    }

    private String testsCsv() {
        StringBuilder s = new StringBuilder("family,model,n,estimate,low,high,p,p_holm,replicates\n");
        for (ObjectNode t : tests) {
            s.append(String.format(Locale.ROOT, "%s,%s,%d,%.5f,%.5f,%.5f,%.5g,%.5g,%d%n", t.get("family").asText(),
                    t.get("model").asText(), t.get("n").asInt(), t.get("estimate").asDouble(),
                    t.get("low").asDouble(), t.get("high").asDouble(), t.get("p").asDouble(),
                    t.get("pHolm").asDouble(), t.get("replicates").asInt()));
        }
        return s.toString();
    }

    private static ObjectNode pointFor(ArrayNode points, int n) {
        for (var p : points) {
            if (p.get("n").asInt() == n) {
                return (ObjectNode) p;
            }
        }
        return points.addObject().put("n", n);
    }

    /** 1 / number of choices, averaged over the test questions. */
    private double chance() {
        return data.test.stream().mapToDouble(q -> 1.0 / q.choiceCount()).average().orElse(Double.NaN);
    }

    /** 1 / number of choices of the answer's type (tagged correct, near-miss or misconception), averaged. */
    private double typeOnly() {
        return data.test.stream().mapToDouble(q -> 1.0 / q.tags().stream().filter(t -> !t.equals(
                MultipleChoiceQuestion.TAG_FAR)).count()).average().orElse(Double.NaN);
    }

    private int[] subset(java.util.function.Predicate<MultipleChoiceQuestion> keep) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < data.test.size(); i++) {
            if (keep.test(data.test.get(i))) {
                out.add(i);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    private static int[] withZero(int[] ns) {
        int[] out = new int[ns.length + 1];
        System.arraycopy(ns, 0, out, 1, ns.length);
        return out;
    }

    static String fmt(double w) {
        return w == Math.rint(w) ? Long.toString((long) w) : Double.toString(w);
    }
}
