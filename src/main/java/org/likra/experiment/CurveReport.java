package org.likra.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.io.AtomicFiles;
import org.likra.plot.LinePlot;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes a learning curve as CSV, JSON and a PNG plot, and prints it as a table. */
public final class CurveReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CurveReport() {
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

    /** Accuracy against N (log scale), one line per scorer except base, which is a dashed reference line. */
    public static void plot(List<CurvePoint> points, String title, boolean normalized, Path file) throws IOException {
        LinePlot plot = new LinePlot(title, "training examples N (log scale)",
                normalized ? "acc_norm" : "acc").logX(true);
        for (CurvePoint p : points) {
            p.evaluations().forEach((name, e) -> {
                if (!name.equals("base")) {
                    plot.add(name, p.n(), (normalized ? e.accNorm() : e.acc()).value());
                }
            });
        }
        Evaluation base = points.get(0).evaluations().get("base");
        plot.horizontal("base", (normalized ? base.accNorm() : base.acc()).value());
        plot.writePng(file);
    }

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
        int total = points.get(0).evaluations().get("base").acc().total();
        double halfWidth = 1.96 * Math.sqrt(0.25 / total);
        out.printf("(%d test questions: a 95%% interval is up to +-%.3f wide; see the CSV for each one)%n", total,
                halfWidth);
    }
}
