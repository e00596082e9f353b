package org.likra.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import org.likra.util.UserError;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads model presets: JSON files in {@code models/} (also packaged inside the jar under {@code presets/}).
 * A preset is named either by a path to a JSON file or by its bare name ({@code llama-1m}).
 */
public final class Presets {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    private Presets() {
    }

    /** Resolves a preset by path or name and validates it. */
    public static ModelConfig load(String nameOrPath) {
        Path path = Path.of(nameOrPath);
        if (Files.isRegularFile(path)) {
            try {
                return parse(Files.readString(path), path.toString());
            } catch (IOException e) {
                throw new UserError("cannot read preset " + path + ": " + e.getMessage(), e);
            }
        }
        String bare = nameOrPath.endsWith(".json") ? nameOrPath.substring(0, nameOrPath.length() - 5) : nameOrPath;
        Path inModels = modelsDir().resolve(bare + ".json");
        if (Files.isRegularFile(inModels)) {
            return load(inModels.toString());
        }
        try (InputStream in = Presets.class.getResourceAsStream("/presets/" + bare + ".json")) {
            if (in != null) {
                return parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
                        "preset " + bare);
            }
        } catch (IOException e) {
            throw new UserError("cannot read preset " + bare + ": " + e.getMessage(), e);
        }
        throw new UserError("no preset '" + nameOrPath + "': give a JSON file or one of the names in models/ "
                + "(e.g. llama-1m, gpt2-S)");
    }

    /** Parses preset JSON text; {@code where} names the source in error messages. */
    public static ModelConfig parse(String json, String where) {
        try {
            ModelConfig config = JSON.readValue(json, ModelConfig.class);
            return config.validate(where);
        } catch (UnrecognizedPropertyException e) {
            throw new UserError(where + ": unknown field '" + e.getPropertyName() + "' at line "
                    + e.getLocation().getLineNr() + " (known fields: dim, layers, heads, kv_heads, hidden, vocab, "
                    + "context, norm, mlp, positions, bias, tied_embeddings, rope_theta, norm_eps, name)");
        } catch (InvalidFormatException e) {
            throw new UserError(where + ": bad value " + e.getValue() + " at line " + e.getLocation().getLineNr()
                    + " for field '" + fieldOf(e) + "'");
        } catch (JsonProcessingException e) {
            String loc = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            throw new UserError(where + ": malformed preset" + loc + ": " + e.getOriginalMessage());
        }
    }

    private static String fieldOf(InvalidFormatException e) {
        return e.getPath().isEmpty() ? "?" : e.getPath().get(e.getPath().size() - 1).getFieldName();
    }

    /** The repository's models/ folder: $LIKRA_HOME/models, else ./models. */
    public static Path modelsDir() {
        String home = System.getenv("LIKRA_HOME");
        return home != null ? Path.of(home, "models") : Path.of("models");
    }
}
