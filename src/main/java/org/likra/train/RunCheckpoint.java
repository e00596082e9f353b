package org.likra.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.likra.io.HfConfig;
import org.likra.io.ModelDirectory;
import org.likra.io.SafeTensors;
import org.likra.io.Tokenizers;
import org.likra.model.NonFinite;
import org.likra.model.ParameterLayout;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A run directory's {@code checkpoint/}: a loadable model directory (config.json, model.safetensors) that is also
 * a resumable run (optimizer.safetensors with the AdamW moments, trainer_state.json with the position).
 *
 * <p>Two generations are kept: {@code checkpoint/}, the newest, and {@code checkpoint.previous/}, the one before.
 * Saving writes the new checkpoint whole into {@code checkpoint.tmp/} and reads it back, comparing every value with
 * what was meant to be written; only then is {@code checkpoint.previous/} deleted, {@code checkpoint/} renamed to
 * {@code checkpoint.previous/} and {@code checkpoint.tmp/} to {@code checkpoint/}. A crash at any point leaves a
 * complete {@code checkpoint/} or {@code checkpoint.previous/}, and {@link #find} takes the newer. Nothing with a
 * NaN or infinite value is saved ({@link Snapshot#firstNonFinite}).
 */
public final class RunCheckpoint {
    public static final String DIR = "checkpoint";
    /** The generation before {@link #DIR}. */
    public static final String PREVIOUS = "checkpoint.previous";
    /** Where a save is written before it replaces {@link #DIR}. */
    static final String TMP = "checkpoint.tmp";
    /** Where earlier versions kept the old checkpoint between the two renames of a save; still read by {@link #find}. */
    static final String LEGACY_OLD = "checkpoint.old";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "trainer_state.json";
    private static final String FIRST_MOMENT = "adamw.exp_avg";
    private static final String SECOND_MOMENT = "adamw.exp_avg_sq";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunCheckpoint() {
    }

    /** The values a checkpoint holds, copied from the engine: the parameters and the two AdamW moments. */
    public record Snapshot(float[] parameters, float[] firstMoment, float[] secondMoment) {
        public static Snapshot of(Transformer model, AdamW optimizer) {
            int n = model.layout().total();
            float[] p = new float[n];
            float[] m = new float[n];
            float[] v = new float[n];
            model.engine().download(model.parameters(), p, 0);
            model.engine().download(optimizer.firstMoment(), m, 0);
            model.engine().download(optimizer.secondMoment(), v, 0);
            return new Snapshot(p, m, v);
        }

        /** The first NaN or infinite value: in a parameter tensor (layout order), then in the moments; or null. */
        public NonFinite firstNonFinite(ParameterLayout layout) {
            NonFinite bad = NonFinite.find(layout, parameters);
            bad = bad != null ? bad : NonFinite.find(FIRST_MOMENT, firstMoment, 0, firstMoment.length);
            return bad != null ? bad : NonFinite.find(SECOND_MOMENT, secondMoment, 0, secondMoment.length);
        }
    }

    /**
     * Saves model (config and {@code values.parameters()}), tokenizer (its file too, when it has one), optimizer
     * state and trainer state as the run's checkpoint, keeping the one it replaces as {@link #PREVIOUS}.
     *
     * @throws IllegalArgumentException when {@code values} holds a NaN or infinity (check
     *                                  {@link Snapshot#firstNonFinite} first)
     * @throws IOException              when writing fails or the files read back differ from {@code values}
     */
    public static void save(Path runDir, Transformer model, Snapshot values, Tokenizer tokenizer,
                            TrainerState state) throws IOException {
        NonFinite bad = values.firstNonFinite(model.layout());
        if (bad != null) {
            throw new IllegalArgumentException("refusing to save a checkpoint whose " + bad.describe());
        }
        Path tmp = runDir.resolve(TMP);
        deleteTree(tmp);
        Files.createDirectories(tmp);
        tokenizer.writeFiles(tmp);
        ModelDirectory.writeWeights(tmp.resolve(ModelDirectory.WEIGHTS), model.layout(), values.parameters(),
                Map.of("format", "pt"));
        HfConfig.write(tmp.resolve(ModelDirectory.CONFIG), model.config(), tokenizer.spec());
        int n = model.layout().total();
        SafeTensors.write(tmp.resolve(OPTIMIZER), List.of(
                new SafeTensors.Output(FIRST_MOMENT, new int[] {n}, values.firstMoment(), 0),
                new SafeTensors.Output(SECOND_MOMENT, new int[] {n}, values.secondMoment(), 0)),
                Map.of("step", Integer.toString(state.step())));
        AtomicFiles.writeString(tmp.resolve(STATE), stateJson(state));
        verify(tmp, model.layout(), values, state);

        Path current = runDir.resolve(DIR);
        Path previous = runDir.resolve(PREVIOUS);
        if (Files.exists(current)) {
            deleteTree(previous);
            Files.move(current, previous);
        }
        // Between these two renames checkpoint.previous/ is the newest complete checkpoint, and find() takes it.
        Files.move(tmp, current);
        deleteTree(runDir.resolve(LEGACY_OLD));
    }

    /**
     * Reads a checkpoint written into {@code dir} back and compares it with what was written: every parameter and
     * moment bit for bit, the trainer state, the config and the tokenizer (which must load). An IOException names the
     * first difference.
     */
    static void verify(Path dir, ParameterLayout layout, Snapshot values, TrainerState state) throws IOException {
        try {
            float[] parameters = ModelDirectory.readWeights(dir, layout);
            if (!Arrays.equals(parameters, values.parameters())) {
                throw new IOException(dir.resolve(ModelDirectory.WEIGHTS) + " does not read back as written");
            }
            int n = values.firstMoment().length;
            float[] moment = new float[n];
            try (SafeTensors st = SafeTensors.open(dir.resolve(OPTIMIZER))) {
                st.readInto(FIRST_MOMENT, new int[] {n}, moment, 0);
                boolean same = Arrays.equals(moment, values.firstMoment());
                st.readInto(SECOND_MOMENT, new int[] {n}, moment, 0);
                if (!same || !Arrays.equals(moment, values.secondMoment())) {
                    throw new IOException(dir.resolve(OPTIMIZER) + " does not read back as written");
                }
            }
            if (!readState(dir).equals(state)) {
                throw new IOException(dir.resolve(STATE) + " does not read back as written");
            }
            Tokenizers.load(ModelDirectory.readConfig(dir).tokenizer(), dir);
        } catch (UserError e) {
            throw new IOException("the checkpoint written into " + dir + " does not read back: " + e.getMessage(), e);
        }
    }

    /**
     * The newest complete checkpoint directory of a run ({@link #DIR}, else {@link #PREVIOUS}, else an earlier
     * version's {@code checkpoint.old/}), or null when the run has none.
     */
    public static Path find(Path runDir) {
        for (String name : new String[] {DIR, PREVIOUS, LEGACY_OLD}) {
            Path dir = runDir.resolve(name);
            if (Files.isRegularFile(dir.resolve(STATE))) {
                return dir;
            }
        }
        return null;
    }

    /** The text of trainer_state.json for {@code state} (indented JSON, a newline at the end). */
    static String stateJson(TrainerState state) throws IOException {
        return JSON.writeValueAsString(state) + "\n";
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

    /** Restores the AdamW moments saved with a checkpoint; a UserError when they are not finite. */
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
            for (String name : new String[] {FIRST_MOMENT, SECOND_MOMENT}) {
                st.readInto(name, new int[] {n}, values, 0);
                NonFinite bad = NonFinite.find(name, values, 0, n);
                if (bad != null) {
                    throw new UserError(file + ": " + bad.describe() + "; the checkpoint is broken: start the run "
                            + "again");
                }
                model.engine().upload(name.equals(FIRST_MOMENT) ? optimizer.firstMoment() : optimizer.secondMoment(),
                        values, 0);
            }
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
