package org.likra.tokenize;

import org.likra.util.UserError;

import java.nio.file.Path;

/** Creates the tokenizer a model directory records. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /** The tokenizer described by {@code spec}, with files resolved inside {@code modelDir}. */
    public static Tokenizer load(TokenizerSpec spec, Path modelDir) {
        return switch (spec.type()) {
            case "byte" -> new ByteTokenizer();
            default -> throw new UserError(modelDir.resolve("config.json") + ": unknown tokenizer type '"
                    + spec.type() + "' (known: byte)");
        };
    }
}
