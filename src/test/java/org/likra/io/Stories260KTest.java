package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.model.Transformer;
import org.likra.tokenize.Llama2cTokenizer;
import org.likra.tokenize.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The golden test: the real stories260K model, imported, greedy-decodes the text llama2.c's run.c prints. */
class Stories260KTest {
    /** shared/README.md: what run.c prints, greedy from BOS. */
    static final String EXPECTED = "Once upon a time, there was a little girl named Lily. She loved to play outside "
            + "in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.";

    @Test
    void importedStories260KGreedyDecodesLikeRunC(@TempDir Path tmp) throws Exception {
        Path bin = SharedFiles.require("models/stories260K/stories260K.bin");
        Path tok = SharedFiles.require("models/stories260K/tok512.bin");
        Path dir = tmp.resolve("stories260K");
        Importer.llama2c(bin, tok, dir);
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer.bin")));

        ModelDirectory.Loaded loaded = ModelDirectory.load(dir, new ReferenceEngine(Precision.F32));
        Transformer model = loaded.model();
        Tokenizer tokenizer = loaded.tokenizer();
        assertTrue(tokenizer instanceof Llama2cTokenizer);
        assertEquals(64, model.config().dim());
        assertEquals(512, model.config().vocab());
        assertTrue(model.config().tiedEmbeddings());

        int[] tokens = new int[81];
        tokens[0] = tokenizer.bos();
        int n = 1;
        while (n < tokens.length) {
            model.setInputs(Arrays.copyOf(tokens, n), null, null, 1, n);
            model.forward();
            float[] logits = model.logitsAt(n - 1);
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            if (best == tokenizer.bos() || best == tokenizer.eos()) {
                break;
            }
            tokens[n++] = best;
        }
        String text = tokenizer.decode(Arrays.copyOf(tokens, n));
        System.out.println("stories260K greedy (" + (n - 1) + " tokens): " + text);
        assertTrue(text.startsWith(EXPECTED), "greedy text was: " + text);
    }
}
