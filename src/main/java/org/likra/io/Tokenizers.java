package org.likra.io;

import org.likra.tokenize.BpeTokenizer;
import org.likra.tokenize.ByteTokenizer;
import org.likra.tokenize.Gpt2Tokenizer;
import org.likra.tokenize.Llama2cTokenizer;
import org.likra.tokenize.NoTokenizer;
import org.likra.tokenize.Tokenizer;
import org.likra.tokenize.TokenizerSpec;
import org.likra.tokenize.hf.HfTokenizer;
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
            case Gpt2Tokenizer.TYPE -> new Gpt2Tokenizer();
            case Llama2cTokenizer.TYPE -> Llama2cTokenizer.read(fileOf(spec, modelDir), spec);
            case BpeTokenizer.TYPE -> BpeTokenizer.read(fileOf(spec, modelDir));
            case "hf" -> HfTokenizer.read(fileOf(spec, modelDir));
            case "none" -> new NoTokenizer(modelDir);
            default -> throw new UserError(modelDir.resolve("config.json") + ": unknown tokenizer type '"
                    + spec.type() + "' (known: byte, gpt2, llama2c, bpe, hf, none)");
        };
    }

    /** The tokenizer file a spec names, which must be a plain file name inside the model directory. */
    private static Path fileOf(TokenizerSpec spec, Path modelDir) {
        if (spec.file() == null || spec.file().isBlank() || Path.of(spec.file()).isAbsolute()
                || spec.file().contains("..")) {
            throw new UserError(modelDir.resolve("config.json") + ": tokenizer type " + spec.type() + " needs "
                    + "likra.tokenizer.file, a file name inside the model directory (got '" + spec.file() + "')");
        }
        return modelDir.resolve(spec.file());
    }
}
