package org.likra.tokenize.hf;

import com.fasterxml.jackson.databind.JsonNode;
import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * tokenizer.json's {@code BPE} model: a vocabulary (token text to id) and merges by rank.
 *
 * <p>A word (one pre-tokenized piece) becomes one symbol per character: the character's id, or, when it is not in
 * the vocabulary, the ids of {@code <0xXX>} for each of its UTF-8 bytes ({@code byte_fallback}, when all of those
 * are in the vocabulary), else the unknown token ({@code unk_token}; consecutive ones fused into one with
 * {@code fuse_unk}), else nothing. Then, as long as some adjacent pair has a merge, the pair with the lowest rank is
 * merged, the leftmost of equal ranks first, and the pairs it forms with its neighbours become candidates. With
 * {@code ignore_merges} (Llama 3) a word that is itself in the vocabulary is that one token.
 * {@code continuing_subword_prefix}, {@code end_of_word_suffix} and {@code dropout} must be null or empty.
 */
final class BpeModel {
    private static final int CACHE_LIMIT = 1 << 16;

    private final Object2IntOpenHashMap<String> vocab;
    /** The text of each id of the vocabulary, or null. */
    private final String[] tokens;
    /** (left id << 32 | right id) to (rank << 32 | merged id). */
    private final Long2LongOpenHashMap merges = new Long2LongOpenHashMap();
    private final int unk;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    /** The id of {@code <0xXX>} for each byte, or -1. */
    private final int[] byteIds = new int[256];
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private BpeModel(Object2IntOpenHashMap<String> vocab, String[] tokens, int unk, boolean fuseUnk,
                     boolean byteFallback, boolean ignoreMerges) {
        this.vocab = vocab;
        this.tokens = tokens;
        this.unk = unk;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        }
    }

    static BpeModel parse(JsonNode model, String where, int maxId) {
        String path = "model";
        String type = JsonFields.type(model, where, path);
        if (!type.equals("BPE")) {
            throw JsonFields.error(where, "model.type", "is '" + type + "'; only BPE models are read here (not "
                    + "WordPiece, Unigram or WordLevel)");
        }
        for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix", "dropout"}) {
            JsonNode v = model.get(field);
            boolean none = v == null || v.isNull() || (v.isTextual() && v.asText().isEmpty())
                    || (field.equals("dropout") && v.isNumber() && v.asDouble() == 0);
            if (!none) {
                throw JsonFields.error(where, "model." + field, "is " + v + "; only null (or \"\") is read here");
            }
        }
        JsonNode vocabNode = JsonFields.object(model, "vocab", where, path);
        Object2IntOpenHashMap<String> vocab = new Object2IntOpenHashMap<>(vocabNode.size());
        vocab.defaultReturnValue(-1);
        int largest = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode id = e.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0 || id.asInt() > maxId) {
                throw JsonFields.error(where, "model.vocab['" + e.getKey() + "']", "is " + id + "; ids are integers "
                        + "in 0.." + maxId);
            }
            vocab.put(e.getKey(), id.asInt());
            largest = Math.max(largest, id.asInt());
        }
        String[] tokens = new String[largest + 1];
        for (Object2IntOpenHashMap.Entry<String> e : vocab.object2IntEntrySet()) {
            if (tokens[e.getIntValue()] != null) {
                throw JsonFields.error(where, "model.vocab", "gives id " + e.getIntValue() + " to both '"
                        + tokens[e.getIntValue()] + "' and '" + e.getKey() + "'");
            }
            tokens[e.getIntValue()] = e.getKey();
        }
        int unk = -1;
        JsonNode unkNode = model.get("unk_token");
        if (unkNode != null && !unkNode.isNull()) {
            if (!unkNode.isTextual() || !vocab.containsKey(unkNode.asText())) {
                throw JsonFields.error(where, "model.unk_token", "is " + unkNode + ", which is not in model.vocab");
            }
            unk = vocab.getInt(unkNode.asText());
        }
        BpeModel bpe = new BpeModel(vocab, tokens, unk, JsonFields.bool(model, "fuse_unk", false, where, path),
                JsonFields.bool(model, "byte_fallback", false, where, path),
                JsonFields.bool(model, "ignore_merges", false, where, path));
        JsonNode mergesNode = model.get("merges");
        if (mergesNode != null && !mergesNode.isNull()) {
            if (!mergesNode.isArray()) {
                throw JsonFields.error(where, "model.merges", "is not an array");
            }
            for (int r = 0; r < mergesNode.size(); r++) {
                bpe.addMerge(r, mergesNode.get(r), where);
            }
        }
        return bpe;
    }

    private void addMerge(int rank, JsonNode m, String where) {
        String path = "model.merges[" + rank + "]";
        String left;
        String right;
        if (m.isTextual()) {
            String[] parts = m.asText().split(" ", -1);
            if (parts.length != 2) {
                throw JsonFields.error(where, path, "is '" + m.asText() + "'; expected two tokens separated by one "
                        + "space");
            }
            left = parts[0];
            right = parts[1];
        } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
            left = m.get(0).asText();
            right = m.get(1).asText();
        } else {
            throw JsonFields.error(where, path, "is " + m + "; expected \"a b\" or [\"a\", \"b\"]");
        }
        int a = vocab.getInt(left);
        int b = vocab.getInt(right);
        int merged = vocab.getInt(left + right);
        if (a < 0 || b < 0) {
            throw JsonFields.error(where, path, "names '" + (a < 0 ? left : right) + "', which is not in model.vocab");
        }
        if (merged < 0) {
            throw JsonFields.error(where, path, "makes '" + left + right + "', which is not in model.vocab");
        }
        merges.put(pair(a, b), ((long) rank << 32) | merged);
    }

    private static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    /** One more than the largest id of the vocabulary. */
    int size() {
        return tokens.length;
    }

    /** The text of an id of the vocabulary, or null. */
    String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    /** The id of a token text, or -1. */
    int id(String token) {
        return vocab.getInt(token);
    }

    /** The ids of one word. */
    int[] encode(String word) {
        int[] cached = cache.get(word);
        if (cached != null) {
            return cached;
        }
        int[] ids = merge(word);
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(word, ids);
        return ids;
    }

    private int[] merge(String word) {
        if (ignoreMerges) {
            int whole = vocab.getInt(word);
            if (whole >= 0) {
                return new int[] {whole};
            }
        }
        int[] symbols = new int[word.length() * 4];
        int n = 0;
        boolean lastUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int next = i + Character.charCount(cp);
            String c = word.substring(i, next);
            i = next;
            int id = vocab.getInt(c);
            if (id >= 0) {
                symbols[n++] = id;
                lastUnk = false;
                continue;
            }
            if (byteFallback) {
                byte[] bytes = c.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                boolean all = true;
                for (byte b : bytes) {
                    all &= byteIds[b & 0xff] >= 0;
                }
                if (all) {
                    for (byte b : bytes) {
                        symbols[n++] = byteIds[b & 0xff];
                    }
                    lastUnk = false;
                    continue;
                }
            }
            if (unk >= 0) {
                if (!(fuseUnk && lastUnk)) {
                    symbols[n++] = unk;
                }
                lastUnk = true;
            }
        }
        return mergeAll(Arrays.copyOf(symbols, n));
    }

    /**
     * Applies merges to a sequence of ids: a queue of candidate pairs by (rank, position); the best is merged if it
     * is still current (both symbols alive and still that pair), and its new pairs join the queue.
     */
    private int[] mergeAll(int[] ids) {
        int n = ids.length;
        if (n < 2) {
            return ids;
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] alive = new boolean[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            alive[i] = true;
        }
        // entries: rank << 32 | position, smallest first
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, ids, i, i + 1);
        }
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            if (!alive[pos] || next[pos] < 0) {
                continue;
            }
            int right = next[pos];
            long m = merges.getOrDefault(pair(ids[pos], ids[right]), -1L);
            if (m < 0 || (int) (m >>> 32) != rank) {
                continue;
            }
            ids[pos] = (int) m;
            alive[right] = false;
            next[pos] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = pos;
            }
            if (prev[pos] >= 0) {
                offer(queue, ids, prev[pos], pos);
            }
            if (next[pos] >= 0) {
                offer(queue, ids, pos, next[pos]);
            }
        }
        int count = 0;
        for (int i = 0; i >= 0 && i < n; i = next[i]) {
            ids[count++] = ids[i];
        }
        return Arrays.copyOf(ids, count);
    }

    private void offer(PriorityQueue<Long> queue, int[] ids, int left, int right) {
        long m = merges.getOrDefault(pair(ids[left], ids[right]), -1L);
        if (m >= 0) {
            queue.add(((m >>> 32) << 32) | left);
        }
    }
}
