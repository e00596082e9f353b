package org.likra.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.likra.io.ModelDirectory;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;
import org.likra.util.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The best model of a pretraining run by its early-stopping criterion ({@link Pretrainer#stopWhenNoBetter}): its
 * step, its held-out loss, the criterion's value and whether the run stopped because no later evaluation improved
 * on it. Saved as a model directory, {@code <run>/best/}, with {@code best.json}, replaced atomically.
 */
public record BestModel(int step, double valLoss, double criterion, boolean stopped) {
    /** The folder, inside a run, of the model with the lowest criterion value so far. */
    public static final String DIR = "best";
    /** The file in {@link #DIR} that records its step, held-out loss and criterion value. */
    public static final String STATE = "best.json";

    /** The run's best model so far, or none (step 0, infinite loss). */
    public static BestModel read(Path runDir) throws IOException {
        Path old = runDir.resolve(DIR + ".old");
        if (!Files.exists(runDir.resolve(DIR)) && Files.isRegularFile(old.resolve(STATE))) {
            // A crash between the two renames of save(): the previous best model is the best one.
            Files.move(old, runDir.resolve(DIR));
        }
        Path f = runDir.resolve(DIR).resolve(STATE);
        if (!Files.isRegularFile(f)) {
            return new BestModel(0, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, false);
        }
        JsonNode n = new ObjectMapper().readTree(f.toFile());
        return new BestModel(n.get("step").asInt(), n.get("val_loss").asDouble(), n.get("criterion").asDouble(),
                n.path("stopped").asBoolean());
    }

    /** This model with {@code stopped} set: the run ended because nothing improved on it. */
    BestModel asStopped() {
        return new BestModel(step, valLoss, criterion, true);
    }

    /** Saves {@code model} as the run's best model: written whole into best.tmp/, then renamed over best/. */
    void save(Path runDir, Transformer model, Tokenizer tokenizer) throws IOException {
        Path tmp = runDir.resolve(DIR + ".tmp");
        RunCheckpoint.deleteTree(tmp);
        ModelDirectory.save(tmp, model, tokenizer);
        writeState(tmp);
        Path target = runDir.resolve(DIR);
        Path old = runDir.resolve(DIR + ".old");
        RunCheckpoint.deleteTree(old);
        if (Files.exists(target)) {
            Files.move(target, old);
        }
        // Between these renames only best.old/ exists, and read() takes it back.
        Files.move(tmp, target);
        RunCheckpoint.deleteTree(old);
    }

    /** Rewrites best.json of the run's best model (to record {@code stopped}). */
    void write(Path runDir) throws IOException {
        writeState(runDir.resolve(DIR));
    }

    private void writeState(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(STATE), String.format(Locale.ROOT,
                "{\"step\": %d, \"val_loss\": %.6f, \"criterion\": %.6f, \"stopped\": %b}%n", step, valLoss,
                criterion, stopped));
    }
}
