package org.likra.tokenize;

/**
 * Which tokenizer a model directory uses: what its config.json records under {@code likra.tokenizer}, or, for a plain
 * Hugging Face config, {@link #HF} when the directory has a {@code tokenizer.json} and {@link #NONE} when not.
 *
 * @param type "byte" (UTF-8 bytes, 256 ids), "gpt2", "llama2c" (file tokenizer.bin), "bpe" (our byte-level BPE, file
 *             tokenizer.json), "hf" (any Hugging Face tokenizer.json this project reads) or "none"
 * @param file a file inside the model directory that holds the vocabulary, or null
 */
public record TokenizerSpec(String type, String file) {
    public static final TokenizerSpec BYTE = new TokenizerSpec("byte", null);
    /** The file name of a Hugging Face tokenizer. */
    public static final String HF_FILE = "tokenizer.json";
    public static final TokenizerSpec HF = new TokenizerSpec("hf", HF_FILE);
    public static final TokenizerSpec NONE = new TokenizerSpec("none", null);
}
