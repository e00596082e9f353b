package org.likra.tokenize;

import org.likra.util.UserError;

import java.nio.file.Path;

/**
 * The tokenizer of a model directory that has none (a plain Hugging Face directory without tokenizer.json): it has
 * no ids of its own, so every command that reads or writes token ids works, and encoding or decoding text fails
 * with a line that says what is missing.
 */
public final class NoTokenizer implements Tokenizer {
    private final Path modelDir;

    public NoTokenizer(Path modelDir) {
        this.modelDir = modelDir;
    }

    @Override
    public int vocabSize() {
        return 0;
    }

    @Override
    public int[] encode(String text) {
        throw missing("turn text into token ids");
    }

    @Override
    public String decode(int[] ids) {
        throw missing("turn token ids into text");
    }

    private UserError missing(String what) {
        return new UserError(modelDir + ": the model has no tokenizer (no " + TokenizerSpec.HF_FILE + " beside its "
                + "config.json), so it cannot " + what + "; put the model's tokenizer.json there, or use a command "
                + "that reads token ids (grad, info)");
    }

    @Override
    public int bos() {
        return -1;
    }

    @Override
    public int eos() {
        return -1;
    }

    @Override
    public TokenizerSpec spec() {
        return TokenizerSpec.NONE;
    }

    @Override
    public String toString() {
        return "no tokenizer";
    }
}
