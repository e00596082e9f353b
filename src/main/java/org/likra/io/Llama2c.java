package org.likra.io;

import org.likra.config.ModelConfig;
import org.likra.model.ParameterLayout;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.BufferedInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Karpathy's llama2.c checkpoint format (the legacy "version 0" export that {@code run.c} reads): seven int32
 * (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means a separate
 * classifier follows), then float32 arrays: token_embedding_table, rms_att_weight, wq, wk, wv, wo, rms_ffn_weight,
 * w1, w2, w3, rms_final_weight, freq_cis_real, freq_cis_imag, and wcls when not shared.
 *
 * <p>llama2.c rotates the interleaved pairs (2i, 2i+1) of each head; our models (like Hugging Face's Llama) rotate
 * the halves (i, i + d/2). Reading permutes the rows of wq and wk per head so that new row {@code s*d/2 + i} is
 * old row {@code 2i + s}; writing applies the inverse. Mapping: w1 = gate_proj, w3 = up_proj, w2 = down_proj.
 */
public final class Llama2c {
    public static final int HEADER_BYTES = 7 * 4;
    /** The first int of llama2.c's newer (version 1 and 2) export formats: "ak42". */
    private static final int NEW_FORMAT_MAGIC = 0x616b3432;
    /** What llama2.c's run.c uses and cannot change. */
    public static final double NORM_EPS = 1e-5;
    public static final double ROPE_THETA = 10000.0;

    private Llama2c() {
    }

    /** The header of a llama2.c checkpoint; {@code shared} is true when vocab_size was positive. */
    public record Header(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, boolean shared,
                         int seqLen) {
        public int headSize() {
            return dim / heads;
        }

        public ModelConfig toConfig(String name) {
            return new ModelConfig(name, dim, layers, heads, kvHeads, hidden, vocab, seqLen,
                    ModelConfig.Norm.rmsnorm, ModelConfig.Mlp.swiglu, ModelConfig.Positions.rope, false, shared,
                    ROPE_THETA, NORM_EPS);
        }

        /** The exact size of a file with this header. */
        long expectedBytes(Path file) {
            try {
                long kvDim = (long) kvHeads * headSize();
                long d = dim;
                long perLayer = Math.addExact(Math.addExact(Math.multiplyExact(d, 2),
                                Math.multiplyExact(d, Math.addExact(2 * d, 2 * kvDim))),
                        Math.multiplyExact(3L * d, hidden));
                long floats = Math.multiplyExact((long) vocab, d);
                floats = Math.addExact(floats, Math.multiplyExact(perLayer, layers));
                floats = Math.addExact(floats, d);
                floats = Math.addExact(floats, Math.multiplyExact((long) seqLen, headSize()));
                if (!shared) {
                    floats = Math.addExact(floats, Math.multiplyExact((long) vocab, d));
                }
                return Math.addExact(HEADER_BYTES, Math.multiplyExact(floats, 4L));
            } catch (ArithmeticException e) {
                throw new UserError(file + ": implausible llama2.c header " + this + " (sizes overflow): not a "
                        + "llama2.c checkpoint?");
            }
        }
    }

    /** Reads and checks the header, including that the file size matches it exactly. */
    public static Header readHeader(Path file) {
        long size = fileSize(file);
        if (size < HEADER_BYTES) {
            throw new UserError(file + ": truncated llama2.c checkpoint (" + size + " bytes; the header alone is "
                    + HEADER_BYTES + ")");
        }
        int[] h = new int[7];
        try (InputStream in = Files.newInputStream(file)) {
            ByteBuffer b = ByteBuffer.wrap(in.readNBytes(HEADER_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 7; i++) {
                h[i] = b.getInt();
            }
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        if (h[0] == NEW_FORMAT_MAGIC) {
            throw new UserError(file + ": this is llama2.c's newer export format (magic \"ak42\", version "
                    + (size >= 8 ? "1 or 2" : "?") + "); export it with llama2.c's export.py --version 0 (legacy)");
        }
        String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        for (int i = 0; i < 7; i++) {
            if (i == 5 ? h[i] == 0 || h[i] == Integer.MIN_VALUE : h[i] <= 0) {
                throw new UserError(file + ": not a llama2.c checkpoint: header field " + names[i] + " = " + h[i]);
            }
        }
        Header header = new Header(h[0], h[1], h[2], h[3], h[4], Math.abs(h[5]), h[5] > 0, h[6]);
        if (header.dim % header.heads != 0 || header.heads % header.kvHeads != 0 || header.headSize() % 2 != 0) {
            throw new UserError(file + ": not a usable llama2.c checkpoint: dim " + header.dim + ", n_heads "
                    + header.heads + ", n_kv_heads " + header.kvHeads + " (dim must divide into heads of even size, "
                    + "n_heads must be a multiple of n_kv_heads)");
        }
        long expected = header.expectedBytes(file);
        if (size != expected) {
            throw new UserError(file + ": " + (size < expected ? "truncated" : "trailing bytes in")
                    + " llama2.c checkpoint: its header (dim " + header.dim + ", hidden " + header.hidden
                    + ", layers " + header.layers + ", heads " + header.heads + ", kv heads " + header.kvHeads
                    + ", vocab " + header.vocab + (header.shared ? " shared" : " separate classifier") + ", seq_len "
                    + header.seqLen + ") needs exactly " + expected + " bytes but the file has " + size);
        }
        return header;
    }

    /** Reads a llama2.c checkpoint into our layout (RoPE rows permuted to the rotate-halves layout). */
    public static RawModel read(Path file) {
        Header header = readHeader(file);
        ModelConfig config = header.toConfig(stem(file)).validate(file.toString());
        ParameterLayout layout = layoutOf(config, file);
        float[] values = new float[layout.total()];
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            in.skipNBytes(HEADER_BYTES);
            FloatStreams.readPieces(in, plan(config, layout), values, false);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (changed while reading?): " + e.getMessage(), e);
        }
        return new RawModel(config, null, values, Map.of("source", "llama2c"));
    }

    /**
     * Writes a Llama-style model in llama2.c's legacy format. Its freq_cis tables hold cos and sin of
     * t * theta^(-2i/headDim) as float32 (the frequency and angle rounded to float32 as export.py's float32 tensors
     * are), each StrictMath's double-precision cos or sin rounded to float32; export.py stored PyTorch's float32
     * cos/sin, within one unit in the last place of those (199 of stories260K's 4,096 table floats differ,
     * docs/data.md). run.c skips both tables and computes RoPE itself.
     *
     * @throws UserError if the architecture is one llama2.c cannot run
     */
    public static void write(Path file, RawModel model) throws IOException {
        ModelConfig c = model.config();
        if (c.norm() != ModelConfig.Norm.rmsnorm || c.mlp() != ModelConfig.Mlp.swiglu
                || c.positions() != ModelConfig.Positions.rope || c.bias()) {
            throw new UserError("cannot export model " + c.name() + " to llama2.c: it needs RMSNorm, SwiGLU, RoPE "
                    + "and no biases");
        }
        if (c.ropeTheta() != ROPE_THETA || c.normEps() != NORM_EPS) {
            throw new UserError("cannot export model " + c.name() + " to llama2.c: run.c fixes rope_theta = 10000 "
                    + "and norm_eps = 1e-5, the model has " + c.ropeTheta() + " and " + c.normEps());
        }
        ParameterLayout layout = new ParameterLayout(c);
        List<FloatStreams.Piece> pieces = plan(c, layout);
        AtomicFiles.write(file, out -> {
            DataOutputStream header = new DataOutputStream(out);
            int[] h = {c.dim(), c.hidden(), c.layers(), c.heads(), c.kvHeads(),
                    c.tiedEmbeddings() ? c.vocab() : -c.vocab(), c.context()};
            for (int v : h) {
                header.writeInt(Integer.reverseBytes(v));
            }
            header.flush();
            FloatStreams.writePieces(out, pieces, model.values(), false);
        });
    }

    /** Where each run of file floats after the header goes in our layout. */
    static List<FloatStreams.Piece> plan(ModelConfig c, ParameterLayout layout) {
        List<FloatStreams.Piece> pieces = new ArrayList<>();
        int layers = c.layers();
        FloatStreams.whole(pieces, layout, "model.embed_tokens.weight");
        FloatStreams.perLayer(pieces, layout, layers, "input_layernorm.weight");
        for (int l = 0; l < layers; l++) {
            permuted(pieces, layout, "model.layers." + l + ".self_attn.q_proj.weight", c.heads(), c.headDim(),
                    c.dim());
        }
        for (int l = 0; l < layers; l++) {
            permuted(pieces, layout, "model.layers." + l + ".self_attn.k_proj.weight", c.kvHeads(), c.headDim(),
                    c.dim());
        }
        FloatStreams.perLayer(pieces, layout, layers, "self_attn.v_proj.weight");
        FloatStreams.perLayer(pieces, layout, layers, "self_attn.o_proj.weight");
        FloatStreams.perLayer(pieces, layout, layers, "post_attention_layernorm.weight");
        FloatStreams.perLayer(pieces, layout, layers, "mlp.gate_proj.weight");
        FloatStreams.perLayer(pieces, layout, layers, "mlp.down_proj.weight");
        FloatStreams.perLayer(pieces, layout, layers, "mlp.up_proj.weight");
        FloatStreams.whole(pieces, layout, "model.norm.weight");
        int half = c.headDim() / 2;
        float[] real = new float[c.context() * half];
        float[] imag = new float[c.context() * half];
        for (int t = 0; t < c.context(); t++) {
            for (int i = 0; i < half; i++) {
                float freq = (float) (1.0 / StrictMath.pow(c.ropeTheta(), (2.0 * i) / c.headDim()));
                float angle = t * freq;
                real[t * half + i] = (float) StrictMath.cos(angle);
                imag[t * half + i] = (float) StrictMath.sin(angle);
            }
        }
        pieces.add(FloatStreams.Piece.gap(real));
        pieces.add(FloatStreams.Piece.gap(imag));
        if (!c.tiedEmbeddings()) {
            FloatStreams.whole(pieces, layout, "lm_head.weight");
        }
        return pieces;
    }

    /** File row {@code h*d + 2i + s} (interleaved pairs) is our row {@code h*d + s*d/2 + i} (rotate-halves). */
    private static void permuted(List<FloatStreams.Piece> pieces, ParameterLayout layout, String name, int heads,
                                 int headDim, int in) {
        var spec = layout.get(name);
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int fileRow = 0; fileRow < headDim; fileRow++) {
                int ourRow = (fileRow % 2) * half + fileRow / 2;
                pieces.add(FloatStreams.Piece.of(in, spec.offset() + (h * headDim + ourRow) * in));
            }
        }
    }

    static ParameterLayout layoutOf(ModelConfig config, Path file) {
        try {
            ParameterLayout layout = new ParameterLayout(config);
            long total = 0;
            for (var spec : layout.specs()) {
                long n = 1;
                for (int d : spec.shape()) {
                    n *= d;
                }
                total += n;
            }
            if (total != layout.total() || total > Integer.MAX_VALUE - 16) {
                throw new ArithmeticException();
            }
            return layout;
        } catch (ArithmeticException e) {
            throw new UserError(file + ": the model is too large for one Java float array (2^31 parameters)");
        }
    }

    static long fileSize(Path file) {
        try {
            if (Files.isDirectory(file)) {
                throw new UserError(file + ": is a directory, expected a checkpoint file");
            }
            return Files.size(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file (docs/data.md: where to get stories260K)");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** The tokenizer spec of an imported llama2.c model whose tokenizer was copied in. */
    public static final TokenizerSpec TOKENIZER = new TokenizerSpec("llama2c", "tokenizer.bin");
}
