package org.likra.train;

import org.likra.util.UserError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A pretraining corpus: reading its UTF-8 text, the part a new run's BPE tokenizer learns from, and the
 * fingerprint of its tokens that a resumed run is checked against.
 */
public final class Corpus {
    private Corpus() {
    }

    /**
     * Reads a UTF-8 text corpus; a UserError (with the line of the first bad byte) when it is missing, empty or not
     * UTF-8.
     */
    public static String readText(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such corpus file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the corpus: " + e.getMessage(), e);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new UserError(file + ":" + line + ": not UTF-8 text (byte " + in.position() + "); convert the "
                    + "corpus to UTF-8");
        }
        String text = out.flip().toString();
        if (text.isEmpty()) {
            throw new UserError(file + ": the corpus is empty");
        }
        return text;
    }

    /**
     * The text a new run's BPE tokenizer is trained on: the corpus without its held-out tail (the last
     * {@code valFraction} of its characters), so that the tokenizer does not see the text the model is evaluated on.
     */
    static String bpeTrainingText(String text, double valFraction) {
        int end = (int) Math.round(text.length() * (1 - valFraction));
        if (end > 0 && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, Math.max(0, Math.min(end, text.length())));
    }

    /** The SHA-256 of the tokens as big-endian 32-bit integers, in hex (trainer_state.json's corpus_sha256). */
    static String sha256(int[] tokens) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(tokens.length * 4);
            buf.asIntBuffer().put(tokens);
            return HexFormat.of().formatHex(digest.digest(buf.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
