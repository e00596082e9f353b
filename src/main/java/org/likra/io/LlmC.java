package org.likra.io;

import org.likra.config.ModelConfig;
import org.likra.model.ParameterLayout;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * llm.c's GPT-2 checkpoints ({@code gpt2_124M.bin} and the files {@code train_gpt2.py} / {@code train_gpt2.c}
 * write): a header of 256 int32 (magic 20240326; version 3 = float32 parameters, 5 = bfloat16; maxT, V, L, NH, C,
 * Vp), then the parameters in llm.c's order: wte (Vp*C), wpe (maxT*C), ln1w, ln1b (L*C), qkvw (L*3C*C), qkvb (L*3C),
 * attprojw (L*C*C), attprojb (L*C), ln2w, ln2b (L*C), fcw (L*4C*C), fcb (L*4C), fcprojw (L*C*4C), fcprojb (L*C),
 * lnfw, lnfb (C).
 *
 * <p>The model gets vocab = Vp (the padded rows are kept, so an export reproduces them). What our config cannot
 * hold (the unpadded V, the version, any other non-zero header ints) goes into the metadata under {@code llmc.*}.
 */
public final class LlmC {
    public static final int MAGIC = 20240326;
    public static final int HEADER_INTS = 256;
    public static final int HEADER_BYTES = HEADER_INTS * 4;
    public static final double NORM_EPS = 1e-5;
    public static final String META_VOCAB = "llmc.vocab";
    public static final String META_VERSION = "llmc.version";
    public static final String META_HEADER = "llmc.header";
    /** GPT-2's vocabulary size (r50k_base). */
    public static final int GPT2_VOCAB = 50257;

    private LlmC() {
    }

    /** The header fields; {@code raw} is all 256 ints. */
    public record Header(int version, int maxT, int vocab, int layers, int heads, int channels, int paddedVocab,
                         int[] raw) {
        public boolean bf16() {
            return version == 5;
        }

        public ModelConfig toConfig(String name) {
            return new ModelConfig(name, channels, layers, heads, heads, 4 * channels, paddedVocab, maxT,
                    ModelConfig.Norm.layernorm, ModelConfig.Mlp.gelu, ModelConfig.Positions.learned, true, true,
                    10000.0, NORM_EPS);
        }

        long parameterCount() {
            long c = channels;
            long l = layers;
            return (long) paddedVocab * c + (long) maxT * c + l * (12 * c * c + 13 * c) + 2 * c;
        }
    }

    /** Reads and checks the header, including that the file size matches it exactly. */
    public static Header readHeader(Path file) {
        long size = Llama2c.fileSize(file);
        if (size < HEADER_BYTES) {
            throw new UserError(file + ": truncated llm.c checkpoint (" + size + " bytes; the header alone is "
                    + HEADER_BYTES + ")");
        }
        int[] h = new int[HEADER_INTS];
        try (InputStream in = Files.newInputStream(file)) {
            ByteBuffer b = ByteBuffer.wrap(in.readNBytes(HEADER_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < HEADER_INTS; i++) {
                h[i] = b.getInt();
            }
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        if (h[0] != MAGIC) {
            throw new UserError(file + ": not an llm.c model checkpoint (magic " + h[0] + ", expected " + MAGIC
                    + "); token files (.bin of uint16) and optimizer state are different files");
        }
        if (h[1] != 3 && h[1] != 5) {
            throw new UserError(file + ": unsupported llm.c checkpoint version " + h[1] + " (supported: 3 = float32, "
                    + "5 = bfloat16)");
        }
        Header header = new Header(h[1], h[2], h[3], h[4], h[5], h[6], h[7], h);
        String[] names = {"maxT", "V", "L", "NH", "C", "Vp"};
        for (int i = 2; i < 8; i++) {
            if (h[i] <= 0) {
                throw new UserError(file + ": bad llm.c header: " + names[i - 2] + " = " + h[i]);
            }
        }
        if (header.paddedVocab < header.vocab) {
            throw new UserError(file + ": bad llm.c header: padded vocabulary Vp = " + header.paddedVocab
                    + " is smaller than V = " + header.vocab);
        }
        if (header.channels % header.heads != 0 || header.channels > Integer.MAX_VALUE / 4) {
            throw new UserError(file + ": bad llm.c header: C = " + header.channels + " is not divisible by NH = "
                    + header.heads);
        }
        double approx = (double) header.paddedVocab * header.channels + (double) header.maxT * header.channels
                + (double) header.layers * (12.0 * header.channels * header.channels + 13.0 * header.channels);
        if (approx > 1e13) {
            throw new UserError(file + ": implausible llm.c header (maxT " + header.maxT + ", Vp "
                    + header.paddedVocab + ", L " + header.layers + ", C " + header.channels + "): "
                    + (long) approx + " parameters, but the file has only " + size + " bytes");
        }
        long params = header.parameterCount();
        long expected = HEADER_BYTES + params * (header.bf16() ? 2 : 4);
        if (params < 0 || params > Integer.MAX_VALUE - 16 || size != expected) {
            throw new UserError(file + ": " + (size < expected || params < 0 ? "truncated" : "trailing bytes in")
                    + " llm.c checkpoint: its header (maxT " + header.maxT + ", V " + header.vocab + ", Vp "
                    + header.paddedVocab + ", L " + header.layers + ", NH " + header.heads + ", C " + header.channels
                    + ", version " + header.version + ") needs exactly " + expected + " bytes but the file has "
                    + size);
        }
        return header;
    }

    /** Reads an llm.c GPT-2 checkpoint into our layout. */
    public static RawModel read(Path file) {
        Header header = readHeader(file);
        ModelConfig config = header.toConfig(Llama2c.stem(file)).validate(file.toString());
        ParameterLayout layout = Llama2c.layoutOf(config, file);
        float[] values = new float[layout.total()];
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            in.skipNBytes(HEADER_BYTES);
            FloatStreams.readPieces(in, plan(config, layout), values, header.bf16());
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (changed while reading?): " + e.getMessage(), e);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("source", "llmc");
        meta.put(META_VOCAB, Integer.toString(header.vocab));
        meta.put(META_VERSION, Integer.toString(header.version));
        StringBuilder extra = new StringBuilder();
        for (int i = 8; i < HEADER_INTS; i++) {
            if (header.raw[i] != 0) {
                extra.append(extra.isEmpty() ? "" : ",").append(i).append('=').append(header.raw[i]);
            }
        }
        if (!extra.isEmpty()) {
            meta.put(META_HEADER, extra.toString());
        }
        return new RawModel(config, null, values, meta);
    }

    /**
     * Writes a GPT-2-style model as an llm.c checkpoint. The unpadded vocabulary, version and extra header ints
     * come from the metadata an import recorded; without them V is 50257 when the tokenizer is GPT-2's (else Vp)
     * and the version is 3 (float32).
     *
     * @throws UserError if the architecture is not one llm.c's GPT-2 can hold
     */
    public static void write(Path file, RawModel model) throws IOException {
        ModelConfig c = model.config();
        checkExportable(c);
        int[] h = header(model);
        boolean bf16 = h[1] == 5;
        ParameterLayout layout = new ParameterLayout(c);
        List<FloatStreams.Piece> pieces = plan(c, layout);
        AtomicFiles.write(file, out -> {
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : h) {
                b.putInt(v);
            }
            out.write(b.array());
            FloatStreams.writePieces(out, pieces, model.values(), bf16);
        });
    }

    /** A UserError unless llm.c's GPT-2 can hold the architecture. */
    private static void checkExportable(ModelConfig c) {
        String why = null;
        if (c.norm() != ModelConfig.Norm.layernorm || c.mlp() != ModelConfig.Mlp.gelu
                || c.positions() != ModelConfig.Positions.learned || !c.bias() || !c.tiedEmbeddings()) {
            why = "it needs LayerNorm, a GELU MLP, learned positions, biases and tied embeddings";
        } else if (c.heads() != c.kvHeads()) {
            why = "llm.c has no grouped-query attention (heads " + c.heads() + ", kv_heads " + c.kvHeads() + ")";
        } else if (c.hidden() != 4 * c.dim()) {
            why = "llm.c's MLP is 4 * dim wide (" + 4 * c.dim() + "), the model's is " + c.hidden();
        } else if (c.normEps() != NORM_EPS) {
            why = "llm.c fixes the LayerNorm epsilon at 1e-5, the model has " + c.normEps();
        }
        if (why != null) {
            throw new UserError("cannot export model " + c.name() + " to llm.c: " + why);
        }
    }

    /** The checkpoint's 256 header ints: magic, version, context, V, layers, heads, dim, Vp and the recorded rest. */
    private static int[] header(RawModel model) {
        ModelConfig c = model.config();
        Map<String, String> meta = model.metadata() == null ? Map.of() : model.metadata();
        int[] h = new int[HEADER_INTS];
        h[0] = MAGIC;
        h[1] = intMeta(meta, META_VERSION, 3);
        if (h[1] != 3 && h[1] != 5) {
            throw new UserError("cannot export model " + c.name() + ": metadata " + META_VERSION + " = " + h[1]
                    + " is not 3 or 5");
        }
        h[2] = c.context();
        boolean gpt2Tokenizer = model.tokenizer() != null && "gpt2".equals(model.tokenizer().type());
        h[3] = intMeta(meta, META_VOCAB, gpt2Tokenizer && c.vocab() >= GPT2_VOCAB ? GPT2_VOCAB : c.vocab());
        if (h[3] <= 0 || h[3] > c.vocab()) {
            throw new UserError("cannot export model " + c.name() + ": metadata " + META_VOCAB + " = " + h[3]
                    + " does not fit the model's vocabulary of " + c.vocab());
        }
        h[4] = c.layers();
        h[5] = c.heads();
        h[6] = c.dim();
        h[7] = c.vocab();
        String extra = meta.get(META_HEADER);
        if (extra != null && !extra.isBlank()) {
            for (String kv : extra.split(",")) {
                String[] parts = kv.split("=");
                try {
                    int i = Integer.parseInt(parts[0].trim());
                    if (parts.length != 2 || i < 8 || i >= HEADER_INTS) {
                        throw new NumberFormatException();
                    }
                    h[i] = Integer.parseInt(parts[1].trim());
                } catch (NumberFormatException e) {
                    throw new UserError("cannot export model " + c.name() + ": bad metadata " + META_HEADER + " = "
                            + extra + " (expected index=value pairs, indices 8-255)");
                }
            }
        }
        return h;
    }

    private static int intMeta(Map<String, String> meta, String key, int fallback) {
        String v = meta.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UserError("bad metadata " + key + " = '" + v + "': not an integer");
        }
    }

    /** Where each run of file values after the header goes in our layout, in llm.c's order. */
    static List<FloatStreams.Piece> plan(ModelConfig c, ParameterLayout layout) {
        List<FloatStreams.Piece> p = new ArrayList<>();
        int layers = c.layers();
        FloatStreams.whole(p, layout, "model.embed_tokens.weight");
        FloatStreams.whole(p, layout, "model.embed_positions.weight");
        FloatStreams.perLayer(p, layout, layers, "input_layernorm.weight");
        FloatStreams.perLayer(p, layout, layers, "input_layernorm.bias");
        for (int l = 0; l < layers; l++) {
            for (String qkv : new String[]{"q_proj", "k_proj", "v_proj"}) {
                FloatStreams.whole(p, layout, "model.layers." + l + ".self_attn." + qkv + ".weight");
            }
        }
        for (int l = 0; l < layers; l++) {
            for (String qkv : new String[]{"q_proj", "k_proj", "v_proj"}) {
                FloatStreams.whole(p, layout, "model.layers." + l + ".self_attn." + qkv + ".bias");
            }
        }
        FloatStreams.perLayer(p, layout, layers, "self_attn.o_proj.weight");
        FloatStreams.perLayer(p, layout, layers, "self_attn.o_proj.bias");
        FloatStreams.perLayer(p, layout, layers, "post_attention_layernorm.weight");
        FloatStreams.perLayer(p, layout, layers, "post_attention_layernorm.bias");
        FloatStreams.perLayer(p, layout, layers, "mlp.up_proj.weight");
        FloatStreams.perLayer(p, layout, layers, "mlp.up_proj.bias");
        FloatStreams.perLayer(p, layout, layers, "mlp.down_proj.weight");
        FloatStreams.perLayer(p, layout, layers, "mlp.down_proj.bias");
        FloatStreams.whole(p, layout, "model.norm.weight");
        FloatStreams.whole(p, layout, "model.norm.bias");
        return p;
    }
}
