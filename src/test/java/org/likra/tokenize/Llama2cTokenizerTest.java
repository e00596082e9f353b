package org.likra.tokenize;

import org.junit.jupiter.api.Test;
import org.likra.io.SharedFiles;
import org.likra.util.UserError;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Llama2cTokenizerTest {

    /** A tokenizer file: the three control tokens, 256 byte tokens, then {@code extra} (piece -> score). */
    static byte[] tokenizerFile(Map<String, Float> extra) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        out.writeBytes(b.putInt(0, 16).array());
        Map<String, Float> all = new LinkedHashMap<>();
        all.put("<unk>", 0f);
        all.put("\n<s>\n", 0f);
        all.put("\n</s>\n", 0f);
        for (int i = 0; i < 256; i++) {
            all.put(String.format("<0x%02X>", i), 0f);
        }
        all.putAll(extra);
        for (Map.Entry<String, Float> e : all.entrySet()) {
            byte[] piece = e.getKey().getBytes(StandardCharsets.UTF_8);
            ByteBuffer rec = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            rec.putFloat(e.getValue()).putInt(piece.length);
            out.writeBytes(rec.array());
            out.writeBytes(piece);
        }
        return out.toByteArray();
    }

    static final int FIRST = 259;

    static Llama2cTokenizer small() {
        Map<String, Float> extra = new LinkedHashMap<>();
        extra.put(" ", -1f);      // 259
        extra.put("a", -2f);      // 260
        extra.put("b", -3f);      // 261
        extra.put("ab", -4f);     // 262
        extra.put(" a", -5f);     // 263
        extra.put(" ab", -0.5f);  // 264
        extra.put("é", -6f);      // 265
        extra.put("bb", -4f);     // 266
        return Llama2cTokenizer.parse(tokenizerFile(extra), "test.bin", new TokenizerSpec("llama2c", "t.bin"));
    }

    @Test
    void encodesAsRunCDoes() {
        Llama2cTokenizer t = small();
        assertEquals(FIRST + 8, t.vocabSize());
        assertArrayEquals(new int[0], t.encode(""));
        // " ab": dummy prefix " " + a + b; best pair is " a" (-5)? no: "ab" (-4) beats " a" (-5); then " " + "ab"
        // -> " ab" (-0.5)
        assertArrayEquals(new int[]{264}, t.encode("ab"));
        // "abb": ab (-4) and bb (-4) tie: the leftmost pair (a,b) merges first, then " "+"ab" -> " ab", then b
        assertArrayEquals(new int[]{264, 261}, t.encode("abb"));
        // "bab": " "+b no; b+a no; a+b -> ab; " "+"b" no, "b"+"ab" no
        assertArrayEquals(new int[]{259, 261, 262}, t.encode("bab"));
        // é has a token; 'ü' (0xC3 0xBC) has none: byte fallback, id = byte + 3
        assertArrayEquals(new int[]{259, 265, 0xC3 + 3, 0xBC + 3}, t.encode("éü"));
        // a 4-byte code point without a token
        assertArrayEquals(new int[]{259, 0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x80 + 3}, t.encode("\uD83D\uDE00"));
        assertArrayEquals(new int[]{1, 264, 2}, t.encode("ab", true, true));
    }

    @Test
    void decodesAsRunCDoes() {
        Llama2cTokenizer t = small();
        assertEquals("ab", t.decode(new int[]{1, 264}));
        assertEquals("ab", t.decode(new int[]{264}));
        assertEquals("a ab", t.decode(new int[]{260, 264}));
        assertEquals("éü", t.decode(new int[]{265, 0xC3 + 3, 0xBC + 3, 2}));
        assertEquals(" a", new String(t.decodePiece(260, 263), StandardCharsets.UTF_8));
        assertEquals("a", new String(t.decodePiece(1, 263), StandardCharsets.UTF_8));
        assertArrayEquals(new byte[]{10}, t.decodePiece(5, 10 + 3));
    }

    @Test
    void heapMergeAgreesWithRunCsQuadraticLoop() {
        Llama2cTokenizer t = small();
        Random r = new Random(7);
        String alphabet = "ab é\u00fc\uD83D\uDE00";
        for (int i = 0; i < 2000; i++) {
            StringBuilder s = new StringBuilder();
            int n = r.nextInt(20);
            for (int j = 0; j < n; j++) {
                int k = r.nextInt(alphabet.length() - 1);
                s.append(Character.isHighSurrogate(alphabet.charAt(k)) ? alphabet.substring(k, k + 2)
                        : Character.isLowSurrogate(alphabet.charAt(k)) ? "b" : String.valueOf(alphabet.charAt(k)));
            }
            String text = s.toString();
            assertArrayEquals(t.encodeQuadratic(text, i % 2 == 0, i % 3 == 0), t.encode(text, i % 2 == 0, i % 3 == 0),
                    text);
            assertEquals(text, t.decode(t.encode(text)));
        }
    }

    @Test
    void realTok512RoundTripsAndMatchesTheQuadraticLoop() {
        Path file = SharedFiles.require("models/stories260K/tok512.bin");
        Llama2cTokenizer t = Llama2cTokenizer.read(file);
        assertEquals(512, t.vocabSize());
        String[] texts = {"Once upon a time, there was a little girl named Lily.", "", " leading space",
                "tabs\tand\nnewlines", "Ünïcödé 😀 and 日本語", "   "};
        for (String text : texts) {
            int[] ids = t.encode(text, true, false);
            assertArrayEquals(t.encodeQuadratic(text, true, false), ids, text);
            assertEquals(text, t.decode(ids), text);
        }
        Random r = new Random(3);
        for (int i = 0; i < 300; i++) {
            StringBuilder s = new StringBuilder();
            int n = r.nextInt(60);
            for (int j = 0; j < n; j++) {
                s.append(r.nextInt(10) == 0 ? ' ' : (char) ('a' + r.nextInt(26)));
            }
            assertArrayEquals(t.encodeQuadratic(s.toString(), true, false), t.encode(s.toString(), true, false));
        }
        // "Once" is one token in tok512 after merges; the text is much shorter in tokens than in bytes
        assertTrue(t.encode(texts[0]).length < texts[0].length() / 2);
    }

    @Test
    void badFilesAreUserErrors() {
        byte[] good = tokenizerFile(Map.of("x", 1f));
        for (int cut : new int[]{0, 3, 4, 7, 10, good.length - 1}) {
            UserError e = assertThrows(UserError.class,
                    () -> Llama2cTokenizer.parse(java.util.Arrays.copyOf(good, cut), "tok.bin", null));
            assertTrue(e.getMessage().startsWith("tok.bin: "), e.getMessage());
        }
        byte[] bad = good.clone();
        bad[8] = 99; // length of token 0 larger than max_token_length
        assertThrows(UserError.class, () -> Llama2cTokenizer.parse(bad, "tok.bin", null));
    }
}
