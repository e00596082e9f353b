package org.likra.tokenize.hf;

import org.junit.jupiter.api.Test;
import org.likra.util.UserError;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hand-written tokenizer.json files (src/test/resources/tokenizers) and the ids their rules give, worked out by hand
 * in the comments: merges apply lowest rank first, leftmost first among equal ranks.
 */
class HfTokenizerTest {
    static String fixture(String name) {
        try (InputStream in = HfTokenizerTest.class.getResourceAsStream("/tokenizers/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static HfTokenizer load(String name) {
        return HfTokenizer.parse(fixture(name), name);
    }

    static void roundTrip(HfTokenizer t, String text) {
        assertEquals(text, t.decode(t.encode(text)), text);
    }

    @Test
    void byteLevelGpt2Style() {
        HfTokenizer t = load("byte-level.json");
        // GPT-2's regex: "hello" | " world". hello: h e l l o -(r0 h e)-> he l l o -(r1 l l)-> he ll o
        // -(r2 ll o)-> he llo -(r3)-> hello = 11. " world" = Ġ w o r l d -(r4 Ġ w)-> Ġw o r l d -(r5 o r)->
        // Ġw or l d -(r6 Ġw or)-> Ġwor l d -(r7 l d)-> Ġwor ld -(r8)-> Ġworld = 16.
        assertArrayEquals(new int[] {11, 16}, t.encode("hello world"));
        // l l l o: the two (l, l) pairs have one rank; the leftmost merges first: ll l o = 9 2 3
        assertArrayEquals(new int[] {9, 2, 3}, t.encode("lllo"));
        // e l l o -(r1)-> e ll o -(r2)-> e llo (no merge "e llo") = 1 10
        assertArrayEquals(new int[] {1, 10}, t.encode("ello"));
        // "world" | "'s": w o r l d -(r5)-> w or l d -(r7)-> w or ld = 5 13 15; ' s = 17 18
        assertArrayEquals(new int[] {5, 13, 15, 17, 18}, t.encode("world's"));
        // "\n" before a letter is its own piece (\s+), byte 0x0A = Ċ = 19
        assertArrayEquals(new int[] {11, 19, 5, 13, 15}, t.encode("hello\nworld"));
        // the special token is found in the text; decoding prints it as nothing
        assertArrayEquals(new int[] {11, 20, 16}, t.encode("hello<|endoftext|> world"));
        assertEquals("hello world", t.decode(new int[] {11, 20, 16}));
        // a character outside the vocabulary, with no unk_token and no byte fallback, is dropped (as the library does)
        assertArrayEquals(new int[] {1, 7}, t.encode("zed"));
        assertEquals(-1, t.bos());
        assertEquals(20, t.eos());
        assertEquals(21, t.vocabSize());
        for (String s : new String[] {"hello world", "hello world's\nhello", "  hello  ", "", "lllo\n\nworld"}) {
            roundTrip(t, s);
        }
    }

    @Test
    void splitRegexThenByteLevelLlama3Style() {
        HfTokenizer t = load("split-byte-level.json");
        // ignore_merges: a word that is in the vocabulary is one token, merges or not
        assertArrayEquals(new int[] {14}, t.encode("hello"));
        assertArrayEquals(new int[] {15}, t.encode(" hello"), "Ġhello has no merge path from Ġ h, yet is one id");
        // \p{N}{1,3}: "12345" is "123" | "45"; 123 is in the vocabulary, 4 5 have no merge
        assertArrayEquals(new int[] {10, 8, 9}, t.encode("12345"));
        // "  hello": \s+(?!\S) takes the first space, [^\r\n\p{L}\p{N}]?\p{L}+ takes " hello"
        assertArrayEquals(new int[] {0, 15}, t.encode("  hello"));
        // "hello!!" is "hello" | "!!" (' ?[^\s\p{L}\p{N}]+')
        assertArrayEquals(new int[] {14, 16, 16}, t.encode("hello!!"));
        assertArrayEquals(new int[] {100, 14, 16}, t.encode("<|begin_of_text|>hello!"));
        // NFC: e + U+0301 becomes U+00E9, bytes C3 A9 = "Ã" "©", merged into "Ã©" = 19
        assertArrayEquals(new int[] {19}, t.encode("e\u0301"));
        assertEquals("\u00e9", t.decode(new int[] {19}));
        assertEquals(100, t.bos(), "the post-processor's template starts with <|begin_of_text|>");
        assertEquals(101, t.eos());
        for (String s : new String[] {"hello 12345!!", "  hello", "\u00e9"}) {
            roundTrip(t, s);
        }
    }

    @Test
    void sentencePieceLegacyWithPrependNormalizerAndByteFallback() {
        HfTokenizer t = load("sentencepiece-legacy.json");
        // normalized "▁hello▁café", one word. é is not in the vocabulary: bytes <0xC3> <0xA9> = 4 5.
        // ▁ h e l l o ▁ c a f C3 A9 -(r0 ▁ h)-> ▁h e l l o ... -(r1 l l)-> ▁h e ll o -(r2)-> ▁he ll o -(r3)-> ▁hell o
        // -(r4)-> ▁hello ▁ c a f -(r5 ▁ c)-> ▁c a f -(r6)-> ▁ca f -(r7)-> ▁caf: 18 21 4 5
        assertArrayEquals(new int[] {18, 21, 4, 5}, t.encode("hello café"));
        assertEquals("hello café", t.decode(new int[] {1, 18, 21, 4, 5}), "<s> prints as nothing");
        // z has neither a token nor a byte token: <unk>, two of them fused into one
        assertArrayEquals(new int[] {16, 0}, t.encode("hezz"));
        // the newline falls back to <0x0A>; the second hello has no ▁, so only (l, l) merges: h e ll o
        assertArrayEquals(new int[] {18, 3, 7, 8, 15, 10}, t.encode("hello\nhello"));
        // </s> in the text is the special token; the Prepend normalizer runs on the text before it
        assertArrayEquals(new int[] {18, 2}, t.encode("hello</s>"));
        // after <s>, the legacy normalizer still prepends ▁
        assertArrayEquals(new int[] {1, 18}, t.encode("<s>hello"));
        assertEquals(1, t.bos());
        assertEquals(2, t.eos());
        for (String s : new String[] {"hello café", "hello\nhello", "café café", " hello"}) {
            roundTrip(t, s);
        }
        // an invalid byte run decodes to one U+FFFD per byte
        assertEquals("hello\uFFFD", t.decode(new int[] {18, 4}));
    }

    @Test
    void sentencePieceWithMetaspacePrependingOnlyAtTheStart() {
        HfTokenizer t = load("sentencepiece-metaspace.json");
        assertArrayEquals(new int[] {18, 21, 4, 5}, t.encode("hello café"));
        // prepend_scheme "first": text after <s> does not begin the input, so no ▁: h e ll o
        assertArrayEquals(new int[] {1, 7, 8, 15, 10}, t.encode("<s>hello"));
        assertNotEquals(load("sentencepiece-legacy.json").encode("<s>hello").length, t.encode("<s>hello").length);
        // the Metaspace decoder drops the first token's ▁ and turns the others into spaces
        assertEquals("hello café", t.decode(new int[] {18, 21, 4, 5}));
        for (String s : new String[] {"hello café", "hello\nhello", "café café"}) {
            roundTrip(t, s);
        }
    }

    @Test
    void readsTheByteLevelBpeFilesThisProjectTrainsAsTheirOwnTokenizerEncodes() throws IOException {
        String corpus = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        org.likra.tokenize.BpeTokenizer ours = org.likra.tokenize.BpeTokenizer.train(corpus, 700);
        HfTokenizer read = HfTokenizer.parse(ours.toJson(), "trained");
        assertEquals(ours.vocabSize(), read.vocabSize());
        int lines = 0;
        for (String line : (corpus + "\nünïcödé 😀 tabs\tand  spaces\n\n").split("(?<=\n)")) {
            assertArrayEquals(ours.encode(line), read.encode(line), line);
            assertEquals(ours.decode(ours.encode(line)), read.decode(read.encode(line)), line);
            lines++;
        }
        assertTrue(lines > 50);
    }

    @Test
    void badTokenizerJsonGetsOneLineNamingTheField() {
        String valid = fixture("sentencepiece-legacy.json");
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{", "not valid JSON");
        cases.put("[]", "not a JSON object");
        cases.put(valid.replace("\"type\": \"BPE\"", "\"type\": \"Unigram\""), "model.type");
        cases.put(valid.replace("\"▁ca f\"", "\"▁ca g\""), "model.merges[7]");
        cases.put(valid.replace("\"▁c a\"", "\"▁ a\""), "model.merges[6]");
        cases.put(valid.replace("\"▁c a\"", "\"▁c  a\""), "model.merges[6]");
        cases.put(valid.replace("\"pre_tokenizer\": null", "\"pre_tokenizer\": {\"type\": \"Whitespace\"}"),
                "pre_tokenizer.type");
        cases.put(valid.replace("\"pre_tokenizer\": null", "\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": "
                + "{\"Regex\": \"(\"}, \"behavior\": \"Isolated\", \"invert\": false}"), "pre_tokenizer.pattern.Regex");
        cases.put(valid.replace("\"pre_tokenizer\": null", "\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": "
                + "{\"String\": \" \"}, \"behavior\": \"Isolated\", \"invert\": true}"), "pre_tokenizer.invert");
        cases.put(valid.replace("{\"type\": \"Fuse\"}", "{\"type\": \"WordPiece\"}"), "decoder.decoders[2].type");
        cases.put(valid.replace("{\"type\": \"Prepend\", \"prepend\": \"▁\"}", "{\"type\": \"Precompiled\"}"),
                "normalizer.normalizers[0].type");
        cases.put(valid.replace("\"unk_token\": \"<unk>\"", "\"unk_token\": \"<UNK>\""), "model.unk_token");
        cases.put(valid.replace("\"o\": 10", "\"o\": -1"), "model.vocab['o']");
        cases.put(valid.replace("\"id\": 2,", "\"id\": \"two\","), "added_tokens[2].id");
        cases.put(valid.replace("\"vocab\": {", "\"vocab\": 5, \"old_vocab\": {"), "model.vocab");
        cases.put(valid.replace("\"content\": \" \", \"start\": 1", "\"content\": \"  \", \"start\": 1"),
                "decoder.decoders[3].content");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertNotEquals(valid, c.getKey(), c.getValue());
            UserError e = assertThrows(UserError.class, () -> HfTokenizer.parse(c.getKey(), "dir/tokenizer.json"),
                    c.getValue());
            assertTrue(e.getMessage().startsWith("dir/tokenizer.json: ") && e.getMessage().contains(c.getValue()),
                    c.getValue() + ": " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }
}
