package org.likra.tokenize;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.io.Tokenizers;
import org.likra.util.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpeTokenizerTest {
    @TempDir
    Path dir;

    static final String[] SAMPLES = {
            "", "a", "Hello world", "Hello,  world!\n\nNew paragraph.\n", "   leading and trailing   ",
            "tabs\tand\r\nwindows line ends\n", "don't we'll they've I'm you'd it's", "numbers 12345 and 3.14159",
            "Ünïcödé 😀 日本語 — «quotes» ½", "\n", " ", "a\u00a0b\u2003c", "emoji 👩‍👩‍👧 and ZWJ",
            "<|endoftext|> as text", "x".repeat(1000)};

    /**
     * English-like text: sentences of common words (Zipf-ish frequencies) mixed with made-up words of two or three
     * syllables and the odd number, with commas, full stops and paragraph breaks.
     */
    static String corpus(int chars, long seed) {
        String[] syllables = {"ka", "lo", "mi", "ter", "ban", "dor", "el", "fin", "gra", "hu", "is", "jen", "ro",
                "sta", "ple", "qu", "wen", "tly", "ing", "ous", "pre", "con", "tion", "al", "er", "st", "ch", "ve"};
        String[] words = {"the", "cat", "sat", "on", "mat", "and", "a", "dog", "ran", "to", "house", "of", "in",
                "little", "big", "garden", "she", "he", "said", "was", "happy", "tree", "with", "friend", "day",
                "sun", "played", "ball", "they", "went", "home", "it", "is", "very", "good", "time", "mother",
                "father", "looked", "at", "bird", "sky", "blue", "red", "wanted", "see", "flower", "water"};
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder(chars + 100);
        while (sb.length() < chars) {
            int n = 4 + r.nextInt(10);
            for (int i = 0; i < n; i++) {
                String w;
                int kind = r.nextInt(10);
                if (kind < 7) {
                    w = words[(int) (words.length * Math.pow(r.nextDouble(), 2))];
                } else if (kind < 9) {
                    w = syllables[r.nextInt(syllables.length)] + syllables[r.nextInt(syllables.length)]
                            + (r.nextBoolean() ? syllables[r.nextInt(syllables.length)] : "");
                } else {
                    w = Integer.toString(r.nextInt(2000));
                }
                if (i == 0) {
                    w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
                }
                sb.append(w);
                sb.append(i == n - 1 ? (r.nextInt(5) == 0 ? "!" : ".") : (r.nextInt(8) == 0 ? ", " : " "));
            }
            sb.append(r.nextInt(6) == 0 ? "\n\n" : " ");
        }
        return sb.toString();
    }

    @Test
    void roundTripsAssortedStrings() {
        BpeTokenizer t = BpeTokenizer.train(corpus(20_000, 1) + String.join(" ", SAMPLES), 400);
        for (String s : SAMPLES) {
            assertEquals(s, t.decode(t.encode(s)), "round trip of " + s);
        }
        assertEquals(0, t.encode("").length);
        assertTrue(t.encode("the cat sat on the mat").length < "the cat sat on the mat".length(),
                "trained merges shorten common text");
        assertEquals(-1, t.bos());
        assertEquals(-1, t.eos());
        assertEquals(BpeTokenizer.SPEC, t.spec());
    }

    @Test
    void untrainedTokenizerIsBytes() {
        BpeTokenizer t = BpeTokenizer.train("", 300);
        assertEquals(256, t.vocabSize());
        assertArrayEquals(new int[] {104, 105, 32, 0xc3, 0xa9}, t.encode("hi é"));
    }

    @Test
    void trainingIsDeterministic() {
        String text = corpus(50_000, 7);
        BpeTokenizer a = BpeTokenizer.train(text, 600);
        BpeTokenizer b = BpeTokenizer.train(text, 600);
        assertEquals(a.merges(), b.merges());
        assertEquals(a, b);
        assertEquals(600, a.vocabSize());
        assertNotEquals(a.merges(), BpeTokenizer.train(corpus(50_000, 8), 600).merges(),
                "a different corpus gives different merges");
    }

    /**
     * "aaabdaaabac" is one piece. Pair counts: aa 4, ab 2, others 1, so "a a" (256) first. Then aa·a 2 and a·b 2 tie
     * and (97, 98) is the smaller pair: "a b" (257). Then aa·ab 2: "aa ab" (258), leaving aaab d aaab a c with all
     * pairs once: (97, 99) "a c" (259), then (100, 258) "d aaab" (260), then (258, 260) "aaab daaab" (261).
     */
    @Test
    void handDerivedMerges() {
        BpeTokenizer t = BpeTokenizer.train("aaabdaaabac", 262);
        assertEquals(List.of("a a", "a b", "aa ab", "a c", "d aaab", "aaab daaab"), t.merges());
        assertEquals("aaabdaaab", t.symbol(261));
        assertArrayEquals(new int[] {261, 259}, t.encode("aaabdaaabac"));

        BpeTokenizer three = BpeTokenizer.train("aaabdaaabac", 259);
        assertEquals(List.of("a a", "a b", "aa ab"), three.merges());
        assertArrayEquals(new int[] {258, 100, 258, 97, 99}, three.encode("aaabdaaabac"));
        // "a a" has the lower rank, so "aab" is aa·b, and "abaa" merges aa before ab.
        assertArrayEquals(new int[] {256, 98}, three.encode("aab"));
        assertArrayEquals(new int[] {257, 256}, three.encode("abaa"));
        // Pieces are merged separately: the space starts a new piece " aaab", whose space no merge takes.
        assertArrayEquals(new int[] {258, 32, 258}, three.encode("aaab aaab"));
        assertArrayEquals(new int[] {258, 10, 258}, three.encode("aaab\naaab"));
    }

    @Test
    void spacesJoinTheFollowingWord() {
        BpeTokenizer t = BpeTokenizer.train("ab ab ab ab", 258);
        // Pieces "ab" x1 and " ab" x3: pair (97, 98) 4 times, (32, 97) 3 times.
        assertEquals(List.of("a b", "Ġ ab"), t.merges());
        assertArrayEquals(new int[] {256, 257, 257}, t.encode("ab ab ab"));
    }

    @Test
    void writeThenReadGivesTheSameEncodings() throws Exception {
        BpeTokenizer t = BpeTokenizer.train(corpus(30_000, 3), 500);
        Path file = dir.resolve("tokenizer.json");
        t.write(file);
        BpeTokenizer back = BpeTokenizer.read(file);
        assertEquals(t, back);
        String text = corpus(5_000, 4) + String.join("|", SAMPLES);
        assertArrayEquals(t.encode(text), back.encode(text));
        String json = Files.readString(file);
        assertTrue(json.contains("\"type\" : \"BPE\"") && json.contains("\"ByteLevel\"")
                && json.contains("\"merges\" : [ \"Ġ t\"") || json.contains("\"merges\" : ["), json.substring(0, 200));
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")));
    }

    /** A small file in GPT-2's layout: its own id order, merges as arrays, an end-of-text special token. */
    @Test
    void readsOtherIdOrdersArrayMergesAndAddedTokens() throws Exception {
        StringBuilder vocab = new StringBuilder();
        for (int b = 255; b >= 0; b--) {
            String s = String.valueOf(ByteLevel.BYTE_TO_CHAR[b]);
            vocab.append(com.fasterxml.jackson.databind.node.TextNode.valueOf(s)).append(": ").append(255 - b)
                    .append(", ");
        }
        vocab.append("\"Ġt\": 256, \"Ġthe\": 257, \"he\": 258");
        String json = "{\"version\": \"1.0\", \"added_tokens\": [{\"id\": 259, \"content\": \"<|endoftext|>\", "
                + "\"special\": true}], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}, "
                + "\"model\": {\"type\": \"BPE\", \"vocab\": {" + vocab + "}, "
                + "\"merges\": [[\"Ġ\", \"t\"], [\"h\", \"e\"], [\"Ġt\", \"he\"]]}}";
        Path file = dir.resolve("gpt2-like.json");
        Files.writeString(file, json);
        BpeTokenizer t = BpeTokenizer.read(file);
        assertEquals(260, t.vocabSize());
        assertEquals(259, t.bos());
        assertEquals(259, t.eos());
        int x = 255 - 'x';
        assertArrayEquals(new int[] {x, 257, x}, t.encode("x thex"));
        assertEquals("x thex", t.decode(new int[] {259, x, 257, x, 259}));
        // Written and read again it is the same tokenizer.
        Path again = dir.resolve("again.json");
        t.write(again);
        assertEquals(t, BpeTokenizer.read(again));
        assertArrayEquals(t.encode("the other theme"), BpeTokenizer.read(again).encode("the other theme"));
    }

    private UserError bad(String name, String json) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, json);
        UserError e = assertThrows(UserError.class, () -> BpeTokenizer.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    @Test
    void badFilesGiveOneLineErrorsNamingTheField() throws Exception {
        String good = BpeTokenizer.train("aaabdaaabac", 259).toJson();
        assertTrue(bad("novocab.json", good.replace("\"vocab\"", "\"vocabulary\"")).getMessage()
                .contains("model.vocab"));
        assertTrue(bad("unknown.json", good.replace("\"aa ab\"", "\"aa zz\"")).getMessage()
                .contains("model.merges[2] names 'zz'"));
        assertTrue(bad("wordpiece.json", good.replace("\"type\" : \"BPE\"", "\"type\" : \"WordPiece\""))
                .getMessage().contains("model.type is 'WordPiece'"));
        assertTrue(bad("nomodel.json", "{\"version\": \"1.0\"}").getMessage().contains("'model'"));
        assertTrue(bad("notjson.json", "{\"model\": ").getMessage().contains("not valid JSON"));
        assertTrue(bad("badmerge.json", good.replace("\"aa ab\"", "\"aaab\"")).getMessage()
                .contains("model.merges[2]"));
        assertTrue(bad("nobyte.json", good.replace("\"a\" : 97,", "")).getMessage()
                .contains("model.vocab lacks the byte-level symbol 'a'"));
        assertTrue(bad("badadded.json", good.replace("\"added_tokens\" : [ ]",
                "\"added_tokens\" : [ {\"content\": \"<s>\"} ]")).getMessage().contains("added_tokens[0].id"));
        UserError missing = assertThrows(UserError.class, () -> BpeTokenizer.read(dir.resolve("absent.json")));
        assertTrue(missing.getMessage().contains("absent.json"));
    }

    @Test
    void badVocabularySizesAreUserErrors() {
        for (int size : new int[] {0, 256, 65537}) {
            UserError e = assertThrows(UserError.class, () -> BpeTokenizer.train("abc", size));
            assertTrue(e.getMessage().contains("between 257 and 65536"), e.getMessage());
        }
    }

    @Test
    void loadsFromAModelDirectorySpec() throws Exception {
        BpeTokenizer t = BpeTokenizer.train(corpus(5_000, 5), 300);
        t.writeFiles(dir);
        assertEquals(t, Tokenizers.load(new TokenizerSpec("bpe", "tokenizer.json"), dir));
        UserError e = assertThrows(UserError.class, () -> Tokenizers.load(new TokenizerSpec("bpe", "../x.json"),
                dir));
        assertTrue(e.getMessage().contains("tokenizer type bpe needs likra.tokenizer.file"), e.getMessage());
    }

    /** 1 MB of text trains to 4,096 ids and encodes in seconds. */
    @Test
    void trainsAndEncodesAMegabyteQuickly() {
        String text = corpus(1 << 20, 11);
        long t0 = System.nanoTime();
        BpeTokenizer t = BpeTokenizer.train(text, 4096);
        double trainSeconds = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        int[] ids = t.encode(text);
        double encodeSeconds = (System.nanoTime() - t1) / 1e9;
        assertEquals(text, t.decode(ids));
        assertTrue(trainSeconds < 30, "training took " + trainSeconds + " s");
        assertTrue(encodeSeconds < 10, "encoding took " + encodeSeconds + " s");
    }
}
