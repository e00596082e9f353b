package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.config.ModelConfig;
import org.likra.model.ParameterLayout;
import org.likra.model.ParameterSpec;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Llama2cTest {
    /** dim 16, hidden 40, 2 layers, 4 heads, 2 KV heads (head size 4), vocab 300, seq_len 8. */
    static ModelConfig config(boolean shared) {
        return new ModelConfig("tiny", 16, 2, 4, 2, 40, 300, 8, ModelConfig.Norm.rmsnorm, ModelConfig.Mlp.swiglu,
                ModelConfig.Positions.rope, false, shared, 10000.0, 1e-5);
    }

    static RawModel random(boolean shared, long seed) {
        ModelConfig c = config(shared);
        float[] v = new float[new ParameterLayout(c).total()];
        Random r = new Random(seed);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return new RawModel(c, TokenizerSpec.BYTE, v, Map.of());
    }

    static Path write(Path dir, boolean shared) throws IOException {
        Path file = dir.resolve(shared ? "shared.bin" : "separate.bin");
        Llama2c.write(file, random(shared, 9));
        return file;
    }

    @Test
    void writeThenReadIsTheIdentity(@TempDir Path tmp) throws IOException {
        for (boolean shared : new boolean[]{true, false}) {
            RawModel m = random(shared, 9);
            Path file = write(tmp, shared);
            RawModel back = Llama2c.read(file);
            assertEquals(m.config().withName(back.config().name()), back.config());
            assertArrayEquals(m.values(), back.values());
            Llama2c.Header h = Llama2c.readHeader(file);
            assertEquals(shared, h.shared());
        }
    }

    @Test
    void qAndKRowsArePermutedFromInterleavedPairsToHalves(@TempDir Path tmp) throws IOException {
        Path file = write(tmp, true);
        RawModel m = Llama2c.read(file);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        ModelConfig c = m.config();
        ParameterLayout layout = m.layout();
        int dim = c.dim(), hd = c.headDim(), layers = c.layers(), kvDim = c.kvDim();
        // file offsets (in floats after the header): embeddings, rms_att, then wq for all layers, then wk
        long wq = (long) c.vocab() * dim + (long) layers * dim;
        long wk = wq + (long) layers * dim * dim;
        for (int l = 0; l < layers; l++) {
            check(b, wq + (long) l * dim * dim, layout.get("model.layers." + l + ".self_attn.q_proj.weight"),
                    m.values(), c.heads(), hd, dim);
            check(b, wk + (long) l * kvDim * dim, layout.get("model.layers." + l + ".self_attn.k_proj.weight"),
                    m.values(), c.kvHeads(), hd, dim);
        }
    }

    private static void check(ByteBuffer b, long fileFloat, ParameterSpec spec, float[] values, int heads, int hd,
                              int in) {
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < hd / 2; i++) {
                for (int s = 0; s < 2; s++) {
                    int fileRow = h * hd + 2 * i + s;
                    int ourRow = h * hd + s * hd / 2 + i;
                    for (int j = 0; j < in; j++) {
                        float inFile = b.getFloat(Llama2c.HEADER_BYTES + (int) (4 * (fileFloat + fileRow * in + j)));
                        assertEquals(inFile, values[spec.offset() + ourRow * in + j]);
                    }
                }
            }
        }
    }

    @Test
    void sizeMustMatchTheHeaderExactly(@TempDir Path tmp) throws IOException {
        Path file = write(tmp, false);
        byte[] bytes = Files.readAllBytes(file);
        Path cut = tmp.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 4));
        UserError e = assertThrows(UserError.class, () -> Llama2c.read(cut));
        assertTrue(e.getMessage().contains("cut.bin") && e.getMessage().contains("truncated"), e.getMessage());
        Path longer = tmp.resolve("longer.bin");
        Files.write(longer, Arrays.copyOf(bytes, bytes.length + 1));
        e = assertThrows(UserError.class, () -> Llama2c.read(longer));
        assertTrue(e.getMessage().contains("longer.bin") && e.getMessage().contains("trailing"), e.getMessage());
        Path magic = tmp.resolve("v1.bin");
        byte[] v1 = bytes.clone();
        ByteBuffer.wrap(v1).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0x616b3432);
        Files.write(magic, v1);
        e = assertThrows(UserError.class, () -> Llama2c.read(magic));
        assertTrue(e.getMessage().contains("v1.bin") && e.getMessage().contains("--version 0"), e.getMessage());
    }

    @Test
    void importWritesADirectoryWithTheTokenizer(@TempDir Path tmp) throws IOException {
        Path file = write(tmp, true);
        // the byte tokenizer suffices for vocab 300; a llama2.c tokenizer of the wrong size is refused
        RawModel m = Importer.llama2c(file, null, tmp.resolve("dir"));
        assertEquals(TokenizerSpec.BYTE, m.tokenizer());
        assertFalse(Files.exists(tmp.resolve("dir").resolve("tokenizer.bin")));
        Path tok = tmp.resolve("tok.bin");
        Files.write(tok, org.likra.tokenize.Llama2cTokenizerTestAccess.file(10));
        UserError e = assertThrows(UserError.class, () -> Importer.llama2c(file, tok, tmp.resolve("dir2")));
        assertTrue(e.getMessage().contains("tok.bin"), e.getMessage());
        Files.write(tok, org.likra.tokenize.Llama2cTokenizerTestAccess.file(300 - 259));
        m = Importer.llama2c(file, tok, tmp.resolve("dir3"));
        assertEquals(new TokenizerSpec("llama2c", "tokenizer.bin"), m.tokenizer());
        assertArrayEquals(Files.readAllBytes(tok), Files.readAllBytes(tmp.resolve("dir3/tokenizer.bin")));
        assertEquals(300, ModelDirectory.load(tmp.resolve("dir3"),
                new org.likra.engine.reference.ReferenceEngine(org.likra.engine.Precision.F32)).tokenizer()
                .vocabSize());
    }
    /**
     * stories260K, imported and exported again, equals the original byte for byte outside RoPE's freq_cis tables,
     * which run.c skips; inside them 199 of the 4,096 floats (202 bytes) are one unit in the last place off, as
     * docs/data.md states: export.py stored PyTorch's float32 cos/sin, we store the float32 nearest the exact value.
     */
    @Test
    void exportedStories260KDiffersFromTheOriginalOnlyInItsRopeTablesByOneUlp(@TempDir Path tmp) throws IOException {
        Path bin = SharedFiles.require("models/stories260K/stories260K.bin");
        Importer.llama2c(bin, null, tmp.resolve("s"));
        Path out = tmp.resolve("s.bin");
        Exporter.llama2c(tmp.resolve("s"), out);
        byte[] original = Files.readAllBytes(bin);
        byte[] exported = Files.readAllBytes(out);
        assertEquals(original.length, exported.length);
        ByteBuffer header = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN);
        int dim = header.getInt(0);
        int heads = header.getInt(12);
        int vocab = header.getInt(20);
        int seq = header.getInt(24);
        int tableFloats = 2 * seq * (dim / heads / 2);
        int tableEnd = original.length - (vocab > 0 ? 0 : 4 * -vocab * dim); // wcls follows when not shared
        int tableStart = tableEnd - 4 * tableFloats;
        ByteBuffer a = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer b = ByteBuffer.wrap(exported).order(ByteOrder.LITTLE_ENDIAN);
        int bytes = 0;
        int floats = 0;
        for (int i = 0; i < original.length; i++) {
            if (original[i] != exported[i]) {
                assertTrue(i >= tableStart && i < tableEnd, "byte " + i + " differs outside the RoPE tables ["
                        + tableStart + ", " + tableEnd + ")");
                bytes++;
            }
        }
        for (int at = tableStart; at < tableEnd; at += 4) {
            int x = a.getInt(at);
            int y = b.getInt(at);
            if (x != y) {
                floats++;
                assertEquals(1, Math.abs(x - y), "float at byte " + at + ": " + a.getFloat(at) + " against "
                        + b.getFloat(at));
            }
        }
        assertEquals(4096, tableFloats);
        assertEquals(199, floats);
        assertEquals(202, bytes);
    }
}
