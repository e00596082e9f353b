package org.likra.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.likra.io.AtomicFiles;
import org.likra.io.ModelDirectory;
import org.likra.io.SafeTensors;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A run directory's {@code checkpoint/}: a loadable model directory (config.json, model.safetensors) that is also
 * a resumable run (optimizer.safetensors with the AdamW moments, trainer_state.json with the position).
 *
 * <p>Saving is crash-safe: the new checkpoint is written whole into {@code checkpoint.tmp/}, then the old one is
 * renamed to {@code checkpoint.old/}, the new one to {@code checkpoint/}, and the old one deleted. A crash at any
 * point leaves either {@code checkpoint/} or {@code checkpoint.old/} complete, and {@link #find} takes whichever.
 */
public final class RunCheckpoint {
    public static final String DIR = "checkpoint";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "trainer_state.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunCheckpoint() {
    }

    /**
     * Writes model, tokenizer (its file too, when it has one), optimizer state and trainer state as the run's
     * checkpoint.
     */
    public static void save(Path runDir, Transformer model, AdamW optimizer, Tokenizer tokenizer,
                            TrainerState state) throws IOException {
        Path tmp = runDir.resolve(DIR + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        ModelDirectory.save(tmp, model, tokenizer);
        int n = model.layout().total();
        float[] m = new float[n];
        float[] v = new float[n];
        model.engine().download(optimizer.firstMoment(), m, 0);
        model.engine().download(optimizer.secondMoment(), v, 0);
        SafeTensors.write(tmp.resolve(OPTIMIZER), List.of(
                new SafeTensors.Output("adamw.exp_avg", new int[] {n}, m, 0),
                new SafeTensors.Output("adamw.exp_avg_sq", new int[] {n}, v, 0)),
                Map.of("step", Integer.toString(state.step())));
        AtomicFiles.writeString(tmp.resolve(STATE), JSON.writeValueAsString(state) + "\n");
        Path current = runDir.resolve(DIR);
        Path old = runDir.resolve(DIR + ".old");
        if (Files.exists(current)) {
            deleteTree(old);
            Files.move(current, old);
        }
        // Without checkpoint/ (a crash after the move above), checkpoint.old/ is the only complete checkpoint and
        // stays until the new one is in place.
        Files.move(tmp, current);
        deleteTree(old);
    }

    /** The newest complete checkpoint directory of a run, or null when the run has none. */
    public static Path find(Path runDir) {
        for (String name : new String[] {DIR, DIR + ".old"}) {
            Path dir = runDir.resolve(name);
            if (Files.isRegularFile(dir.resolve(STATE))) {
                return dir;
            }
        }
        return null;
    }

    public static TrainerState readState(Path checkpointDir) {
        Path file = checkpointDir.resolve(STATE);
        try {
            return JSON.readValue(file.toFile(), TrainerState.class);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the trainer state: " + e.getMessage().lines().findFirst()
                    .orElse(""));
        }
    }

    /** Restores the AdamW moments saved with a checkpoint. */
    public static void loadOptimizer(Path checkpointDir, Transformer model, AdamW optimizer, int expectedStep) {
        Path file = checkpointDir.resolve(OPTIMIZER);
        try (SafeTensors st = SafeTensors.open(file)) {
            String step = st.metadata().get("step");
            if (step == null || Integer.parseInt(step) != expectedStep) {
                throw new UserError(file + ": optimizer state is for step " + step + " but trainer_state.json says "
                        + expectedStep + "; the checkpoint is inconsistent");
            }
            int n = model.layout().total();
            float[] values = new float[n];
            st.readInto("adamw.exp_avg", new int[] {n}, values, 0);
            model.engine().upload(optimizer.firstMoment(), values, 0);
            st.readInto("adamw.exp_avg_sq", new int[] {n}, values, 0);
            model.engine().upload(optimizer.secondMoment(), values, 0);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
