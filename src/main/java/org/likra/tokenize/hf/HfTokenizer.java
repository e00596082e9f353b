package org.likra.tokenize.hf;

import com.fasterxml.jackson.databind.JsonNode;
import org.likra.tokenize.Tokenizer;
import org.likra.tokenize.TokenizerFile;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model, read and run as the {@code tokenizers} library runs it:
 * byte-level tokenizers (GPT-2, Llama 3, Qwen2: ByteLevel pre-tokenizer and decoder, optionally after a Split
 * regex) and SentencePiece-style ones (Llama 2, Mistral: "▁" for spaces, prepended by a Metaspace pre-tokenizer or a
 * Prepend normalizer, {@code <0xXX>} byte fallback, ByteFallback/Fuse/Strip decoders).
 *
 * <p>Encoding: the added tokens are split off ({@link AddedTokens}); each other segment is normalized
 * ({@link Normalizers}), split again at normalized added tokens, pre-tokenized ({@link PreTokenizers}) into words,
 * and each word becomes ids through the BPE model ({@link BpeModel}). No BOS or EOS is added; {@link #bos()} is the
 * special token the file's post-processor template puts first (Llama's {@code <s>}, {@code <|begin_of_text|>}),
 * or -1 where it puts none. {@link #eos()} is the first special added token among {@code </s>},
 * {@code <|end_of_text|>}, {@code <|endoftext|>}, {@code <|im_end|>} and {@code <|eot_id|>}, or -1.
 *
 * <p>Decoding: each id's token text (special tokens print as nothing), then the decoder chain ({@link Decoders};
 * without a decoder, the tokens joined with spaces, as the library does).
 */
public final class HfTokenizer implements Tokenizer {
    /** The largest id a tokenizer.json may use. */
    private static final int MAX_ID = (1 << 24) - 1;
    private static final List<String> EOS_NAMES = List.of("</s>", "<|end_of_text|>", "<|endoftext|>", "<|im_end|>",
            "<|eot_id|>");

    private final String json;
    private final AddedTokens added;
    private final UnaryOperator<String> normalizer;
    private final PreTokenizers.Step preTokenizer;
    private final BpeModel model;
    private final Decoders.Step decoder;
    private final Map<Integer, AddedTokens.Token> addedById = new HashMap<>();
    private final int vocabSize;
    private final int bos;
    private final int eos;

    private HfTokenizer(String json, String where, JsonNode root) {
        this.json = json;
        this.normalizer = Normalizers.parse(root.get("normalizer"), where, "normalizer");
        this.preTokenizer = PreTokenizers.parse(root.get("pre_tokenizer"), where, "pre_tokenizer");
        JsonNode modelNode = root.get("model");
        if (modelNode == null || !modelNode.isObject()) {
            throw JsonFields.error(where, "model", "is missing or not an object");
        }
        this.model = BpeModel.parse(modelNode, where, MAX_ID);
        this.decoder = Decoders.parse(root.get("decoder"), where, "decoder");
        this.added = AddedTokens.parse(root.get("added_tokens"), where, MAX_ID, normalizer);
        int size = model.size();
        for (AddedTokens.Token t : added.all()) {
            addedById.put(t.id(), t);
            size = Math.max(size, t.id() + 1);
        }
        this.vocabSize = size;
        this.bos = templateBos(root.get("post_processor"), where);
        int e = -1;
        for (String name : EOS_NAMES) {
            for (AddedTokens.Token t : added.all()) {
                if (e < 0 && t.special() && t.content().equals(name)) {
                    e = t.id();
                }
            }
        }
        this.eos = e;
    }

    /** Reads a tokenizer.json; every problem is one line naming the file and the field. */
    public static HfTokenizer read(Path file) {
        return parse(TokenizerFile.read(file), file.toString());
    }

    /** Parses the text of a tokenizer.json; {@code where} names it in errors. */
    public static HfTokenizer parse(String text, String where) {
        JsonNode root = TokenizerFile.object(text, where);
        return new HfTokenizer(text, where, root);
    }

    /** The id of the special token a TemplateProcessing post-processor puts first for a single sequence, or -1. */
    private int templateBos(JsonNode processor, String where) {
        if (processor == null || processor.isNull()) {
            return -1;
        }
        String type = processor.path("type").asText("");
        if (type.equals("Sequence")) {
            for (JsonNode p : processor.path("processors")) {
                int id = templateBos(p, where);
                if (id >= 0) {
                    return id;
                }
            }
            return -1;
        }
        if (!type.equals("TemplateProcessing")) {
            return -1;
        }
        JsonNode first = processor.path("single").path(0);
        JsonNode special = first.get("SpecialToken");
        if (special == null) {
            return -1;
        }
        String name = special.path("id").asText("");
        JsonNode ids = processor.path("special_tokens").path(name).path("ids");
        if (ids.isArray() && ids.size() == 1 && ids.get(0).canConvertToInt()) {
            return ids.get(0).asInt();
        }
        for (AddedTokens.Token t : added.all()) {
            if (t.content().equals(name)) {
                return t.id();
            }
        }
        int id = model.id(name);
        if (id < 0) {
            throw JsonFields.error(where, "post_processor.single[0].SpecialToken.id", "is '" + name + "', which is "
                    + "neither an added token nor in model.vocab");
        }
        return id;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        for (AddedTokens.Segment raw : added.splitRaw(text, true)) {
            if (raw.isToken()) {
                ids.add(raw.id());
                continue;
            }
            String normalized = normalizer == null ? raw.text() : normalizer.apply(raw.text());
            for (AddedTokens.Segment segment : added.splitNormalized(normalized, raw.atStart())) {
                if (segment.isToken()) {
                    ids.add(segment.id());
                    continue;
                }
                List<Piece> words = List.of(new Piece(segment.text(), segment.atStart()));
                if (preTokenizer != null) {
                    words = preTokenizer.apply(words);
                }
                for (Piece w : words) {
                    for (int id : model.encode(w.text())) {
                        ids.add(id);
                    }
                }
            }
        }
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.get(i);
        }
        return out;
    }

    /** The text of {@code ids}; special added tokens and ids outside the vocabulary print nothing. */
    @Override
    public String decode(int[] ids) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            AddedTokens.Token t = addedById.get(id);
            if (t != null) {
                if (!t.special()) {
                    tokens.add(t.content());
                }
                continue;
            }
            String token = model.token(id);
            if (token != null) {
                tokens.add(token);
            }
        }
        if (decoder == null) {
            return String.join(" ", tokens);
        }
        return String.join("", decoder.apply(tokens));
    }

    /** The text of one id as the file's vocabulary writes it (byte-level or ▁ form), or null. */
    public String token(int id) {
        AddedTokens.Token t = addedById.get(id);
        return t != null ? t.content() : model.token(id);
    }

    @Override
    public int bos() {
        return bos;
    }

    @Override
    public int eos() {
        return eos;
    }

    @Override
    public TokenizerSpec spec() {
        return TokenizerSpec.HF;
    }

    /** Writes the tokenizer.json it was read from, unchanged, into a model directory. */
    @Override
    public void writeFiles(Path modelDir) throws IOException {
        AtomicFiles.writeString(modelDir.resolve(TokenizerSpec.HF_FILE), json);
    }

    @Override
    public String toString() {
        return "tokenizer.json (" + vocabSize + " ids)";
    }
}
