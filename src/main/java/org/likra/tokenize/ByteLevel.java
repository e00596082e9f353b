package org.likra.tokenize;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level pre-tokenization: the regex that splits text into pieces, and the table that maps each byte to
 * a printable character so that a piece's UTF-8 bytes can be written as a string (a space becomes 'Ġ', a newline
 * 'Ċ'). Bytes that are printable Latin-1 characters map to themselves; the other 68 map, in byte order, to
 * U+0100, U+0101, ...
 */
final class ByteLevel {
    /**
     * GPT-2's split: English contractions, letters with an optional leading space, digits with an optional leading
     * space, other symbols with an optional leading space, whitespace not followed by a non-space, and whitespace.
     * {@code \s} is Unicode whitespace. Every character falls into some alternative, so the pieces cover the text.
     */
    static final Pattern SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** The character that stands for each byte. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** The byte each character stands for, indexed by character, or -1; covers U+0000..U+0143. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        }
        int next = 0;
        for (int b = 0; b < 256; b++) {
            BYTE_TO_CHAR[b] = printable[b] ? (char) b : (char) (256 + next++);
        }
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) {
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    private ByteLevel() {
    }

    /** The pieces of {@code text}, in order; their concatenation is {@code text}. */
    static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = SPLIT.matcher(text);
        while (m.find()) {
            pieces.add(m.group());
        }
        return pieces;
    }

    /** The byte-level string of some bytes: one character per byte. */
    static String toSymbols(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xff];
        }
        return new String(chars);
    }

    /** The bytes of a byte-level string, or null when it has a character outside the byte-level alphabet. */
    static byte[] toBytes(String symbols) {
        byte[] bytes = new byte[symbols.length()];
        for (int i = 0; i < bytes.length; i++) {
            char c = symbols.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                return null;
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
