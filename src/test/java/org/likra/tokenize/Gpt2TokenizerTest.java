package org.likra.tokenize;

import org.junit.jupiter.api.Test;
import org.likra.io.Tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class Gpt2TokenizerTest {
    @Test
    void encodesLikeGpt2() {
        Gpt2Tokenizer t = new Gpt2Tokenizer();
        assertArrayEquals(new int[]{15496, 995}, t.encode("Hello world"));
        assertEquals(50257, t.vocabSize());
        assertEquals(50256, t.bos());
        assertEquals(50256, t.eos());
        assertEquals(new TokenizerSpec("gpt2", null), t.spec());
    }

    @Test
    void roundTripsAndTreatsEndOfTextAsControl() {
        Gpt2Tokenizer t = new Gpt2Tokenizer();
        for (String s : new String[]{"", "Once upon a time", "Ünïcödé 😀 日本語\n\ttabs", "<|endoftext|> as text"}) {
            assertEquals(s, t.decode(t.encode(s)));
        }
        int[] ids = t.encode("Hi");
        int[] withEot = {50256, ids[0], 50256};
        assertEquals("Hi", t.decode(withEot));
        assertEquals("Hi", t.decode(new int[]{ids[0], 50300, -1}));
    }

    @Test
    void loadsFromASpec() {
        assertEquals(Gpt2Tokenizer.class, Tokenizers.load(Gpt2Tokenizer.SPEC, java.nio.file.Path.of(".")).getClass());
    }
}
