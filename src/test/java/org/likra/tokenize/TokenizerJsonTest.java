package org.likra.tokenize;

import org.junit.jupiter.api.Test;
import org.likra.io.SharedFiles;
import org.likra.tokenize.hf.HfTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Our tokenizers written as tokenizer.json encode and decode as the originals do. */
class TokenizerJsonTest {
    static final List<String> TEXTS = List.of("", "a", " ab", "abba ab  b\n", "é é", "Once upon a time, there was a "
            + "little girl named Lily.\nShe liked to play.", "ünïcödé 😀 and\ttabs", "  two spaces first", "1234 ++");

    static void assertSameIds(Tokenizer original, HfTokenizer read, List<String> texts) {
        for (String s : texts) {
            assertArrayEquals(original.encode(s), read.encode(s), s);
            assertEquals(original.decode(original.encode(s)), read.decode(read.encode(s)), s);
        }
        assertEquals(original.bos(), read.bos());
        assertEquals(original.eos(), read.eos());
    }

    @Test
    void byteTokenizer() {
        ByteTokenizer bytes = new ByteTokenizer();
        HfTokenizer read = HfTokenizer.parse(TokenizerJson.of(bytes), "bytes");
        assertEquals(256, read.vocabSize());
        assertSameIds(bytes, read, TEXTS);
    }

    @Test
    void ourByteLevelBpeWithItsBos() throws IOException {
        String corpus = Files.readString(Path.of("README.md"));
        BpeTokenizer bpe = BpeTokenizer.train(corpus, 600);
        HfTokenizer read = HfTokenizer.parse(TokenizerJson.of(bpe), "bpe");
        List<String> texts = new ArrayList<>(TEXTS);
        texts.addAll(List.of(corpus.split("\n")));
        assertSameIds(bpe, read, texts);
    }

    @Test
    void llama2cTokenizer() {
        Llama2cTokenizer small = Llama2cTokenizerTest.small();
        HfTokenizer read = HfTokenizer.parse(TokenizerJson.of(small), "small");
        assertSameIds(small, read, List.of("", "a", " ab", "ab ab", "é é", "b", "ba ab\n", "x"));
        assertEquals("<s>", read.token(1));
    }

    @Test
    void realTok512() throws IOException {
        Path file = SharedFiles.require("models/stories260K/tok512.bin");
        Llama2cTokenizer tok = Llama2cTokenizer.read(file);
        HfTokenizer read = HfTokenizer.parse(TokenizerJson.of(tok), "tok512");
        List<String> texts = new ArrayList<>(TEXTS);
        texts.addAll(List.of(Files.readString(Path.of("README.md")).split("\n")));
        assertSameIds(tok, read, texts);
    }

    @Test
    void hfTokenizersAreWrittenAsTheyWereRead() {
        assertNull(TokenizerJson.of(HfTokenizer.parse("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, "
                + "\"merges\": []}}", "x")), "a read tokenizer.json is copied, not rebuilt");
    }
}
