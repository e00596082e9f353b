package org.likra.tokenize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Each of our tokenizers written as a Hugging Face {@code tokenizer.json} that encodes the same text to the same ids
 * (read back by {@code org.likra.tokenize.hf.HfTokenizer}, and by the {@code tokenizers} library):
 * <ul>
 *   <li>a tokenizer.json that was read (spec type {@code hf}): unchanged;</li>
 *   <li>our byte-level BPE: its own file, plus a post-processor that puts its BOS ({@code <|endoftext|>}) first, as
 *       this project's prompts have it;</li>
 *   <li>the byte tokenizer: a byte-level BPE whose 256 symbols are ids 0..255 in byte order, without merges;</li>
 *   <li>llama2.c's tokenizer: a SentencePiece-style BPE (Llama 2's legacy form): "▁" prepended and for spaces,
 *       {@code <0xHH>} byte fallback, and as merges every split of a token into two tokens, ranked by the merged
 *       token's score (highest first), which is run.c's rule of merging the pair whose concatenation scores
 *       highest (the same ids wherever no two overlapping pairs make tokens of equal score, as in SentencePiece
 *       vocabularies, whose scores differ); ids 0, 1, 2 become {@code <unk>}, {@code <s>}, {@code </s>}.</li>
 * </ul>
 * jtokkit's GPT-2 tokenizer has no such form here.
 */
public final class TokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String SPACE = "\u2581";

    private TokenizerJson() {
    }

    /** The tokenizer.json text of {@code tokenizer}, or null where there is none. */
    public static String of(Tokenizer tokenizer) {
        if (readFromTokenizerJson(tokenizer)) {
            return null;
        }
        try {
            if (tokenizer instanceof BpeTokenizer bpe) {
                ObjectNode root = (ObjectNode) JSON.readTree(bpe.toJson());
                if (bpe.bos() >= 0) {
                    root.set("post_processor", template(bpe.addedTokens().stream()
                            .filter(t -> t.id() == bpe.bos()).findFirst().orElseThrow().content(), bpe.bos()));
                }
                return JSON.writeValueAsString(root) + "\n";
            }
            if (tokenizer instanceof ByteTokenizer) {
                return bytes();
            }
            if (tokenizer instanceof Llama2cTokenizer llama2c) {
                return llama2c(llama2c);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return null;
    }

    /** Whether {@code tokenizer} was read from a tokenizer.json, which its {@code writeFiles} writes unchanged. */
    private static boolean readFromTokenizerJson(Tokenizer tokenizer) {
        return tokenizer.spec().type().equals(TokenizerSpec.HF.type());
    }

    /** Writes the tokenizer.json of {@code tokenizer} into {@code dir}; false where it has none. */
    public static boolean write(Tokenizer tokenizer, java.nio.file.Path dir) throws IOException {
        if (readFromTokenizerJson(tokenizer)) {
            tokenizer.writeFiles(dir);
            return true;
        }
        String json = of(tokenizer);
        if (json == null) {
            return false;
        }
        org.likra.util.AtomicFiles.writeString(dir.resolve(TokenizerSpec.HF_FILE), json);
        return true;
    }

    private static ObjectNode template(String bos, int id) {
        ObjectNode p = JSON.createObjectNode();
        p.put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = p.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode special = p.putObject("special_tokens").putObject(bos);
        special.put("id", bos);
        special.putArray("ids").add(id);
        special.putArray("tokens").add(bos);
        return p;
    }

    private static ObjectNode skeleton() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        return root;
    }

    private static ObjectNode bpeModel(ObjectNode root, String unk, boolean byteFallback) {
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        if (unk == null) {
            model.putNull("unk_token");
        } else {
            model.put("unk_token", unk);
        }
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", byteFallback);
        model.put("byte_fallback", byteFallback);
        model.put("ignore_merges", false);
        return model;
    }

    private static String bytes() throws IOException {
        ObjectNode root = skeleton();
        root.putArray("added_tokens");
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        root.putNull("post_processor");
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = bpeModel(root, null, false);
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]), b);
        }
        model.putArray("merges");
        return JSON.writeValueAsString(root) + "\n";
    }

    private static String llama2c(Llama2cTokenizer t) throws IOException {
        int n = t.vocabSize();
        Map<String, Integer> ids = new HashMap<>();
        String[] pieces = llama2cPieces(t, ids);
        // ids 0, 1, 2 are <unk>, <s> and </s> (llama2.c's export writes "\n<s>\n" and "\n</s>\n")
        String[] special = {"<unk>", "<s>", "</s>"};
        for (int id = 0; id < 3; id++) {
            if (pieces[id] != null) {
                ids.remove(pieces[id]);
            }
            pieces[id] = special[id];
            ids.put(special[id], id);
        }
        ObjectNode root = skeleton();
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < 3; id++) {
            ObjectNode a = added.addObject();
            a.put("id", id).put("content", special[id]).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        sentencePieceSteps(root, special[Llama2cTokenizer.BOS]);
        ObjectNode model = bpeModel(root, special[0], true);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < n; id++) {
            if (pieces[id] != null) {
                vocab.put(pieces[id], id);
            }
        }
        ArrayNode mergeList = model.putArray("merges");
        for (int[] m : llama2cMerges(t, pieces, ids)) {
            mergeList.addArray().add(pieces[m[0]]).add(pieces[m[1]]);
        }
        return JSON.writeValueAsString(root) + "\n";
    }

    /**
     * Each id's piece as text with spaces as "▁", null where it is not UTF-8, empty, or the text of an earlier id;
     * {@code ids} gets the id of each piece kept.
     */
    private static String[] llama2cPieces(Llama2cTokenizer t, Map<String, Integer> ids) {
        int n = t.vocabSize();
        String[] pieces = new String[n];
        for (int id = 0; id < n; id++) {
            String s;
            try {
                s = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(t.piece(id))).toString();
            } catch (CharacterCodingException e) {
                continue;
            }
            s = s.replace(" ", SPACE);
            if (!s.isEmpty() && ids.putIfAbsent(s, id) == null) {
                pieces[id] = s;
            }
        }
        return pieces;
    }

    /**
     * SentencePiece's steps around the model: "▁" prepended and for spaces, no pre-tokenizer, {@code bos} first, and
     * decoding back ("▁" to space, byte fallback, fuse, the leading space stripped).
     */
    private static void sentencePieceSteps(ObjectNode root, String bos) {
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "Sequence");
        ArrayNode steps = normalizer.putArray("normalizers");
        steps.addObject().put("type", "Prepend").put("prepend", SPACE);
        ObjectNode replace = steps.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", SPACE);
        root.putNull("pre_tokenizer");
        root.set("post_processor", template(bos, Llama2cTokenizer.BOS));
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "Sequence");
        ArrayNode decoders = decoder.putArray("decoders");
        ObjectNode toSpace = decoders.addObject().put("type", "Replace");
        toSpace.putObject("pattern").put("String", SPACE);
        toSpace.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
    }

    /**
     * Every split of a token into two tokens, as (left, right, merged) ids, highest merged score first: run.c merges
     * the pair whose concatenation scores highest.
     */
    private static List<int[]> llama2cMerges(Llama2cTokenizer t, String[] pieces, Map<String, Integer> ids) {
        int n = t.vocabSize();
        List<int[]> merges = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            String s = pieces[id];
            if (s == null || id < 3 || t.score(id) <= -1e10f) {
                continue;
            }
            for (int k = s.offsetByCodePoints(0, 1); k < s.length(); k = s.offsetByCodePoints(k, 1)) {
                Integer left = ids.get(s.substring(0, k));
                Integer right = ids.get(s.substring(k));
                if (left != null && right != null && left >= 3 && right >= 3) {
                    merges.add(new int[] {left, right, id});
                }
            }
        }
        merges.sort(Comparator.<int[]>comparingDouble(m -> -t.score(m[2])).thenComparingInt(m -> m[2])
                .thenComparingInt(m -> m[0]));
        return merges;
    }
}
