package org.likra.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;

/**
 * GPT-2-style byte-level BPE, stored as a Hugging Face {@code tokenizer.json} (model type BPE, ByteLevel
 * pre-tokenizer and decoder).
 *
 * <p>Encoding splits the text with GPT-2's regex ({@link ByteLevel#SPLIT}), writes each piece's UTF-8 bytes as
 * byte-level symbols, then repeatedly merges, everywhere in the piece from left to right, the adjacent pair with the
 * lowest merge rank until no pair has a merge. Encoded pieces are cached. Text is always encoded as ordinary text:
 * added tokens (such as {@code <|endoftext|>}) are never produced by {@link #encode}, so decode(encode(s)) == s for
 * every well-formed string.
 *
 * <p>Tokenizers made by {@link #train} have the 256 byte symbols as ids 0..255 in byte order (id b is byte b) and
 * the merges' results as ids 256, 257, ...; files written elsewhere (GPT-2's own, for instance) may order ids
 * differently and are read as they are.
 *
 * <p>BOS and EOS come from the file's special added tokens: {@code <|endoftext|>} is both (GPT-2's convention),
 * {@code <s>} is BOS and {@code </s>} EOS; without them both are -1. Decoding prints special added tokens as nothing
 * and non-special ones as their content.
 */
public final class BpeTokenizer implements Tokenizer {
    public static final String TYPE = "bpe";
    public static final String FILE = "tokenizer.json";
    public static final TokenizerSpec SPEC = new TokenizerSpec(TYPE, FILE);
    /** The smallest and largest vocabulary {@link #train} accepts. */
    public static final int MIN_VOCAB = 257;
    public static final int MAX_VOCAB = 65536;
    /** The largest token id a tokenizer.json may use. */
    private static final int MAX_ID = 1 << 22;
    private static final int CACHE_LIMIT = 1 << 18;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A token of the file's {@code added_tokens} list. */
    public record AddedToken(int id, String content, boolean special) {
    }

    /** Byte-level string of each model-vocabulary id; null where the id is not in model.vocab. */
    private final String[] symbols;
    /** Merges by rank: the left and right ids and the id of their concatenation. */
    private final int[] mergeLeft;
    private final int[] mergeRight;
    private final int[] mergeResult;
    private final List<AddedToken> added;
    private final Map<Long, Integer> ranks = new HashMap<>();
    /** The id of each byte's symbol. */
    private final int[] byteIds = new int[256];
    /** What each id decodes to; null prints nothing. */
    private final byte[][] decodeBytes;
    private final int vocabSize;
    private final int bos;
    private final int eos;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * A tokenizer from its parts, which the caller has checked: every byte symbol is in the vocabulary and every
     * merge's concatenation is too.
     *
     * @param symbols byte-level string of each id of the model vocabulary (null for unused ids)
     * @param merges  the merges by rank, each {left id, right id}
     * @param added   the added tokens
     */
    BpeTokenizer(String[] symbols, int[][] merges, List<AddedToken> added) {
        this.symbols = symbols.clone();
        this.added = List.copyOf(added);
        Map<String, Integer> vocab = new HashMap<>();
        for (int id = 0; id < symbols.length; id++) {
            if (symbols[id] != null) {
                vocab.put(symbols[id], id);
            }
        }
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.get(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
        }
        mergeLeft = new int[merges.length];
        mergeRight = new int[merges.length];
        mergeResult = new int[merges.length];
        for (int r = 0; r < merges.length; r++) {
            mergeLeft[r] = merges[r][0];
            mergeRight[r] = merges[r][1];
            mergeResult[r] = vocab.get(symbols[merges[r][0]] + symbols[merges[r][1]]);
            ranks.putIfAbsent(pairKey(merges[r][0], merges[r][1]), r);
        }
        int size = symbols.length;
        for (AddedToken t : added) {
            size = Math.max(size, t.id() + 1);
        }
        vocabSize = size;
        decodeBytes = new byte[size][];
        for (int id = 0; id < symbols.length; id++) {
            if (symbols[id] != null) {
                decodeBytes[id] = ByteLevel.toBytes(symbols[id]);
            }
        }
        int b = -1;
        int e = -1;
        for (AddedToken t : added) {
            decodeBytes[t.id()] = t.special() ? null : t.content().getBytes(StandardCharsets.UTF_8);
            if (t.special()) {
                switch (t.content()) {
                    case "<|endoftext|>" -> {
                        b = b < 0 ? t.id() : b;
                        e = e < 0 ? t.id() : e;
                    }
                    case "<s>" -> b = t.id();
                    case "</s>" -> e = t.id();
                    default -> {
                    }
                }
            }
        }
        bos = b;
        eos = e;
    }

    /** Trains a tokenizer on {@code corpus} (see {@link BpeTrainer#train}). */
    public static BpeTokenizer train(String corpus, int vocabSize) {
        return BpeTrainer.train(corpus, vocabSize);
    }

    static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int[] encode(String text) {
        int[] out = new int[Math.max(16, text.length())];
        int n = 0;
        Matcher m = ByteLevel.SPLIT.matcher(text);
        while (m.find()) {
            int[] ids = encodePiece(m.group());
            if (n + ids.length > out.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, n + ids.length));
            }
            System.arraycopy(ids, 0, out, n, ids.length);
            n += ids.length;
        }
        return Arrays.copyOf(out, n);
    }

    /** The ids of one pre-tokenized piece. */
    private int[] encodePiece(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        int[] s = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            s[i] = byteIds[bytes[i] & 0xff];
        }
        int n = s.length;
        while (n > 1) {
            int best = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < n; i++) {
                Integer r = ranks.get(pairKey(s[i], s[i + 1]));
                if (r != null && r < best) {
                    best = r;
                }
            }
            if (best == Integer.MAX_VALUE) {
                break;
            }
            int a = mergeLeft[best];
            int b = mergeRight[best];
            int z = mergeResult[best];
            int w = 0;
            for (int i = 0; i < n; ) {
                if (i + 1 < n && s[i] == a && s[i + 1] == b) {
                    s[w++] = z;
                    i += 2;
                } else {
                    s[w++] = s[i++];
                }
            }
            n = w;
        }
        int[] ids = Arrays.copyOf(s, n);
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(piece, ids);
        return ids;
    }

    /** The text of {@code ids}; special added tokens and ids outside the vocabulary print nothing. */
    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (id >= 0 && id < decodeBytes.length && decodeBytes[id] != null) {
                out.writeBytes(decodeBytes[id]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
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
        return SPEC;
    }

    /** Writes {@code tokenizer.json} into a model directory. */
    @Override
    public void writeFiles(Path modelDir) throws IOException {
        write(modelDir.resolve(FILE));
    }

    /** Number of merges. */
    public int mergeCount() {
        return mergeLeft.length;
    }

    /** The merges by rank as the file writes them: the two byte-level strings separated by a space. */
    public List<String> merges() {
        List<String> list = new ArrayList<>(mergeLeft.length);
        for (int r = 0; r < mergeLeft.length; r++) {
            list.add(symbols[mergeLeft[r]] + " " + symbols[mergeRight[r]]);
        }
        return list;
    }

    /** The byte-level string of a model-vocabulary id, or null. */
    public String symbol(int id) {
        return id >= 0 && id < symbols.length ? symbols[id] : null;
    }

    public List<AddedToken> addedTokens() {
        return added;
    }

    /** The file's JSON, laid out as the Hugging Face {@code tokenizers} library writes it. */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode addedNode = root.putArray("added_tokens");
        for (AddedToken t : added) {
            ObjectNode o = addedNode.addObject();
            o.put("id", t.id());
            o.put("content", t.content());
            o.put("single_word", false);
            o.put("lstrip", false);
            o.put("rstrip", false);
            o.put("normalized", false);
            o.put("special", t.special());
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", false);
        pre.put("trim_offsets", true);
        pre.put("use_regex", true);
        root.putNull("post_processor");
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel");
        dec.put("add_prefix_space", false);
        dec.put("trim_offsets", true);
        dec.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < symbols.length; id++) {
            if (symbols[id] != null) {
                vocab.put(symbols[id], id);
            }
        }
        ArrayNode mergesNode = model.putArray("merges");
        for (String merge : merges()) {
            mergesNode.add(merge);
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the tokenizer as a Hugging Face {@code tokenizer.json}, atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toJson());
    }

    /** Reads a Hugging Face {@code tokenizer.json} of a byte-level BPE tokenizer. */
    public static BpeTokenizer read(Path file) {
        return parse(TokenizerFile.read(file), file.toString());
    }

    /** Parses the text of a {@code tokenizer.json}; {@code where} names it in errors. */
    public static BpeTokenizer parse(String text, String where) {
        JsonNode root = TokenizerFile.object(text, where);
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) {
            throw new UserError(where + ": missing or non-object field 'model'");
        }
        String type = model.path("type").asText("");
        if (!type.equals("BPE")) {
            throw new UserError(where + ": model.type is '" + type + "'; only byte-level BPE (\"BPE\") is supported");
        }
        JsonNode pre = root.get("pre_tokenizer");
        if (pre != null && !pre.isNull() && !pre.path("type").asText("").equals("ByteLevel")) {
            throw new UserError(where + ": pre_tokenizer.type is '" + pre.path("type").asText("") + "'; only "
                    + "ByteLevel is supported");
        }
        JsonNode normalizer = root.get("normalizer");
        if (normalizer != null && !normalizer.isNull()) {
            throw new UserError(where + ": normalizer is '" + normalizer.path("type").asText("?") + "'; only files "
                    + "without a normalizer (null) are supported");
        }
        Map<String, Integer> vocab = vocab(model, where);
        return new BpeTokenizer(symbols(vocab, where), merges(model, vocab, where), addedTokens(root, where));
    }

    /** model.vocab: token to id, each token of the byte-level alphabet, each id in 0..MAX_ID-1. */
    private static Map<String, Integer> vocab(JsonNode model, String where) {
        JsonNode vocabNode = model.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) {
            throw new UserError(where + ": missing or non-object field 'model.vocab'");
        }
        Map<String, Integer> vocab = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode idNode = e.getValue();
            if (!idNode.canConvertToInt() || idNode.asInt() < 0 || idNode.asInt() >= MAX_ID) {
                throw new UserError(where + ": model.vocab['" + e.getKey() + "'] is " + idNode + "; ids are integers "
                        + "in 0.." + (MAX_ID - 1));
            }
            if (ByteLevel.toBytes(e.getKey()) == null) {
                throw new UserError(where + ": model.vocab token '" + e.getKey() + "' has a character outside the "
                        + "byte-level alphabet (not a byte-level BPE vocabulary)");
            }
            vocab.put(e.getKey(), idNode.asInt());
        }
        return vocab;
    }

    /** The token of each id (null for ids the vocabulary skips); each id once, all 256 byte symbols present. */
    private static String[] symbols(Map<String, Integer> vocab, String where) {
        int maxId = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        String[] symbols = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = e.getValue();
            if (symbols[id] != null) {
                throw new UserError(where + ": model.vocab gives id " + id + " to both '" + symbols[id] + "' and '"
                        + e.getKey() + "'");
            }
            symbols[id] = e.getKey();
        }
        for (int b = 0; b < 256; b++) {
            String s = String.valueOf(ByteLevel.BYTE_TO_CHAR[b]);
            if (!vocab.containsKey(s)) {
                throw new UserError(where + ": model.vocab lacks the byte-level symbol '" + s + "' (byte "
                        + String.format("0x%02x", b) + "); a byte-level BPE vocabulary has all 256");
            }
        }
        return symbols;
    }

    /** model.merges ("a b" or ["a", "b"]) as id pairs, in rank order; a, b and ab must be in the vocabulary. */
    private static int[][] merges(JsonNode model, Map<String, Integer> vocab, String where) {
        JsonNode mergesNode = model.get("merges");
        int mergeCount = mergesNode == null || mergesNode.isNull() ? 0 : mergesNode.size();
        if (mergesNode != null && !mergesNode.isNull() && !mergesNode.isArray()) {
            throw new UserError(where + ": model.merges is not an array");
        }
        int[][] merges = new int[mergeCount][];
        for (int r = 0; r < mergeCount; r++) {
            JsonNode m = mergesNode.get(r);
            String left;
            String right;
            if (m.isTextual()) {
                String[] parts = m.asText().split(" ", -1);
                if (parts.length != 2) {
                    throw new UserError(where + ": model.merges[" + r + "] is '" + m.asText() + "'; expected two "
                            + "tokens separated by one space");
                }
                left = parts[0];
                right = parts[1];
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else {
                throw new UserError(where + ": model.merges[" + r + "] is " + m + "; expected \"a b\" or [\"a\", "
                        + "\"b\"]");
            }
            for (String part : new String[] {left, right}) {
                if (!vocab.containsKey(part)) {
                    throw new UserError(where + ": model.merges[" + r + "] names '" + part + "', which is not in "
                            + "model.vocab");
                }
            }
            if (!vocab.containsKey(left + right)) {
                throw new UserError(where + ": model.merges[" + r + "] makes '" + left + right + "', which is not "
                        + "in model.vocab");
            }
            merges[r] = new int[] {vocab.get(left), vocab.get(right)};
        }
        return merges;
    }

    /** added_tokens: id, non-empty content and whether it is special; none where the field is missing or null. */
    private static List<AddedToken> addedTokens(JsonNode root, String where) {
        List<AddedToken> added = new ArrayList<>();
        JsonNode addedNode = root.get("added_tokens");
        if (addedNode != null && !addedNode.isNull()) {
            if (!addedNode.isArray()) {
                throw new UserError(where + ": added_tokens is not an array");
            }
            for (int i = 0; i < addedNode.size(); i++) {
                JsonNode t = addedNode.get(i);
                JsonNode id = t.get("id");
                JsonNode content = t.get("content");
                if (id == null || !id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= MAX_ID) {
                    throw new UserError(where + ": added_tokens[" + i + "].id is missing or not an id in 0.."
                            + (MAX_ID - 1));
                }
                if (content == null || !content.isTextual() || content.asText().isEmpty()) {
                    throw new UserError(where + ": added_tokens[" + i + "].content is missing or not a non-empty "
                            + "string");
                }
                added.add(new AddedToken(id.asInt(), content.asText(), t.path("special").asBoolean(false)));
            }
        }
        return added;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BpeTokenizer t && Arrays.equals(symbols, t.symbols)
                && Arrays.equals(mergeLeft, t.mergeLeft) && Arrays.equals(mergeRight, t.mergeRight)
                && added.equals(t.added);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(symbols) * 31 + Arrays.hashCode(mergeLeft) * 17 + Arrays.hashCode(mergeRight);
    }

    @Override
    public String toString() {
        return "bpe tokenizer (" + vocabSize + " ids, " + mergeLeft.length + " merges)";
    }
}
