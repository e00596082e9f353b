package org.likra.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.config.ModelConfig;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.model.ParameterLayout;
import org.likra.tokenize.Llama2cTokenizer;
import org.likra.tokenize.Llama2cTokenizerTestAccess;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Corrupt, truncated and malformed inputs must fail with a UserError whose message names the file (and the
 * tensor where one is at fault), never with another exception.
 */
class FormatFuzzTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static ModelConfig gpt2() {
        return new ModelConfig("fuzz", 16, 2, 2, 2, 64, 260, 8, ModelConfig.Norm.layernorm, ModelConfig.Mlp.gelu,
                ModelConfig.Positions.learned, true, true, 10000.0, 1e-5);
    }

    static Path validDirectory(Path dir) throws IOException {
        ModelConfig c = gpt2();
        float[] v = new float[new ParameterLayout(c).total()];
        Random r = new Random(1);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        ModelDirectory.save(dir, new RawModel(c, TokenizerSpec.BYTE, v, Map.of()));
        return dir;
    }

    static void load(Path dir) {
        ModelDirectory.load(dir, new ReferenceEngine(Precision.F32));
    }

    /** Runs {@code action}: success or a UserError naming {@code file} are fine; anything else fails the test. */
    static void userErrorOrSuccess(String what, Path file, Runnable action) {
        try {
            action.run();
        } catch (UserError e) {
            assertTrue(e.getMessage().contains(file.getFileName().toString()),
                    what + ": message does not name " + file.getFileName() + ": " + e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), what + ": message is not one line: " + e.getMessage());
        } catch (Throwable t) {
            throw new AssertionError(what + ": " + t, t);
        }
    }

    static UserError userError(Path file, Runnable action, String... mentions) {
        UserError e = assertThrows(UserError.class, action::run);
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), "'" + m + "' missing from: " + e.getMessage());
        }
        return e;
    }

    // ------------------------------------------------------------------------------------------- safetensors

    /** The file's JSON header and its data bytes. */
    record Parts(ObjectNode header, byte[] data) {
        static Parts of(Path file) throws IOException {
            byte[] all = Files.readAllBytes(file);
            long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            ObjectNode header = (ObjectNode) JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
            return new Parts(header, Arrays.copyOfRange(all, 8 + (int) n, all.length));
        }

        void write(Path file) throws IOException {
            writeRaw(file, JSON.writeValueAsBytes(header), data);
        }
    }

    static void writeRaw(Path file, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        Files.write(file, b.array());
    }

    private void corrupt(Path dir, Consumer<Parts> edit) throws IOException {
        Path file = dir.resolve(ModelDirectory.WEIGHTS);
        Parts p = Parts.of(file);
        edit.accept(p);
        p.write(file);
    }

    @Test
    void corruptSafetensorsHeaders(@TempDir Path tmp) throws IOException {
        String q = "model.layers.0.self_attn.q_proj.weight";
        Path st = validDirectory(tmp.resolve("ok")).resolve(ModelDirectory.WEIGHTS);
        byte[] valid = Files.readAllBytes(st);
        load(tmp.resolve("ok"));

        // header length: zero, negative, huge, past the end
        for (long len : new long[]{0, -5, Long.MAX_VALUE, valid.length}) {
            Path d = validDirectory(tmp.resolve("len" + len));
            byte[] b = valid.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, len);
            Files.write(d.resolve(ModelDirectory.WEIGHTS), b);
            userError(d.resolve(ModelDirectory.WEIGHTS), () -> load(d), "header length");
        }
        // bad JSON, not an object
        for (String header : new String[]{"{\"a\": [1, 2", "[1, 2, 3]", "\"text\"", "{\"x\": }", "\u0000\u0001"}) {
            Path d = validDirectory(tmp.resolve("json" + header.hashCode()));
            writeRaw(d.resolve(ModelDirectory.WEIGHTS), header.getBytes(StandardCharsets.UTF_8), new byte[16]);
            userError(d.resolve(ModelDirectory.WEIGHTS), () -> load(d));
        }
        // unknown dtype; dtype not a string; entry not an object
        Path d1 = validDirectory(tmp.resolve("dtype"));
        corrupt(d1, p -> ((ObjectNode) p.header().get(q)).put("dtype", "Q4_K"));
        userError(d1.resolve(ModelDirectory.WEIGHTS), () -> load(d1), q, "Q4_K");
        Path d2 = validDirectory(tmp.resolve("dtype2"));
        corrupt(d2, p -> ((ObjectNode) p.header().get(q)).put("dtype", 7));
        userError(d2.resolve(ModelDirectory.WEIGHTS), () -> load(d2), q);
        Path d3 = validDirectory(tmp.resolve("entry"));
        corrupt(d3, p -> p.header().put(q, 3));
        userError(d3.resolve(ModelDirectory.WEIGHTS), () -> load(d3), q);
        // offsets past the end of the file
        Path d4 = validDirectory(tmp.resolve("past"));
        corrupt(d4, p -> {
            var offs = (com.fasterxml.jackson.databind.node.ArrayNode) p.header().get(q).get("data_offsets");
            offs.set(1, offs.get(1).asLong() + 1_000_000);
        });
        userError(d4.resolve(ModelDirectory.WEIGHTS), () -> load(d4), q);
        // offsets not matching the shape; shape/offsets of the wrong JSON type
        Path d5 = validDirectory(tmp.resolve("mismatch"));
        corrupt(d5, p -> ((ObjectNode) p.header().get(q)).putArray("shape").add(16).add(15));
        userError(d5.resolve(ModelDirectory.WEIGHTS), () -> load(d5), q);
        Path d6 = validDirectory(tmp.resolve("shapeobj"));
        corrupt(d6, p -> ((ObjectNode) p.header().get(q)).putObject("shape").put("a", 1).put("b", 2));
        userError(d6.resolve(ModelDirectory.WEIGHTS), () -> load(d6), q);
        Path d7 = validDirectory(tmp.resolve("offobj"));
        corrupt(d7, p -> ((ObjectNode) p.header().get(q)).putObject("data_offsets").put("a", 1).put("b", 2));
        userError(d7.resolve(ModelDirectory.WEIGHTS), () -> load(d7), q);
        Path d8 = validDirectory(tmp.resolve("negshape"));
        corrupt(d8, p -> ((ObjectNode) p.header().get(q)).putArray("shape").add(-16).add(-16));
        userError(d8.resolve(ModelDirectory.WEIGHTS), () -> load(d8), q);
        Path d8b = validDirectory(tmp.resolve("hugeshape"));
        corrupt(d8b, p -> ((ObjectNode) p.header().get(q)).putArray("shape").add(1 << 30).add(1 << 30).add(1 << 30)
                .add(1 << 30));
        userError(d8b.resolve(ModelDirectory.WEIGHTS), () -> load(d8b), q);
        // two tensors sharing bytes
        Path d9 = validDirectory(tmp.resolve("overlap"));
        corrupt(d9, p -> ((ObjectNode) p.header().get("model.layers.0.self_attn.k_proj.weight"))
                .set("data_offsets", p.header().get(q).get("data_offsets").deepCopy()));
        userError(d9.resolve(ModelDirectory.WEIGHTS), () -> load(d9));
        // missing tensor
        Path d10 = validDirectory(tmp.resolve("missing"));
        corrupt(d10, p -> {
            p.header().set("model.layers.0.self_attn.q_proj.weightX", p.header().get(q));
            p.header().remove(q);
        });
        userError(d10.resolve(ModelDirectory.WEIGHTS), () -> load(d10), "missing tensor " + q);
        // a tensor whose shape does not match config.json (a consistent file, transposed shape)
        Path d11 = validDirectory(tmp.resolve("transposed"));
        corrupt(d11, p -> ((ObjectNode) p.header().get("model.layers.1.mlp.up_proj.weight")).putArray("shape")
                .add(16).add(64));
        userError(d11.resolve(ModelDirectory.WEIGHTS), () -> load(d11), "model.layers.1.mlp.up_proj.weight",
                "config.json");
        // __metadata__ that is not an object
        Path d12 = validDirectory(tmp.resolve("meta"));
        corrupt(d12, p -> p.header().put("__metadata__", 5));
        userError(d12.resolve(ModelDirectory.WEIGHTS), () -> load(d12), "__metadata__");
        // no model.safetensors at all
        Path d13 = validDirectory(tmp.resolve("nofile"));
        Files.delete(d13.resolve(ModelDirectory.WEIGHTS));
        userError(d13.resolve(ModelDirectory.WEIGHTS), () -> load(d13), "no such file");
    }

    @Test
    void randomTruncationsAndByteFlipsOfSafetensors(@TempDir Path tmp) throws IOException {
        Path dir = validDirectory(tmp.resolve("m"));
        Path file = dir.resolve(ModelDirectory.WEIGHTS);
        byte[] valid = Files.readAllBytes(file);
        long headerEnd = 8 + ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        Random r = new Random(20240326);
        for (int i = 0; i < 150; i++) {
            int cut = r.nextInt(valid.length);
            Files.write(file, Arrays.copyOf(valid, cut));
            assertThrows(UserError.class, () -> load(dir), "truncated at " + cut);
            userErrorOrSuccess("truncated at " + cut, file, () -> load(dir));
        }
        for (int i = 0; i < 400; i++) {
            byte[] b = valid.clone();
            int flips = 1 + r.nextInt(3);
            StringBuilder what = new StringBuilder("flips");
            for (int f = 0; f < flips; f++) {
                // mostly in the header, where the structure is
                int at = r.nextInt(4) == 0 ? r.nextInt(b.length) : r.nextInt((int) headerEnd);
                b[at] ^= (byte) (1 + r.nextInt(255));
                what.append(' ').append(at);
            }
            Files.write(file, b);
            userErrorOrSuccess(what.toString(), file, () -> load(dir));
        }
    }

    // ------------------------------------------------------------------------------------------- config.json

    @Test
    void malformedConfigJson(@TempDir Path tmp) throws IOException {
        Path dir = validDirectory(tmp.resolve("m"));
        Path cfg = dir.resolve(ModelDirectory.CONFIG);
        String valid = Files.readString(cfg);
        String[] bad = {
                "", "{", "[]", "null", "{\"hidden_size\": 16}", valid.replace("\"hidden_size\" : 16", "\"hidden_size\" : \"16\""),
                valid.replace("\"num_attention_heads\" : 2", "\"num_attention_heads\" : 0"),
                valid.replace("\"num_attention_heads\" : 2", "\"num_attention_heads\" : 3"),
                valid.replace("\"num_key_value_heads\" : 2", "\"num_key_value_heads\" : 0"),
                valid.replace("\"vocab_size\" : 260", "\"vocab_size\" : 2147483647"),
                valid.replace("\"hidden_size\" : 16", "\"hidden_size\" : 2147483646"),
                valid.replace("\"num_hidden_layers\" : 2", "\"num_hidden_layers\" : 3"),
                valid.replace("\"intermediate_size\" : 64", "\"intermediate_size\" : -64"),
                valid.replace("\"norm\" : \"layernorm\"", "\"norm\" : \"batchnorm\""),
                valid.replace("\"type\" : \"byte\"", "\"type\" : \"sentencepiece\""),
                valid.replace("\"type\" : \"byte\"", "\"type\" : \"llama2c\""),
                valid.replace("\"type\" : \"byte\"", "\"type\" : \"llama2c\", \"file\" : \"../../etc/passwd\""),
                valid.replace("\"type\" : \"byte\"", "\"type\" : \"llama2c\", \"file\" : \"absent.bin\""),
                valid.replace("\"rms_norm_eps\" : 1.0E-5", "\"rms_norm_eps\" : 0"),
        };
        for (String text : bad) {
            if (text.equals(valid)) {
                fail("a replacement did not apply; the config.json format changed:\n" + valid);
            }
            Files.writeString(cfg, text);
            UserError e = assertThrows(UserError.class, () -> load(dir), text);
            assertTrue(e.getMessage().contains("config.json") || e.getMessage().contains("absent.bin"),
                    e.getMessage());
        }
        Random r = new Random(7);
        byte[] bytes = valid.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 300; i++) {
            byte[] b = i < 100 ? Arrays.copyOf(bytes, r.nextInt(bytes.length)) : bytes.clone();
            if (i >= 100) {
                b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
            }
            Files.write(cfg, b);
            try {
                load(dir);
            } catch (UserError e) {
                assertTrue(e.getMessage().contains("config.json") || e.getMessage().contains("model.safetensors"),
                        e.getMessage());
            } catch (Throwable t) {
                throw new AssertionError("config.json " + new String(b, StandardCharsets.UTF_8) + ": " + t, t);
            }
        }
    }

    // ------------------------------------------------------------------------------------------- llama2.c, llm.c

    @Test
    void corruptLlama2cCheckpoints(@TempDir Path tmp) throws IOException {
        Path good = Llama2cTest.write(tmp, false);
        byte[] valid = Files.readAllBytes(good);
        Path file = tmp.resolve("bad.bin");
        Random r = new Random(11);
        for (int i = 0; i < 300; i++) {
            byte[] b;
            if (i < 100) {
                b = Arrays.copyOf(valid, r.nextInt(valid.length));
            } else {
                b = valid.clone();
                int at = r.nextInt(i < 250 ? Llama2c.HEADER_BYTES : b.length);
                b[at] ^= (byte) (1 + r.nextInt(255));
            }
            Files.write(file, b);
            userErrorOrSuccess("llama2.c case " + i, file, () -> Llama2c.read(file));
            userErrorOrSuccess("llama2.c info case " + i, file, () -> ModelInfo.of(file));
        }
        Files.write(file, new byte[0]);
        userError(file, () -> Llama2c.read(file), "truncated");
        userError(tmp.resolve("absent.bin"), () -> Llama2c.read(tmp.resolve("absent.bin")), "no such file");
    }

    @Test
    void corruptLlmcCheckpoints(@TempDir Path tmp) throws IOException {
        Path good = LlmCTest.writeRandom(tmp, 3);
        byte[] valid = Files.readAllBytes(good);
        Path file = tmp.resolve("bad.bin");
        Random r = new Random(12);
        for (int i = 0; i < 300; i++) {
            byte[] b;
            if (i < 100) {
                b = Arrays.copyOf(valid, r.nextInt(valid.length));
            } else {
                b = valid.clone();
                int at = r.nextInt(i < 250 ? 32 : b.length);
                b[at] ^= (byte) (1 + r.nextInt(255));
            }
            Files.write(file, b);
            userErrorOrSuccess("llm.c case " + i, file, () -> LlmC.read(file));
            userErrorOrSuccess("llm.c info case " + i, file, () -> ModelInfo.of(file));
        }
        byte[] b = valid.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 20240520);
        Files.write(file, b);
        userError(file, () -> LlmC.read(file), "magic");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0, LlmC.MAGIC).putInt(4, 4);
        Files.write(file, b);
        userError(file, () -> LlmC.read(file), "version 4");
        Files.write(file, Arrays.copyOf(valid, valid.length - 1));
        userError(file, () -> LlmC.read(file), "truncated");
        Files.write(file, Arrays.copyOf(valid, valid.length + 4));
        userError(file, () -> LlmC.read(file), "trailing");
    }

    // ------------------------------------------------------------------------------------------- tokenizer

    @Test
    void corruptTokenizerFiles(@TempDir Path tmp) throws IOException {
        byte[] valid = Llama2cTokenizerTestAccess.file(41);
        Path file = tmp.resolve("tok.bin");
        Random r = new Random(13);
        for (int i = 0; i < 300; i++) {
            byte[] b;
            if (i < 150) {
                b = Arrays.copyOf(valid, r.nextInt(valid.length));
            } else {
                b = valid.clone();
                b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
            }
            Files.write(file, b);
            userErrorOrSuccess("tokenizer case " + i, file, () -> {
                Llama2cTokenizer t = Llama2cTokenizer.read(file);
                t.decode(t.encode("héllo wörld"));
            });
        }
        userError(tmp.resolve("none.bin"), () -> Llama2cTokenizer.read(tmp.resolve("none.bin")), "no such");

        // a model directory whose tokenizer.bin is damaged
        Path model = Llama2cTest.write(tmp, true);
        Files.write(file, valid);
        Path dir = tmp.resolve("dir");
        Importer.llama2c(model, file, dir);
        load(dir);
        Files.write(dir.resolve("tokenizer.bin"), Arrays.copyOf(valid, valid.length - 3));
        userError(dir.resolve("tokenizer.bin"), () -> load(dir), "truncated");
    }
}
