package org.likra.tokenize;

import org.likra.util.UserError;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.regex.Matcher;

/**
 * Byte-level BPE training. The corpus is split into pieces with GPT-2's regex and the distinct pieces are counted;
 * each piece starts as its UTF-8 bytes (ids 0..255 in byte order). Then, until the vocabulary has the requested
 * size or no adjacent pair is left, the most frequent adjacent pair (counted over all positions of all pieces,
 * weighted by piece count) is merged everywhere, left to right; the merge's result gets the next id, unless its
 * string is already a token, whose id it then reuses. Ties go to the smallest (left id, right id), so the result is
 * a function of the corpus and the size alone.
 *
 * <p>Pair counts are updated incrementally: each pair remembers the pieces it occurs in, a merge rewrites only
 * those pieces, and the count changes go into a priority queue whose stale entries are skipped when popped.
 */
public final class BpeTrainer {
    // The distinct pieces as symbol ids, and their counts in the corpus.
    private final int[][] words;
    private final long[] freq;
    // The tokens so far (ids 0..255 the byte symbols), and each token's id.
    private final List<String> symbols = new ArrayList<>();
    private final Map<String, Integer> vocab = new HashMap<>();
    // Each adjacent pair's count, and the pieces it occurs in (a superset: rewritten pieces are not removed).
    private final Map<Long, long[]> counts = new HashMap<>();
    private final Map<Long, IntList> where = new HashMap<>();
    /** Pairs by count, highest first, ties to the smallest (left, right); stale entries are skipped. */
    private final PriorityQueue<Candidate> queue = new PriorityQueue<>((x, y) -> {
        if (x.count != y.count) {
            return Long.compare(y.count, x.count);
        }
        return x.left != y.left ? Integer.compare(x.left, y.left) : Integer.compare(x.right, y.right);
    });
    private final List<int[]> merges = new ArrayList<>();
    /** The merge step that last rewrote each piece (a piece listed twice under a pair is rewritten once). */
    private final int[] visited;
    /** The pair count changes of one merge. */
    private final Map<Long, long[]> delta = new HashMap<>();

    /** A pair's count when it was queued; stale once the pair's count changes. */
    private record Candidate(long count, int left, int right) {
    }

    /** Growable list of piece indices. */
    private static final class IntList {
        int[] items = new int[4];
        int size;

        void add(int v) {
            if (size > 0 && items[size - 1] == v) {
                return;
            }
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size++] = v;
        }
    }

    /** Checks a requested vocabulary size; {@code what} names it in the message. */
    public static void checkVocabSize(int vocabSize, String what) {
        if (vocabSize < BpeTokenizer.MIN_VOCAB || vocabSize > BpeTokenizer.MAX_VOCAB) {
            throw new UserError(what + ": the BPE vocabulary size must be between " + BpeTokenizer.MIN_VOCAB + " and "
                    + BpeTokenizer.MAX_VOCAB + ", got " + vocabSize);
        }
    }

    /** Trains a byte-level BPE tokenizer with at most {@code vocabSize} ids on {@code corpus}. */
    public static BpeTokenizer train(String corpus, int vocabSize) {
        checkVocabSize(vocabSize, "bpe:" + vocabSize);
        BpeTrainer trainer = new BpeTrainer(corpus);
        while (trainer.symbols.size() < vocabSize) {
            Candidate best = trainer.queue.poll();
            if (best == null) {
                break;
            }
            trainer.mergeIfCurrent(best);
        }
        return new BpeTokenizer(trainer.symbols.toArray(new String[0]), trainer.merges.toArray(new int[0][]),
                List.of());
    }

    /** The corpus's distinct pieces as bytes, the 256 byte symbols, and the pieces' adjacent pairs counted. */
    private BpeTrainer(String corpus) {
        Map<String, int[]> pieceCounts = new HashMap<>();
        Matcher m = ByteLevel.SPLIT.matcher(corpus);
        while (m.find()) {
            pieceCounts.computeIfAbsent(m.group(), k -> new int[1])[0]++;
        }
        int n = pieceCounts.size();
        words = new int[n][];
        freq = new long[n];
        int w = 0;
        for (Map.Entry<String, int[]> e : pieceCounts.entrySet()) {
            byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] s = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                s[i] = bytes[i] & 0xff;
            }
            words[w] = s;
            freq[w] = e.getValue()[0];
            w++;
        }
        for (int b = 0; b < 256; b++) {
            String s = String.valueOf(ByteLevel.BYTE_TO_CHAR[b]);
            symbols.add(s);
            vocab.put(s, b);
        }
        for (int i = 0; i < n; i++) {
            int[] s = words[i];
            for (int j = 0; j + 1 < s.length; j++) {
                long key = BpeTokenizer.pairKey(s[j], s[j + 1]);
                counts.computeIfAbsent(key, k -> new long[1])[0] += freq[i];
                where.computeIfAbsent(key, k -> new IntList()).add(i);
            }
        }
        for (Map.Entry<Long, long[]> e : counts.entrySet()) {
            queue.add(new Candidate(e.getValue()[0], (int) (e.getKey() >>> 32), (int) (long) e.getKey()));
        }
        visited = new int[n];
        Arrays.fill(visited, -1);
    }

    /**
     * Merges the queued pair where its count is still the one queued (and positive): the merged token (a new id, or
     * the id of an equal token), the pieces rewritten and the pair counts updated; nothing for a stale entry.
     */
    private void mergeIfCurrent(Candidate best) {
        long bestKey = BpeTokenizer.pairKey(best.left, best.right);
        long[] current = counts.get(bestKey);
        if (current == null || current[0] != best.count || best.count <= 0) {
            return;
        }
        int a = best.left;
        int b = best.right;
        String merged = symbols.get(a) + symbols.get(b);
        Integer existing = vocab.get(merged);
        int z;
        if (existing != null) {
            z = existing;
        } else {
            z = symbols.size();
            symbols.add(merged);
            vocab.put(merged, z);
        }
        int step = merges.size();
        merges.add(new int[] {a, b});
        rewrite(where.remove(bestKey), a, b, z, step);
        applyDelta();
    }

    /**
     * Rewrites the listed pieces with (a, b) merged into z, noting in {@link #delta} the change of every pair count
     * and listing the pieces under the new pairs that hold z.
     */
    private void rewrite(IntList pieces, int a, int b, int z, int step) {
        delta.clear();
        for (int k = 0; pieces != null && k < pieces.size; k++) {
            int p = pieces.items[k];
            if (visited[p] == step) {
                continue;
            }
            visited[p] = step;
            int[] old = words[p];
            int[] now = merge(old, a, b, z);
            if (now == old) {
                continue;
            }
            long f = freq[p];
            for (int j = 0; j + 1 < old.length; j++) {
                delta.computeIfAbsent(BpeTokenizer.pairKey(old[j], old[j + 1]), x -> new long[1])[0] -= f;
            }
            for (int j = 0; j + 1 < now.length; j++) {
                long key = BpeTokenizer.pairKey(now[j], now[j + 1]);
                delta.computeIfAbsent(key, x -> new long[1])[0] += f;
                if (now[j] == z || now[j + 1] == z) {
                    where.computeIfAbsent(key, x -> new IntList()).add(p);
                }
            }
            words[p] = now;
        }
    }

    /** Adds {@link #delta} to the pair counts, queueing each changed pair with its new count. */
    private void applyDelta() {
        for (Map.Entry<Long, long[]> e : delta.entrySet()) {
            long d = e.getValue()[0];
            if (d == 0) {
                continue;
            }
            long[] c = counts.computeIfAbsent(e.getKey(), x -> new long[1]);
            c[0] += d;
            if (c[0] <= 0) {
                counts.remove(e.getKey());
            } else {
                queue.add(new Candidate(c[0], (int) (e.getKey() >>> 32), (int) (long) e.getKey()));
            }
        }
    }

    /** {@code s} with every (a, b) replaced by z, left to right; {@code s} itself when it has no (a, b). */
    private static int[] merge(int[] s, int a, int b, int z) {
        int[] out = null;
        int w = 0;
        for (int i = 0; i < s.length; ) {
            if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                if (out == null) {
                    out = new int[s.length - 1];
                    System.arraycopy(s, 0, out, 0, i);
                    w = i;
                }
                out[w++] = z;
                i += 2;
            } else {
                if (out != null) {
                    out[w++] = s[i];
                }
                i++;
            }
        }
        return out == null ? s : Arrays.copyOf(out, w);
    }
}
