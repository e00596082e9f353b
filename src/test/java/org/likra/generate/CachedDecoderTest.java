package org.likra.generate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.config.ModelConfig;
import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engine.cpu.CpuEngine;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.io.Importer;
import org.likra.io.ModelDirectory;
import org.likra.io.SharedFiles;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraConfig;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generation with the KV cache gives what recomputing the whole sequence for every token gives. */
class CachedDecoderTest {
    /** Llama-style: RMSNorm, RoPE, SwiGLU, grouped-query attention (4 query heads on 2 key/value heads). */
    static ModelConfig llama() {
        return new ModelConfig("kv-llama", 32, 2, 4, 2, 48, 61, 24, ModelConfig.Norm.rmsnorm, ModelConfig.Mlp.swiglu,
                ModelConfig.Positions.rope, false, false, 10000.0, 1e-5).validate("test");
    }

    /** GPT-2-style: LayerNorm, learned positions, GELU, biases, tied embeddings. */
    static ModelConfig gpt2() {
        return new ModelConfig("kv-gpt2", 32, 2, 4, 4, 64, 61, 24, ModelConfig.Norm.layernorm, ModelConfig.Mlp.gelu,
                ModelConfig.Positions.learned, true, true, 10000.0, 1e-5).validate("test");
    }

    /**
     * A model with every parameter drawn from N(0, 0.3^2): far from the small initial weights, so that logits spread
     * out (greedy choices are not near-ties that rounding could flip) and every term of the forward pass matters.
     */
    static Transformer model(ModelConfig config, Engine engine, long seed) {
        Transformer m = new Transformer(config, engine);
        Random r = new Random(seed);
        float[] values = new float[m.parameters().length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (r.nextGaussian() * 0.3);
        }
        engine.upload(m.parameters(), values, 0);
        return m;
    }

    /** An adapter on every projection with non-zero A and B. */
    static LoraAdapter adapter(Transformer m, long seed) {
        LoraAdapter a = new LoraAdapter(m, new LoraConfig(4, 8, List.copyOf(LoraConfig.KNOWN)));
        Random r = new Random(seed);
        float[] values = new float[a.parameters().length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (r.nextGaussian() * 0.2);
        }
        a.load(values);
        return a;
    }

    static int[] tokens(int n, int vocab, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    /** Row p of the full forward pass against the decoder's logits for position p, at every p up to the context. */
    private static void assertSameLogits(Transformer m, String what) {
        int context = m.config().context();
        int[] seq = tokens(context, m.config().vocab(), 7);
        m.setInputs(seq, null, null, 1, context);
        m.forward();
        CachedDecoder decoder = new CachedDecoder(m);
        for (int p = 0; p < context; p++) {
            float[] full = m.logitsAt(p);
            float[] cached = decoder.next(seq[p]);
            assertEquals(p + 1, decoder.length());
            for (int i = 0; i < full.length; i++) {
                double tolerance = 2e-5 * Math.max(1, Math.abs(full[i]));
                assertTrue(Math.abs(full[i] - cached[i]) <= tolerance, what + ": logit " + i + " at position " + p + ": full pass " + full[i]
                        + ", cached " + cached[i]);
            }
        }
    }

    @Test
    void cachedLogitsMatchTheFullForwardPassAtEveryPosition() {
        for (ModelConfig c : List.of(llama(), gpt2())) {
            assertSameLogits(model(c, new ReferenceEngine(Precision.F32), 1), c.name() + " on reference");
            try (CpuEngine cpu = new CpuEngine(2)) {
                assertSameLogits(model(c, cpu, 1), c.name() + " on cpu");
            }
        }
    }

    @Test
    void cachedLogitsMatchWithALoraAdapterAttached() {
        for (ModelConfig c : List.of(llama(), gpt2())) {
            try (CpuEngine cpu = new CpuEngine(2)) {
                Transformer m = model(c, cpu, 2);
                m.attach(adapter(m, 3));
                assertSameLogits(m, c.name() + " with LoRA on cpu");
            }
        }
    }

    /**
     * Greedy generation past the context: the cached steps up to it, then the sliding window. The same tokens come
     * out with and without the cache; a second generation on the same sampler starts from an empty cache.
     */
    @Test
    void greedyGenerationIsTheSameWithAndWithoutTheCache() {
        for (ModelConfig c : List.of(llama(), gpt2())) {
            for (boolean lora : new boolean[] {false, true}) {
                try (CpuEngine cpu = new CpuEngine(2)) {
                    Transformer m = model(c, cpu, 4);
                    if (lora) {
                        m.attach(adapter(m, 5));
                    }
                    int[] prompt = tokens(5, c.vocab(), 6);
                    int steps = c.context() + 10;
                    int[] recomputed = new Sampler(m, 0, 1, 1).kvCache(false).generate(prompt, steps, -1, t -> { });
                    Sampler cached = new Sampler(m, 0, 1, 1);
                    int[] first = cached.generate(prompt, steps, -1, t -> { });
                    int[] again = cached.generate(prompt, steps, -1, t -> { });
                    String what = c.name() + (lora ? " with LoRA" : "");
                    assertEquals(steps, recomputed.length, what);
                    assertArrayEquals(recomputed, first, what + ": " + Arrays.toString(recomputed) + " vs "
                            + Arrays.toString(first));
                    assertArrayEquals(first, again, what + ", second generation");
                }
            }
        }
    }

    /** The real stories260K model, greedy through the sampler (the cache), prints what llama2.c's run.c prints. */
    @Test
    void stories260KGreedyThroughTheCacheDecodesLikeRunC(@TempDir Path tmp) throws Exception {
        Path bin = SharedFiles.require("models/stories260K/stories260K.bin");
        Path tok = SharedFiles.require("models/stories260K/tok512.bin");
        Path dir = tmp.resolve("stories260K");
        Importer.llama2c(bin, tok, dir);
        try (CpuEngine cpu = new CpuEngine(2)) {
            ModelDirectory.Loaded loaded = ModelDirectory.load(dir, cpu);
            Tokenizer tokenizer = loaded.tokenizer();
            int[] generated = new Sampler(loaded.model(), 0, 1, 1).generate(new int[] {tokenizer.bos()}, 80,
                    tokenizer.eos(), t -> { });
            int[] all = new int[generated.length + 1];
            all[0] = tokenizer.bos();
            System.arraycopy(generated, 0, all, 1, generated.length);
            String text = tokenizer.decode(all);
            assertTrue(text.startsWith("Once upon a time, there was a little girl named Lily. She loved to play "
                    + "outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was "
                    + "too high."), "greedy text was: " + text);
        }
    }
}
