package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.tokenize.TokenizerSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** ModelDirectory.save then load gives the same model: same config, same parameters, same logits. */
class RoundTripTest {

    static Transformer model(ModelConfig config, long seed, boolean perturb) {
        Transformer m = new Transformer(config, new ReferenceEngine(Precision.F32));
        float[] values = Initializer.initialValues(m.layout(), config.layers(), seed);
        if (perturb) {
            // distinct values everywhere, so that a swapped bias or norm would show
            Random r = new Random(seed + 1);
            for (int i = 0; i < values.length; i++) {
                values[i] += (float) (r.nextGaussian() * 0.05);
            }
        }
        m.engine().upload(m.parameters(), values, 0);
        return m;
    }

    static float[] logits(Transformer m, int[] tokens) {
        m.setInputs(tokens, null, null, 1, tokens.length);
        m.forward();
        float[] all = new float[tokens.length * m.config().vocab()];
        for (int t = 0; t < tokens.length; t++) {
            System.arraycopy(m.logitsAt(t), 0, all, t * m.config().vocab(), m.config().vocab());
        }
        return all;
    }

    @Test
    void saveThenLoadGivesIdenticalLogits(@TempDir Path tmp) throws IOException {
        int[] tokens = {1, 200, 3, 77, 255, 0, 12, 9};
        for (String preset : new String[]{"llama-1m", "gpt2-1m"}) {
            for (boolean perturb : new boolean[]{false, true}) {
                ModelConfig config = Presets.load(preset);
                Transformer original = model(config, 1234, perturb);
                Path dir = tmp.resolve(preset + "-" + perturb);
                ModelDirectory.save(dir, original, TokenizerSpec.BYTE);
                ModelDirectory.Loaded loaded = ModelDirectory.load(dir, new ReferenceEngine(Precision.F32));
                assertEquals(config, loaded.model().config());
                assertEquals(TokenizerSpec.BYTE, loaded.tokenizer().spec());
                float[] a = new float[config.vocab()];
                float[] b = new float[original.layout().total()];
                float[] c = new float[original.layout().total()];
                original.engine().download(original.parameters(), b, 0);
                loaded.model().engine().download(loaded.model().parameters(), c, 0);
                assertArrayEquals(b, c, preset);
                assertArrayEquals(logits(original, tokens), logits(loaded.model(), tokens), preset);
                assertEquals(config.vocab(), a.length);
            }
        }
    }

    @Test
    void rawSaveThenReadRawKeepsValuesAndMetadata(@TempDir Path tmp) throws IOException {
        ModelConfig config = Presets.load("gpt2-1m");
        Transformer m = model(config, 5, true);
        float[] values = new float[m.layout().total()];
        m.engine().download(m.parameters(), values, 0);
        RawModel raw = new RawModel(config, TokenizerSpec.BYTE, values, java.util.Map.of("k", "v"));
        ModelDirectory.save(tmp, raw);
        RawModel back = ModelDirectory.readRaw(tmp);
        assertEquals(config, back.config());
        assertArrayEquals(values, back.values());
        assertEquals("v", back.metadata().get("k"));
        assertEquals("pt", back.metadata().get("format"));
    }
}
