package org.likra.tokenize.hf;

/**
 * A piece of text on its way through the pre-tokenizers.
 *
 * @param text    the piece's (normalized) text
 * @param atStart whether it begins at offset 0 of the original text (Metaspace's {@code prepend_scheme: first}
 *                prepends "▁" to that piece only)
 */
record Piece(String text, boolean atStart) {
}
