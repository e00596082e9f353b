package org.likra.io;

import org.likra.config.ModelConfig;
import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.model.NonFinite;
import org.likra.engine.Tensor;
import org.likra.model.ParameterLayout;
import org.likra.model.ParameterSpec;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A model directory in Hugging Face layout: {@code config.json} and {@code model.safetensors} (or shards listed by
 * {@code model.safetensors.index.json}; F32, F16 or BF16) with Hugging Face Llama tensor names. Run directories
 * hold one in {@code checkpoint/}; {@link #resolve} accepts either.
 */
public final class ModelDirectory {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = WeightFiles.SINGLE;

    /** A loaded model and its tokenizer. */
    public record Loaded(Transformer model, Tokenizer tokenizer, Path directory) {
    }

    private ModelDirectory() {
    }

    /** The model directory at {@code path}: the path itself, or its {@code checkpoint/} (a run directory). */
    public static Path resolve(Path path) {
        if (Files.isRegularFile(path.resolve(CONFIG))) {
            return path;
        }
        // A run directory's newest checkpoint, the one before it, or (from an earlier version) checkpoint.old.
        for (String inRun : new String[] {"checkpoint", "checkpoint.previous", "checkpoint.old"}) {
            if (Files.isRegularFile(path.resolve(inRun).resolve(CONFIG))) {
                return path.resolve(inRun);
            }
        }
        if (!Files.exists(path)) {
            throw new UserError(path + ": no such model directory");
        }
        throw new UserError(path + ": not a model directory (no config.json in it or in its checkpoint/ folder)");
    }

    /**
     * Writes config.json, model.safetensors (float32) and the tokenizer's own file, if it has one (the BPE
     * tokenizer's tokenizer.json), into {@code dir}, so that {@link #load} gives back the same tokenizer.
     */
    public static void save(Path dir, Transformer model, Tokenizer tokenizer) throws IOException {
        Files.createDirectories(dir);
        tokenizer.writeFiles(dir);
        save(dir, model, tokenizer.spec());
    }

    /**
     * Writes config.json and model.safetensors (float32) into {@code dir}. A tokenizer file that {@code tokenizer}
     * names must be put into {@code dir} by the caller; {@link #save(Path, Transformer, Tokenizer)} does that.
     */
    public static void save(Path dir, Transformer model, TokenizerSpec tokenizer) throws IOException {
        Files.createDirectories(dir);
        float[] values = new float[model.layout().total()];
        model.engine().download(model.parameters(), values, 0);
        writeWeights(dir.resolve(WEIGHTS), model.layout(), values, Map.of("format", "pt"));
        HfConfig.write(dir.resolve(CONFIG), model.config(), tokenizer);
    }

    /**
     * Writes a model that is not on an engine (an import) into {@code dir}: config.json and model.safetensors,
     * with {@code model.metadata()} (plus format=pt) in the safetensors {@code __metadata__}.
     */
    public static void save(Path dir, RawModel model) throws IOException {
        Files.createDirectories(dir);
        ParameterLayout layout = model.layout();
        if (model.values().length != layout.total()) {
            throw new IllegalArgumentException("values has " + model.values().length + " floats, the layout "
                    + layout.total());
        }
        Map<String, String> metadata = new java.util.LinkedHashMap<>();
        metadata.put("format", "pt");
        if (model.metadata() != null) {
            metadata.putAll(model.metadata());
        }
        writeWeights(dir.resolve(WEIGHTS), layout, model.values(), metadata);
        HfConfig.write(dir.resolve(CONFIG), model.config(),
                model.tokenizer() == null ? TokenizerSpec.BYTE : model.tokenizer());
    }

    /** Reads a model directory's config, tokenizer spec, parameters and safetensors metadata, onto no engine. */
    public static RawModel readRaw(Path path) {
        Path dir = resolve(path);
        HfConfig.Contents contents = HfConfig.read(dir.resolve(CONFIG));
        ParameterLayout layout = layoutFor(contents.model(), dir.resolve(CONFIG));
        float[] values;
        Map<String, String> metadata;
        try (WeightFiles weights = WeightFiles.open(dir)) {
            checkShapes(weights, layout);
            values = new float[layout.total()];
            for (ParameterSpec spec : layout.specs()) {
                weights.readInto(spec.name(), spec.shape(), values, spec.offset());
            }
            metadata = weights.metadata();
        }
        return new RawModel(contents.model(), contents.tokenizer(), values, metadata);
    }

    /** The layout of a config read from {@code where}; a UserError where it is too large to hold in memory. */
    static ParameterLayout layoutFor(ModelConfig config, Path where) {
        return Llama2c.layoutOf(config, where);
    }

    /**
     * Checks that the weights have every tensor the config needs, with the right shape, before anything is allocated
     * (so that a config.json with absurd sizes fails with a message rather than running out of memory).
     */
    public static void checkShapes(WeightFiles weights, ParameterLayout layout) {
        checkShapes(weights.source(), weights.entries(), layout);
    }

    /** As {@link #checkShapes(WeightFiles, ParameterLayout)} for one safetensors file. */
    public static void checkShapes(SafeTensors st, ParameterLayout layout) {
        checkShapes(st.path(), st.entries(), layout);
    }

    private static void checkShapes(Path source, Map<String, SafeTensors.Entry> entries, ParameterLayout layout) {
        for (ParameterSpec spec : layout.specs()) {
            SafeTensors.Entry e = entries.get(spec.name());
            if (e == null) {
                throw new UserError(source + ": missing tensor " + spec.name() + ", which the architecture in "
                        + "config.json needs (config.json and the weights do not belong together?)");
            }
            if (!java.util.Arrays.equals(e.shape(), spec.shape())) {
                throw new UserError(source + ": tensor " + spec.name() + " has shape " + e.shapeString()
                        + " but config.json needs " + spec.shapeString() + " (config.json and the weights "
                        + "do not belong together?)");
            }
        }
    }

    /** Writes every parameter of {@code layout} from {@code values} under its Hugging Face name. */
    public static void writeWeights(Path file, ParameterLayout layout, float[] values, Map<String, String> metadata)
            throws IOException {
        List<SafeTensors.Output> outputs = new ArrayList<>();
        for (ParameterSpec spec : layout.specs()) {
            outputs.add(new SafeTensors.Output(spec.name(), spec.shape(), values, spec.offset()));
        }
        SafeTensors.write(file, outputs, metadata);
    }

    /** Reads the architecture and tokenizer recorded in a model directory. */
    public static HfConfig.Contents readConfig(Path dir) {
        return HfConfig.read(resolve(dir).resolve(CONFIG));
    }

    /** Loads a model directory onto an engine; a UserError naming the tensor when a weight is NaN or infinite. */
    public static Loaded load(Path path, Engine engine) {
        return load(path, engine, Precision.F32);
    }

    /**
     * Loads a model directory onto an engine with its parameters held in {@code parameterFormat}: F32, or BF16/F16
     * for a frozen base (each value rounded to the format, to nearest even, as it is uploaded: an F32 checkpoint
     * loses its low bits, a BF16 one loaded as BF16 keeps every bit). A UserError naming the tensor when a weight
     * is NaN or infinite, or beyond F16's range when loaded as F16.
     */
    public static Loaded load(Path path, Engine engine, Precision parameterFormat) {
        Path dir = resolve(path);
        HfConfig.Contents contents = HfConfig.read(dir.resolve(CONFIG));
        ModelConfig config = contents.model();
        ParameterLayout layout = layoutFor(config, dir.resolve(CONFIG));
        try (WeightFiles weights = WeightFiles.open(dir)) {
            checkShapes(weights, layout);
            Tokenizer tokenizer = Tokenizers.load(contents.tokenizer(), dir);
            if (tokenizer.vocabSize() > config.vocab()) {
                throw new UserError(dir.resolve(CONFIG) + ": the tokenizer has " + tokenizer.vocabSize()
                        + " tokens but the model's vocabulary is " + config.vocab());
            }
            Transformer model = new Transformer(config, engine, parameterFormat);
            upload(weights, layout, engine, model.parameters());
            return new Loaded(model, tokenizer, dir);
        }
    }

    /** Refuses a value of chunk[0, count) (elements first.. of a tensor) that F16 rounds to an infinity. */
    private static void checkF16Range(WeightFiles weights, String tensor, int first, float[] chunk, int count) {
        for (int i = 0; i < count; i++) {
            if (Float.isInfinite(Precision.F16.round(chunk[i]))) {
                throw new UserError(weights.source() + ": tensor " + tensor + " holds " + chunk[i] + " at element "
                        + (first + i) + ", beyond F16's range (largest " + Precision.F16_MAX + "); use "
                        + "--base-precision bf16 or f32");
            }
        }
    }

    /** Reads every parameter of {@code layout} from the model's weight files in {@code dir} into one array. */
    public static float[] readWeights(Path dir, ParameterLayout layout) {
        float[] values = new float[layout.total()];
        try (WeightFiles weights = WeightFiles.open(dir)) {
            for (ParameterSpec spec : layout.specs()) {
                weights.readInto(spec.name(), spec.shape(), values, spec.offset());
            }
        }
        return values;
    }

    /** The most floats {@link #upload} holds at once on the heap besides the engine's own buffer. */
    private static final int UPLOAD_CHUNK = 1 << 22;

    /**
     * Copies every parameter from the weight files into the engine's parameter buffer, a piece of at most
     * {@link #UPLOAD_CHUNK} floats at a time, so that loading needs the model's memory once (plus 16 MB), not twice.
     * A tensor holding NaN or infinity is refused, naming it (a model that cannot be trained on or scored with), and
     * so is one with a value that F16 cannot hold when the parameters are F16.
     */
    static void upload(WeightFiles weights, ParameterLayout layout, Engine engine, Tensor parameters) {
        float[] chunk = null;
        for (ParameterSpec spec : layout.specs()) {
            int size = spec.size();
            if (chunk == null || chunk.length < Math.min(size, UPLOAD_CHUNK)) {
                chunk = new float[Math.min(Math.max(size, 1 << 16), UPLOAD_CHUNK)];
            }
            NonFinite bad = null;
            int badCount = 0;
            for (int first = 0; first < size; first += UPLOAD_CHUNK) {
                int count = Math.min(UPLOAD_CHUNK, size - first);
                weights.readRange(spec.name(), first, count, chunk, 0);
                NonFinite piece = NonFinite.find(spec.name(), chunk, 0, count);
                if (piece != null) {
                    bad = bad != null ? bad : new NonFinite(spec.name(), first + piece.index(), piece.value(), 0);
                    badCount += piece.count();
                }
                if (parameters.format() == Precision.F16) {
                    checkF16Range(weights, spec.name(), first, chunk, count);
                }
                engine.upload(parameters.view(spec.offset() + first, count), chunk, 0);
            }
            if (bad != null) {
                throw new UserError(weights.source() + ": " + new NonFinite(bad.tensor(), bad.index(), bad.value(),
                        badCount).describe() + "; the model is broken (a training run that diverged?): use an "
                        + "earlier checkpoint or train it again");
            }
        }
    }
}
