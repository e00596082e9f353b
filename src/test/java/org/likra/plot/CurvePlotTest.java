package org.likra.plot;

import org.junit.jupiter.api.Test;
import org.likra.experiment.Accuracy;
import org.likra.experiment.CurvePoint;
import org.likra.experiment.CurveReport;
import org.likra.experiment.Evaluation;
import org.likra.experiment.Scorer;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What `curve`'s and `pretrain`'s plots show a reader: ticks, bands, a chance line and a legend in words. */
class CurvePlotTest {
    private static final int[] NS = {32, 64, 128, 256, 512, 752};

    /** A curve of 188 test questions: the base model near chance, every head well above it and rising with N. */
    private static List<CurvePoint> curve() {
        List<CurvePoint> points = new ArrayList<>();
        for (int i = 0; i < NS.length; i++) {
            Map<String, Evaluation> e = new LinkedHashMap<>();
            for (Scorer s : Scorer.values()) {
                int correct = s == Scorer.BASE ? 54 : 120 + 6 * i + s.ordinal();
                e.put(s.label(), new Evaluation(s, Accuracy.of(correct, 188), Accuracy.of(correct + 2, 188), null));
            }
            e.put("dpo", new Evaluation(Scorer.SFT, Accuracy.of(130 + i, 188), Accuracy.of(131 + i, 188), null));
            points.add(new CurvePoint(NS[i], e, Map.of()));
        }
        return points;
    }

    @Test
    void curveLabelsEveryNAndDrawsBandsChanceAndAReadableLegend() {
        BandPlot plot = CurveReport.chart(curve(), "all", true, 0.25);
        BufferedImage image = plot.render();
        BandPlot.Frame f = plot.lastFrame;
        assertEquals(List.of("0", "32", "64", "128", "256", "512", "752"), f.xTickLabels,
                "a labelled tick at N = 0 (the base model) and at every N");
        assertEquals(List.of("base model, no head: log p_base", "SFT, the positive head: log p+",
                "Likra: w+ log p+ - w- log p-", "negative head only: log p_base - log p-",
                "positive head's gain: log p+ - log p_base", "DPO head (correct/wrong pairs): log pi"),
                f.legend);
        // The base model's band: [0.223, 0.357] at N = 64 (its acc_norm, 56/188, with its Wilson interval), tinted
        // blue (Okabe-Ito's first colour) over white just above the line.
        Accuracy base = Accuracy.of(56, 188);
        Color tint = new Color(image.getRGB((int) Math.round((f.px(64) + f.px(128)) / 2),
                (int) Math.round(f.py((base.value() + base.high()) / 2))));
        assertTrue(tint.getBlue() > tint.getRed() && tint.getRed() < 240, "band pixel " + tint);
        // The chance line at 0.25 is drawn across the plot.
        boolean dark = false;
        for (int x = (int) f.px(256); x < (int) f.px(512); x++) {
            dark |= new Color(image.getRGB(x, (int) Math.round(f.py(0.25)))).getRed() < 180;
        }
        assertTrue(dark, "chance line");
    }

    @Test
    void aLinearAxisHasTicksAtRoundSteps() {
        BandPlot loss = new BandPlot("Pretraining", "step", "loss");
        for (int step = 1; step <= 1437; step++) {
            loss.add("training loss", step, 3.0 / Math.sqrt(step));
        }
        loss.render();
        List<String> labels = loss.lastFrame.xTickLabels;
        assertTrue(labels.size() >= 4, labels.toString());
        double step = Double.parseDouble(labels.get(1)) - Double.parseDouble(labels.get(0));
        assertEquals(BandPlot.niceStep(step), step, 1e-9, "a round step: " + labels);
        for (String label : labels) {
            double v = Double.parseDouble(label);
            assertEquals(Math.rint(v / step) * step, v, 1e-9, "a multiple of the step: " + labels);
        }
    }
}
