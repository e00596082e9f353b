package org.likra.tokenize;

/** Text to token ids and back. */
public interface Tokenizer {
    /** Number of distinct ids this tokenizer produces; a model's vocabulary must be at least this large. */
    int vocabSize();

    /** Token ids of {@code text}, without BOS or EOS. */
    int[] encode(String text);

    /** The text of a sequence of ids (BOS/EOS and other control tokens print as nothing). */
    String decode(int[] ids);

    /** The beginning-of-sequence id, or -1 when the tokenizer has none. */
    int bos();

    /** The end-of-sequence id, or -1 when the tokenizer has none. */
    int eos();

    /** How a model directory records this tokenizer (see {@link TokenizerSpec}). */
    TokenizerSpec spec();

    /**
     * Writes the file that {@link #spec()} names into a model directory, so that the directory is self-contained.
     * Tokenizers without a file of their own write nothing.
     */
    default void writeFiles(java.nio.file.Path modelDir) throws java.io.IOException {
    }
}
