package org.likra.tokenize.hf;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * tokenizer.json's {@code added_tokens}: texts that become one id wherever they occur, before the normalizer and the
 * model see the text. Tokens with {@code normalized: false} (all special tokens of the models read here) are found
 * in the raw text; tokens with {@code normalized: true} in the normalized text (their content normalized too).
 * Matching is leftmost-longest; {@code lstrip} and {@code rstrip} take the whitespace on that side into the match,
 * and a {@code single_word} token matches only where no word character touches it.
 */
final class AddedTokens {
    /** One added token. */
    record Token(int id, String content, boolean special, boolean normalized, boolean lstrip, boolean rstrip,
                 boolean singleWord) {
    }

    /** A piece of text after splitting: either an added token's id, or text for the normalizer and model. */
    record Segment(String text, int id, boolean atStart) {
        boolean isToken() {
            return id >= 0;
        }
    }

    private final List<Token> tokens;
    private final Map<Character, List<Token>> raw = new HashMap<>();
    private final Map<Character, List<Token>> normalizedForms = new HashMap<>();
    private final Map<Token, String> normalizedContent = new HashMap<>();

    private AddedTokens(List<Token> tokens, UnaryOperator<String> normalizer) {
        this.tokens = List.copyOf(tokens);
        for (Token t : tokens) {
            String form = t.normalized() && normalizer != null ? normalizer.apply(t.content()) : t.content();
            normalizedContent.put(t, form);
            if (form.isEmpty()) {
                continue;
            }
            (t.normalized() ? normalizedForms : raw).computeIfAbsent(form.charAt(0), k -> new ArrayList<>()).add(t);
        }
        Comparator<Token> longestFirst = Comparator.comparingInt(t -> -normalizedContent.get(t).length());
        raw.values().forEach(l -> l.sort(longestFirst));
        normalizedForms.values().forEach(l -> l.sort(longestFirst));
    }

    static AddedTokens parse(JsonNode node, String where, int maxId, UnaryOperator<String> normalizer) {
        List<Token> tokens = new ArrayList<>();
        if (node != null && !node.isNull()) {
            if (!node.isArray()) {
                throw JsonFields.error(where, "added_tokens", "is not an array");
            }
            for (int i = 0; i < node.size(); i++) {
                JsonNode t = node.get(i);
                String path = "added_tokens[" + i + "]";
                if (!t.isObject()) {
                    throw JsonFields.error(where, path, "is not an object");
                }
                JsonNode id = t.get("id");
                if (id == null || !id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0
                        || id.asInt() > maxId) {
                    throw JsonFields.error(where, path + ".id", "is missing or not an id in 0.." + maxId);
                }
                String content = JsonFields.text(t, "content", null, where, path);
                if (content.isEmpty()) {
                    throw JsonFields.error(where, path + ".content", "is empty");
                }
                boolean special = JsonFields.bool(t, "special", false, where, path);
                tokens.add(new Token(id.asInt(), content, special,
                        JsonFields.bool(t, "normalized", !special, where, path),
                        JsonFields.bool(t, "lstrip", false, where, path),
                        JsonFields.bool(t, "rstrip", false, where, path),
                        JsonFields.bool(t, "single_word", false, where, path)));
            }
        }
        return new AddedTokens(tokens, normalizer);
    }

    List<Token> all() {
        return tokens;
    }

    /** Splits raw text at the tokens with {@code normalized: false}. */
    List<Segment> splitRaw(String text, boolean atStart) {
        return split(text, raw, atStart);
    }

    /** Splits normalized text at the tokens with {@code normalized: true}. */
    List<Segment> splitNormalized(String text, boolean atStart) {
        return split(text, normalizedForms, atStart);
    }

    private List<Segment> split(String s, Map<Character, List<Token>> byFirst, boolean atStart) {
        List<Segment> out = new ArrayList<>();
        if (byFirst.isEmpty()) {
            out.add(new Segment(s, -1, atStart));
            return out;
        }
        int emitted = 0;
        int i = 0;
        while (i < s.length()) {
            Token found = null;
            List<Token> candidates = byFirst.get(s.charAt(i));
            if (candidates != null) {
                for (Token t : candidates) {
                    String form = normalizedContent.get(t);
                    if (s.startsWith(form, i) && (!t.singleWord() || singleWord(s, i, i + form.length()))) {
                        found = t;
                        break;
                    }
                }
            }
            if (found == null) {
                i++;
                continue;
            }
            int start = i;
            int stop = i + normalizedContent.get(found).length();
            if (found.lstrip()) {
                while (start > emitted && Character.isWhitespace(s.charAt(start - 1))) {
                    start--;
                }
            }
            if (found.rstrip()) {
                while (stop < s.length() && Character.isWhitespace(s.charAt(stop))) {
                    stop++;
                }
            }
            if (start > emitted) {
                out.add(new Segment(s.substring(emitted, start), -1, atStart && emitted == 0));
            }
            out.add(new Segment(s.substring(start, stop), found.id(), false));
            emitted = stop;
            i = stop;
        }
        if (emitted < s.length()) {
            out.add(new Segment(s.substring(emitted), -1, atStart && emitted == 0));
        }
        return out;
    }

    private static boolean singleWord(String s, int start, int stop) {
        boolean before = start == 0 || !isWordCharacter(s.codePointBefore(start));
        boolean after = stop == s.length() || !isWordCharacter(s.codePointAt(stop));
        return before && after;
    }

    private static boolean isWordCharacter(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_';
    }
}
