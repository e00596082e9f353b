package org.likra.tokenize;

/**
 * Which tokenizer a model directory uses, as recorded in its config.json under {@code likra.tokenizer}.
 *
 * @param type "byte" (UTF-8 bytes, 256 ids), "gpt2", "llama2c" (file tokenizer.bin) or "bpe" (file tokenizer.json)
 * @param file a file inside the model directory that holds the vocabulary, or null
 */
public record TokenizerSpec(String type, String file) {
    public static final TokenizerSpec BYTE = new TokenizerSpec("byte", null);
}
