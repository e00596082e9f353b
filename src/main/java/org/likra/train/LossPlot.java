package org.likra.train;

import com.fasterxml.jackson.databind.JsonNode;
import org.likra.plot.BandPlot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** A pretraining run's loss.png: the training and held-out losses of its metrics.jsonl, and the unigram entropy. */
public final class LossPlot {
    private LossPlot() {
    }

    /** Writes the loss curve of {@code metricsFile} to {@code png}, leaving out non-finite losses (a diverged step). */
    public static void write(Path metricsFile, Path png, String modelName, double unigram) throws IOException {
        BandPlot plot = new BandPlot("Pretraining " + modelName, "step", "loss (nats/token)");
        for (JsonNode r : MetricsLog.read(metricsFile)) {
            double step = r.get("step").asDouble();
            if (Double.isFinite(r.get("loss").asDouble())) {
                plot.add("training loss", step, r.get("loss").asDouble());
            }
            if (r.has("val_loss") && Double.isFinite(r.get("val_loss").asDouble())) {
                plot.add("held-out loss", step, r.get("val_loss").asDouble());
            }
        }
        if (Double.isFinite(unigram)) {
            plot.reference(String.format(Locale.ROOT, "unigram entropy %.2f", unigram), unigram);
        }
        plot.writePng(png);
    }
}
