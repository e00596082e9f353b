package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.config.ModelConfig;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.model.ParameterLayout;
import org.likra.model.ParameterSpec;
import org.likra.model.Transformer;
import org.likra.tokenize.TokenizerSpec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LlmCTest {
    static final int MAX_T = 16, V = 300, VP = 384, L = 2, NH = 4, C = 32;

    /** The parameter tensors of a random GPT-2 in llm.c's order and sizes. */
    static float[][] randomTensors(long seed, int maxT, int vp, int l, int c) {
        int[] sizes = {vp * c, maxT * c, l * c, l * c, l * 3 * c * c, l * 3 * c, l * c * c, l * c, l * c, l * c,
                l * 4 * c * c, l * 4 * c, l * c * 4 * c, l * c, c, c};
        Random r = new Random(seed);
        float[][] t = new float[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            t[i] = new float[sizes[i]];
            boolean norm = i == 2 || i == 8 || i == 14;
            for (int j = 0; j < sizes[i]; j++) {
                t[i][j] = (float) ((norm ? 1.0 : 0.0) + r.nextGaussian() * 0.1);
            }
        }
        return t;
    }

    /** Writes an llm.c checkpoint by hand: 256-int header (extra ints too), then the tensors. */
    static byte[] llmcBytes(int version, int maxT, int v, int vp, int l, int nh, int c, float[][] tensors) {
        long n = 0;
        for (float[] t : tensors) {
            n += t.length;
        }
        boolean bf16 = version == 5;
        ByteBuffer b = ByteBuffer.allocate((int) (1024 + n * (bf16 ? 2 : 4))).order(ByteOrder.LITTLE_ENDIAN);
        int[] h = new int[256];
        h[0] = 20240326;
        h[1] = version;
        h[2] = maxT;
        h[3] = v;
        h[4] = l;
        h[5] = nh;
        h[6] = c;
        h[7] = vp;
        h[200] = 7;
        for (int x : h) {
            b.putInt(x);
        }
        for (float[] t : tensors) {
            for (float x : t) {
                if (bf16) {
                    b.putShort((short) (Float.floatToRawIntBits(x) >>> 16));
                } else {
                    b.putFloat(x);
                }
            }
        }
        return b.array();
    }

    static void put(float[] values, ParameterLayout layout, String name, float[] src, int from) {
        ParameterSpec s = layout.get(name);
        System.arraycopy(src, from, values, s.offset(), s.size());
    }

    /** Our parameters built straight from the llm.c tensors, by the mapping written out here independently. */
    static float[] direct(ParameterLayout layout, float[][] t) {
        float[] v = new float[layout.total()];
        put(v, layout, "model.embed_tokens.weight", t[0], 0);
        put(v, layout, "model.embed_positions.weight", t[1], 0);
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            put(v, layout, p + "input_layernorm.weight", t[2], l * C);
            put(v, layout, p + "input_layernorm.bias", t[3], l * C);
            put(v, layout, p + "self_attn.q_proj.weight", t[4], l * 3 * C * C);
            put(v, layout, p + "self_attn.k_proj.weight", t[4], l * 3 * C * C + C * C);
            put(v, layout, p + "self_attn.v_proj.weight", t[4], l * 3 * C * C + 2 * C * C);
            put(v, layout, p + "self_attn.q_proj.bias", t[5], l * 3 * C);
            put(v, layout, p + "self_attn.k_proj.bias", t[5], l * 3 * C + C);
            put(v, layout, p + "self_attn.v_proj.bias", t[5], l * 3 * C + 2 * C);
            put(v, layout, p + "self_attn.o_proj.weight", t[6], l * C * C);
            put(v, layout, p + "self_attn.o_proj.bias", t[7], l * C);
            put(v, layout, p + "post_attention_layernorm.weight", t[8], l * C);
            put(v, layout, p + "post_attention_layernorm.bias", t[9], l * C);
            put(v, layout, p + "mlp.up_proj.weight", t[10], l * 4 * C * C);
            put(v, layout, p + "mlp.up_proj.bias", t[11], l * 4 * C);
            put(v, layout, p + "mlp.down_proj.weight", t[12], l * 4 * C * C);
            put(v, layout, p + "mlp.down_proj.bias", t[13], l * C);
        }
        put(v, layout, "model.norm.weight", t[14], 0);
        put(v, layout, "model.norm.bias", t[15], 0);
        return v;
    }

    static Path writeRandom(Path dir, int version) throws IOException {
        Path file = dir.resolve("gpt2_tiny_v" + version + ".bin");
        Files.write(file, llmcBytes(version, MAX_T, V, VP, L, NH, C, randomTensors(42, MAX_T, VP, L, C)));
        return file;
    }

    @Test
    void importThenExportReproducesTheFileByteForByte(@TempDir Path tmp) throws IOException {
        for (int version : new int[]{3, 5}) {
            Path file = writeRandom(tmp, version);
            Path dir = tmp.resolve("model" + version);
            Importer.llmc(file, null, dir);
            Path back = tmp.resolve("back" + version + ".bin");
            Exporter.llmc(dir, back);
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(back), "version " + version);
        }
    }

    @Test
    void importedConfigIsGpt2Style(@TempDir Path tmp) throws IOException {
        RawModel m = Importer.llmc(writeRandom(tmp, 3), null, tmp.resolve("m"));
        ModelConfig c = ModelDirectory.readConfig(tmp.resolve("m")).model();
        assertEquals(m.config().withName(c.name()), c);
        assertEquals(ModelConfig.Norm.layernorm, c.norm());
        assertEquals(ModelConfig.Mlp.gelu, c.mlp());
        assertEquals(ModelConfig.Positions.learned, c.positions());
        assertEquals(VP, c.vocab());
        assertEquals(4 * C, c.hidden());
        assertEquals(MAX_T, c.context());
        assertEquals(1e-5, c.normEps());
        assertEquals(true, c.bias() && c.tiedEmbeddings());
        assertEquals(TokenizerSpec.BYTE, ModelDirectory.readConfig(tmp.resolve("m")).tokenizer());
        assertEquals("300", ModelDirectory.readRaw(tmp.resolve("m")).metadata().get(LlmC.META_VOCAB));
    }

    @Test
    void importedModelGivesTheLogitsOfADirectlyBuiltOne(@TempDir Path tmp) throws IOException {
        Path file = writeRandom(tmp, 3);
        Importer.llmc(file, null, tmp.resolve("m"));
        Transformer imported = ModelDirectory.load(tmp.resolve("m"), new ReferenceEngine(Precision.F32)).model();

        ModelConfig config = imported.config();
        Transformer direct = new Transformer(config, new ReferenceEngine(Precision.F32));
        direct.engine().upload(direct.parameters(), direct(direct.layout(), randomTensors(42, MAX_T, VP, L, C)), 0);

        int[] tokens = {5, 299, 17, 0, 123, 42, 7, 250, 1, 2, 3};
        for (Transformer t : new Transformer[]{imported, direct}) {
            t.setInputs(tokens, null, null, 1, tokens.length);
            t.forward();
        }
        for (int row = 0; row < tokens.length; row++) {
            assertArrayEquals(direct.logitsAt(row), imported.logitsAt(row), "row " + row);
        }
    }
}
