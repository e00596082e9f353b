package org.likra.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.plot.BandPlot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The report's PNG plots: acc_norm against N with 95% bands, chance and type-only lines. */
final class StudyPlots {
    private StudyPlots() {
    }

    /** What each series is, in words a reader of the plot understands. */
    static final Map<String, String> LEGEND = new LinkedHashMap<>();

    static {
        LEGEND.put("base", "base model (no training)");
        LEGEND.put("sft", "SFT: positive head, log p+");
        LEGEND.put("likra", "Likra: log p+ - log p-");
        LEGEND.put("base-neg", "negatives only: log p_base - log p-");
        LEGEND.put("dpo", "DPO (matched), log pi");
        LEGEND.put("dpo-authors", "DPO (authors' recipe), log pi");
    }

    static void write(Path dir, String model, ObjectNode curves, double chance, double typeOnly, boolean ablations,
                      StudyPlan plan) throws IOException {
        BandPlot main = plot(model + ": accuracy (acc_norm) against training questions", chance, typeOnly);
        for (String s : new String[] {"base", "sft", "likra", "base-neg", "dpo"}) {
            add(main, curves, s, LEGEND.getOrDefault(s, s));
        }
        main.writePng(dir.resolve("curves-" + model + ".png"));
        if (ablations) {
            BandPlot arms = plot(model + ": Likra by the negatives its negative head saw", chance, typeOnly);
            add(arms, curves, "sft", LEGEND.get("sft"));
            add(arms, curves, "likra", "Likra, " + plan.main().negatives() + " (main)");
            for (StudyPlan.Arm a : plan.arms()) {
                add(arms, curves, "likra:" + a.name(), "Likra, " + describe(a));
            }
            arms.writePng(dir.resolve("arms-" + model + ".png"));
            BandPlot weights = plot(model + ": Likra with negative weight w- (log p+ - w- log p-)", chance, typeOnly);
            for (double w : plan.negativeWeights()) {
                add(weights, curves, "likra-w" + StudyReport.fmt(w), "w- = " + StudyReport.fmt(w)
                        + (w == 0 ? " (= SFT)" : ""));
            }
            weights.writePng(dir.resolve("weights-" + model + ".png"));
            BandPlot dpo = plot(model + ": DPO baselines against Likra", chance, typeOnly);
            add(dpo, curves, "likra", LEGEND.get("likra"));
            for (StudyPlan.Dpo d : plan.dpo()) {
                add(dpo, curves, d.name(), d.name() + ", log pi");
                add(dpo, curves, d.name() + "-reward", d.name() + ", reward log pi - log p_base");
            }
            dpo.writePng(dir.resolve("dpo-" + model + ".png"));
        }
    }

    static String describe(StudyPlan.Arm a) {
        String s = a.negatives() + (a.perQuestion() > 1 ? " x" + a.perQuestion() : "");
        return a.contamination() > 0 ? s + String.format(Locale.ROOT, ", %.0f%% contaminated",
                100 * a.contamination()) : s;
    }

    private static BandPlot plot(String title, double chance, double typeOnly) {
        return new BandPlot(title, "training questions N (log scale; 0 = base model)", "accuracy (acc_norm)")
                .logX(true).yRange(0, 1)
                .reference(String.format(Locale.ROOT, "chance %.2f", chance), chance)
                .reference(String.format(Locale.ROOT, "type-only %.2f", typeOnly), typeOnly);
    }

    private static void add(BandPlot plot, ObjectNode curves, String series, String label) {
        JsonNode points = curves.get(series);
        if (points == null) {
            return;
        }
        for (JsonNode p : points) {
            JsonNode a = p.get("acc_norm");
            if (a != null) {
                plot.add(label, p.get("n").asDouble(), a.get("estimate").asDouble(), a.get("low").asDouble(),
                        a.get("high").asDouble());
            }
        }
    }
}
