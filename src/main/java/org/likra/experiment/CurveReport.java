package org.likra.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.plot.BandPlot;
import org.likra.util.AtomicFiles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes a learning curve as CSV, JSON and a PNG plot, and prints it as a table. */
public final class CurveReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CurveReport() {
    }

    /**
     * Writes a learning curve into {@code out}: curve.csv, curve.json (its settings, {@code baseModel} and the
     * points), curve.png (acc_norm, or acc where {@code normalized} is false, against N, with a dashed line at
     * {@code chance}); prints its table and the files written to {@code console}.
     */
    public static void write(List<CurvePoint> points, CurveSettings settings, String baseModel, Path out,
                             boolean normalized, double chance, PrintStream console) throws IOException {
        Files.createDirectories(out);
        ObjectNode json = JSON.valueToTree(settings);
        json.put("base_model", baseModel);
        csv(points, out.resolve("curve.csv"));
        json(points, json, out.resolve("curve.json"));
        plot(points, settings.negatives().strategy().label(), normalized, chance, out.resolve("curve.png"));
        table(points, console);
        console.println("wrote " + out.resolve("curve.csv") + ", curve.json and curve.png");
    }

    public static void csv(List<CurvePoint> points, Path file) throws IOException {
        StringBuilder sb = new StringBuilder("n,scorer,acc,acc_low,acc_high,acc_norm,acc_norm_low,acc_norm_high,"
                + "correct,correct_norm,total\n");
        for (CurvePoint p : points) {
            for (Evaluation e : p.evaluations().values()) {
                sb.append(String.format(java.util.Locale.ROOT, "%d,%s,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%d,%d,%d%n", p.n(),
                        label(e, p), e.acc().value(), e.acc().low(), e.acc().high(), e.accNorm().value(),
                        e.accNorm().low(), e.accNorm().high(), e.acc().correct(), e.accNorm().correct(),
                        e.acc().total()));
            }
        }
        AtomicFiles.writeString(file, sb.toString());
    }

    private static String label(Evaluation e, CurvePoint p) {
        for (Map.Entry<String, Evaluation> entry : p.evaluations().entrySet()) {
            if (entry.getValue() == e) {
                return entry.getKey();
            }
        }
        return e.scorer().label();
    }

    public static void json(List<CurvePoint> points, ObjectNode settings, Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.set("settings", settings);
        ArrayNode array = root.putArray("points");
        for (CurvePoint p : points) {
            ObjectNode node = array.addObject();
            node.put("n", p.n());
            ObjectNode scorers = node.putObject("scorers");
            p.evaluations().forEach((name, e) -> {
                ObjectNode s = scorers.putObject(name);
                accuracy(s.putObject("acc"), e.acc());
                accuracy(s.putObject("acc_norm"), e.accNorm());
            });
            ObjectNode ll = node.putObject("mean_log_likelihood");
            p.meanLogLikelihood().forEach((state, m) -> {
                ObjectNode s = ll.putObject(state);
                m.forEach((kind, v) -> {
                    if (Double.isNaN(v)) {
                        s.putNull(kind);
                    } else {
                        s.put(kind, v);
                    }
                });
            });
        }
        AtomicFiles.writeString(file, JSON.writeValueAsString(root) + "\n");
    }

    private static void accuracy(ObjectNode node, Accuracy a) {
        node.put("value", a.value());
        node.put("low95", a.low());
        node.put("high95", a.high());
        node.put("correct", a.correct());
        node.put("total", a.total());
    }

    /** The legend's and key's words for a column of the curve: a scorer's description, or DPO's. */
    static String describe(String name) {
        if (name.equals("dpo")) {
            return "DPO head (correct/wrong pairs): log pi";
        }
        try {
            return Scorer.parse(name).description();
        } catch (org.likra.util.UserError e) {
            return name;
        }
    }

    /**
     * Accuracy against N, one series per scorer with its 95% interval as a band, on a log2 axis with a labelled
     * tick at every N; the base model (no training) is drawn at N = 0 and across every N for comparison, with a
     * dashed line at chance accuracy.
     *
     * @param negatives which wrong answers the negative heads saw (for the title)
     * @param chance    the mean over the test questions of 1 / their number of choices
     */
    public static void plot(List<CurvePoint> points, String negatives, boolean normalized, double chance, Path file)
            throws IOException {
        chart(points, negatives, normalized, chance).writePng(file);
    }

    /** The chart {@link #plot} writes. */
    public static BandPlot chart(List<CurvePoint> points, String negatives, boolean normalized, double chance) {
        String metric = normalized ? "acc_norm" : "acc";
        BandPlot plot = new BandPlot("Test accuracy after training on N questions (negatives: " + negatives + ")",
                "training questions N (log scale; 0 = base model)", "accuracy (" + metric
                + ") with 95% interval").logX(true).yRange(0, 1).size(1200, 640) // room for the worded legend
                .reference(String.format(java.util.Locale.ROOT, "chance %.2f", chance), chance);
        Evaluation base = points.get(0).evaluations().get("base");
        Accuracy b = normalized ? base.accNorm() : base.acc();
        plot.add(describe("base"), 0, b.value(), b.low(), b.high());
        for (CurvePoint p : points) {
            p.evaluations().forEach((name, e) -> {
                Accuracy a = normalized ? e.accNorm() : e.acc();
                plot.add(describe(name), p.n(), a.value(), a.low(), a.high());
            });
        }
        return plot;
    }

    /** Prints acc and acc_norm of every scorer at every N, then a key to the columns and the intervals. */
    public static void table(List<CurvePoint> points, PrintStream out) {
        if (points.isEmpty()) {
            return;
        }
        List<String> names = List.copyOf(points.get(0).evaluations().keySet());
        StringBuilder header = new StringBuilder(String.format("%6s", "N"));
        for (String name : names) {
            header.append(String.format("  %9s", name));
        }
        out.println(header + "   (acc; acc_norm below)");
        for (CurvePoint p : points) {
            StringBuilder row = new StringBuilder(String.format("%6d", p.n()));
            StringBuilder norm = new StringBuilder(String.format("%6s", ""));
            for (String name : names) {
                Evaluation e = p.evaluations().get(name);
                row.append(String.format("  %9.3f", e.acc().value()));
                norm.append(String.format("  %9.3f", e.accNorm().value()));
            }
            out.println(row);
            out.println(norm);
        }
        out.println("key:");
        for (String name : names) {
            out.printf("  %-9s %s%n", name, describe(name));
        }
        out.println("  acc: the share of test questions whose highest-scoring choice is correct; acc_norm: the same "
                + "with\n  each choice's score divided by its length in characters.");
        int total = points.get(0).evaluations().get("base").acc().total();
        double halfWidth = 1.96 * Math.sqrt(0.25 / total);
        out.printf("  %d test questions: a 95%% Wilson interval reaches at most +-%.3f around a value (each one is "
                + "in curve.csv);%n  the heads are of one seed, so the intervals leave out seed-to-seed variation.%n",
                total, halfWidth);
    }
}
