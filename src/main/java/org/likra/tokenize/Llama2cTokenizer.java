package org.likra.tokenize;

import org.likra.util.UserError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * llama2.c's tokenizer ({@code tokenizer.bin}, {@code tok512.bin}): int32 max_token_length, then per token a
 * float32 score, an int32 length and that many bytes. The file does not record the vocabulary size: it is the
 * number of records, read to the end of the file.
 *
 * <p>{@link #encode(String, boolean, boolean)} is run.c's {@code encode}: the dummy-prefix token " " first when
 * the text is non-empty, each UTF-8 code point looked up whole or else its bytes as byte tokens (id = byte + 3),
 * then repeatedly the adjacent pair whose concatenation is a token with the highest score (the leftmost among
 * equals) is merged. Decoding is run.c's {@code decode}: a piece's leading space is dropped after BOS, and
 * {@code <0xHH>} pieces are raw bytes.
 */
public final class Llama2cTokenizer implements Tokenizer {
    public static final String TYPE = "llama2c";
    public static final String FILE = "tokenizer.bin";
    public static final int UNK = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    /** Byte b is token b + BYTE_OFFSET where a code point has no token of its own. */
    public static final int BYTE_OFFSET = 3;
    /** run.c's starting best score: pairs scoring at or below it never merge. */
    private static final float NO_SCORE = -1e10f;

    private final byte[][] pieces;
    private final float[] scores;
    private final int maxTokenLength;
    private final Map<Key, Integer> ids;
    private final byte[][] decoded;
    private final TokenizerSpec spec;

    private Llama2cTokenizer(byte[][] pieces, float[] scores, int maxTokenLength, TokenizerSpec spec) {
        this.pieces = pieces;
        this.scores = scores;
        this.maxTokenLength = maxTokenLength;
        this.spec = spec;
        this.ids = new HashMap<>();
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(new Key(pieces[i]), i);
        }
        this.decoded = new byte[pieces.length][];
        for (int i = 0; i < pieces.length; i++) {
            int b = rawByte(pieces[i]);
            decoded[i] = b >= 0 ? new byte[]{(byte) b} : pieces[i];
        }
    }

    /** Reads a llama2.c tokenizer file; {@code spec} is how a model directory records it. */
    public static Llama2cTokenizer read(Path file, TokenizerSpec spec) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such tokenizer file (docs/data.md: where to get stories260K's)");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read tokenizer: " + e.getMessage(), e);
        }
        return parse(bytes, file.toString(), spec);
    }

    /** Reads a llama2.c tokenizer file, recorded as {@code tokenizer.bin} in a model directory. */
    public static Llama2cTokenizer read(Path file) {
        return read(file, new TokenizerSpec(TYPE, FILE));
    }

    /** Parses the bytes of a tokenizer file; {@code where} names it in errors. */
    public static Llama2cTokenizer parse(byte[] bytes, String where, TokenizerSpec spec) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) {
            throw new UserError(where + ": truncated llama2.c tokenizer (" + bytes.length + " bytes, no header)");
        }
        int maxLen = b.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) {
            throw new UserError(where + ": not a llama2.c tokenizer file: max_token_length = " + maxLen);
        }
        java.util.List<byte[]> pieces = new java.util.ArrayList<>();
        java.util.List<Float> scores = new java.util.ArrayList<>();
        while (b.hasRemaining()) {
            int id = pieces.size();
            if (b.remaining() < 8) {
                throw new UserError(where + ": truncated llama2.c tokenizer: token " + id + " at byte "
                        + b.position() + " has an incomplete score/length record (" + b.remaining() + " bytes left)");
            }
            float score = b.getFloat();
            int len = b.getInt();
            if (Float.isNaN(score)) {
                throw new UserError(where + ": corrupt llama2.c tokenizer: token " + id + " has score NaN");
            }
            if (len < 0 || len > maxLen) {
                throw new UserError(where + ": corrupt llama2.c tokenizer: token " + id + " at byte "
                        + (b.position() - 4) + " has length " + len + " (max_token_length is " + maxLen + ")");
            }
            if (b.remaining() < len) {
                throw new UserError(where + ": truncated llama2.c tokenizer: token " + id + " needs " + len
                        + " bytes, " + b.remaining() + " left");
            }
            byte[] piece = new byte[len];
            b.get(piece);
            pieces.add(piece);
            scores.add(score);
        }
        if (pieces.size() < BYTE_OFFSET + 256) {
            throw new UserError(where + ": llama2.c tokenizer has only " + pieces.size() + " tokens; it needs at "
                    + "least " + (BYTE_OFFSET + 256) + " (<unk>, <s>, </s> and 256 byte tokens); truncated?");
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        return new Llama2cTokenizer(pieces.toArray(new byte[0][]), s, maxLen, spec);
    }

    /** The byte a {@code <0xHH>} piece stands for, or -1. */
    private static int rawByte(byte[] p) {
        if (p.length == 6 && p[0] == '<' && p[1] == '0' && p[2] == 'x' && p[5] == '>') {
            int hi = Character.digit(p[3], 16);
            int lo = Character.digit(p[4], 16);
            if (hi >= 0 && lo >= 0) {
                return hi * 16 + lo;
            }
        }
        return -1;
    }

    public int maxTokenLength() {
        return maxTokenLength;
    }

    /** The raw bytes of token {@code id}'s piece. */
    public byte[] piece(int id) {
        return pieces[id].clone();
    }

    public float score(int id) {
        return scores[id];
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public int bos() {
        return BOS;
    }

    @Override
    public int eos() {
        return EOS;
    }

    @Override
    public TokenizerSpec spec() {
        return spec;
    }

    @Override
    public int[] encode(String text) {
        return encode(text, false, false);
    }

    /** run.c's {@code encode(t, text, bos, eos, ...)}: BOS takes part in the merges, as in run.c. */
    public int[] encode(String text, boolean bos, boolean eos) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[utf8.length + 3];
        int n = 0;
        if (bos) {
            tokens[n++] = BOS;
        }
        if (utf8.length > 0) {
            Integer space = ids.get(new Key(new byte[]{' '}));
            if (space != null) {
                tokens[n++] = space;
            }
        }
        int start = 0;
        for (int i = 0; i < utf8.length; i++) {
            if ((utf8[i] & 0xC0) != 0x80) {
                start = i;
            }
            int len = i - start + 1;
            if (i + 1 < utf8.length && (utf8[i + 1] & 0xC0) == 0x80 && len < 4) {
                continue;
            }
            Integer id = ids.get(new Key(Arrays.copyOfRange(utf8, start, i + 1)));
            if (id != null) {
                tokens[n++] = id;
            } else {
                for (int j = start; j <= i; j++) {
                    int byteId = (utf8[j] & 0xff) + BYTE_OFFSET;
                    tokens[n++] = byteId;
                }
            }
            start = i + 1;
        }
        n = merge(tokens, n);
        int[] out = Arrays.copyOf(tokens, n + (eos ? 1 : 0));
        if (eos) {
            out[n] = EOS;
        }
        return out;
    }

    /**
     * Merges pairs as run.c does (each step the best-scoring pair, the leftmost among equals) but with a heap over
     * a linked list, O(n log n) instead of O(n^2). Positions keep their original index, so "leftmost" is the
     * smallest index.
     */
    private int merge(int[] tokens, int n) {
        if (n < 2) {
            return n;
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        int[] version = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        // entries: {score bits, position, version at push, merged id}
        PriorityQueue<long[]> heap = new PriorityQueue<>((x, y) -> {
            int c = Float.compare(Float.intBitsToFloat((int) y[0]), Float.intBitsToFloat((int) x[0]));
            return c != 0 ? c : Long.compare(x[1], y[1]);
        });
        for (int i = 0; i + 1 < n; i++) {
            push(heap, tokens, i, i + 1, version);
        }
        int count = n;
        while (!heap.isEmpty()) {
            long[] top = heap.poll();
            int i = (int) top[1];
            int j = next[i];
            if (version[i] != top[2] || j < 0 || tokens[i] < 0) {
                continue;
            }
            tokens[i] = (int) top[3];
            tokens[j] = -1;
            int k = next[j];
            next[i] = k;
            if (k >= 0) {
                prev[k] = i;
            }
            version[i]++;
            count--;
            if (prev[i] >= 0) {
                version[prev[i]]++;
                push(heap, tokens, prev[i], i, version);
            }
            if (k >= 0) {
                push(heap, tokens, i, k, version);
            }
        }
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (tokens[i] >= 0) {
                tokens[m++] = tokens[i];
            }
        }
        assert m == count;
        return m;
    }

    private void push(PriorityQueue<long[]> heap, int[] tokens, int i, int j, int[] version) {
        byte[] a = pieces[tokens[i]];
        byte[] b = pieces[tokens[j]];
        byte[] joined = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        Integer id = ids.get(new Key(joined));
        if (id != null && scores[id] > NO_SCORE) {
            heap.add(new long[]{Float.floatToIntBits(scores[id] + 0.0f), i, version[i], id});
        }
    }

    /** run.c's encode merge loop, quadratic; kept to check {@link #merge} against. */
    int[] encodeQuadratic(String text, boolean bos, boolean eos) {
        int[] initial = encodeWithoutMerges(text, bos);
        int[] tokens = initial.clone();
        int n = tokens.length;
        while (true) {
            float best = NO_SCORE;
            int bestId = -1;
            int bestIdx = -1;
            for (int i = 0; i < n - 1; i++) {
                byte[] a = pieces[tokens[i]];
                byte[] b = pieces[tokens[i + 1]];
                byte[] joined = Arrays.copyOf(a, a.length + b.length);
                System.arraycopy(b, 0, joined, a.length, b.length);
                Integer id = ids.get(new Key(joined));
                if (id != null && scores[id] > best) {
                    best = scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx == -1) {
                break;
            }
            tokens[bestIdx] = bestId;
            System.arraycopy(tokens, bestIdx + 2, tokens, bestIdx + 1, n - bestIdx - 2);
            n--;
        }
        int[] out = Arrays.copyOf(tokens, n + (eos ? 1 : 0));
        if (eos) {
            out[n] = EOS;
        }
        return out;
    }

    private int[] encodeWithoutMerges(String text, boolean bos) {
        // the same first phase as encode(), without merging
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[utf8.length + 2];
        int n = 0;
        if (bos) {
            tokens[n++] = BOS;
        }
        if (utf8.length > 0 && ids.containsKey(new Key(new byte[]{' '}))) {
            tokens[n++] = ids.get(new Key(new byte[]{' '}));
        }
        int start = 0;
        for (int i = 0; i < utf8.length; i++) {
            if ((utf8[i] & 0xC0) != 0x80) {
                start = i;
            }
            if (i + 1 < utf8.length && (utf8[i + 1] & 0xC0) == 0x80 && i - start + 1 < 4) {
                continue;
            }
            Integer id = ids.get(new Key(Arrays.copyOfRange(utf8, start, i + 1)));
            if (id != null) {
                tokens[n++] = id;
            } else {
                for (int j = start; j <= i; j++) {
                    tokens[n++] = (utf8[j] & 0xff) + BYTE_OFFSET;
                }
            }
            start = i + 1;
        }
        return Arrays.copyOf(tokens, n);
    }

    /**
     * run.c's {@code decode(prev, token)}: the bytes token {@code token} prints after {@code prev} (a leading
     * space dropped after BOS; {@code <0xHH>} as the raw byte).
     */
    public byte[] decodePiece(int prev, int token) {
        byte[] p = decoded[token];
        if (prev == BOS && p.length > 0 && p[0] == ' ') {
            return Arrays.copyOfRange(p, 1, p.length);
        }
        return p.clone();
    }

    /**
     * The text of {@code ids}: BOS and EOS print nothing; as after BOS, the leading space of the first piece
     * (the dummy prefix) is dropped, so that {@code decode(encode(s))} is {@code s}. Out-of-range ids print
     * nothing.
     */
    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = BOS;
        for (int id : ids) {
            if (id < 0 || id >= pieces.length) {
                continue;
            }
            if (id != BOS && id != EOS) {
                out.writeBytes(decodePiece(prev, id));
            }
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Byte-array map key. */
    private record Key(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }
}
