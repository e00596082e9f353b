package org.likra.tokenize.hf;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The pre-tokenizers of tokenizer.json that the models read here use, each a step from pieces to pieces:
 * <ul>
 *   <li>{@code ByteLevel} (GPT-2, Llama 3, Qwen2): optionally a space before each piece that does not start with one
 *       ({@code add_prefix_space}), optionally GPT-2's split regex ({@code use_regex}), then every UTF-8 byte of the
 *       piece written as its byte-level character ({@link ByteLevelAlphabet});</li>
 *   <li>{@code Split} (Llama 3, Qwen2): split at a pattern's matches with a delimiter behaviour
 *       ({@link Splitting}); {@code invert: true} is refused;</li>
 *   <li>{@code Metaspace} (Llama 2, Mistral): every " " becomes the replacement character (▁); "▁" is prepended to
 *       a piece that does not start with it, always or only to the piece at the start of the text
 *       ({@code prepend_scheme}); with {@code split}, the piece splits before each ▁;</li>
 *   <li>{@code Digits}: digits isolated one by one ({@code individual_digits}) or in runs;</li>
 *   <li>{@code Sequence} of these.</li>
 * </ul>
 */
final class PreTokenizers {
    /** GPT-2's split, which ByteLevel applies when {@code use_regex} is true. */
    static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern DIGIT = Pattern.compile("\\p{N}", Pattern.UNICODE_CHARACTER_CLASS);

    /** One pre-tokenization step. */
    interface Step {
        List<Piece> apply(List<Piece> pieces);
    }

    private PreTokenizers() {
    }

    /** The pre-tokenizer a tokenizer.json node describes; null for a JSON null. */
    static Step parse(JsonNode node, String where, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = JsonFields.type(node, where, path);
        return switch (type) {
            case "Sequence" -> {
                JsonNode list = JsonFields.array(node, "pretokenizers", where, path);
                List<Step> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    Step step = parse(list.get(i), where, path + ".pretokenizers[" + i + "]");
                    if (step != null) {
                        steps.add(step);
                    }
                }
                yield pieces -> {
                    for (Step step : steps) {
                        pieces = step.apply(pieces);
                    }
                    return pieces;
                };
            }
            case "ByteLevel" -> byteLevel(JsonFields.bool(node, "add_prefix_space", true, where, path),
                    JsonFields.bool(node, "use_regex", true, where, path));
            case "Split" -> {
                Pattern pattern = TextPattern.parse(node.get("pattern"), where, path + ".pattern");
                Splitting.Behavior behavior = Splitting.behavior(
                        JsonFields.text(node, "behavior", null, where, path), where, path + ".behavior");
                if (JsonFields.bool(node, "invert", false, where, path)) {
                    throw JsonFields.error(where, path + ".invert", "is true; only invert: false is read here");
                }
                yield splitting(pattern, behavior);
            }
            case "Metaspace" -> metaspace(node, where, path);
            case "Digits" -> splitting(DIGIT, JsonFields.bool(node, "individual_digits", false, where, path)
                    ? Splitting.Behavior.ISOLATED : Splitting.Behavior.CONTIGUOUS);
            default -> throw JsonFields.error(where, path + ".type", "is '" + type + "'; the pre-tokenizers read "
                    + "here are ByteLevel, Split, Metaspace, Digits and Sequence");
        };
    }

    private static Step splitting(Pattern pattern, Splitting.Behavior behavior) {
        return pieces -> {
            List<Piece> out = new ArrayList<>();
            for (Piece p : pieces) {
                Splitting.split(p, pattern, behavior, out);
            }
            return out;
        };
    }

    private static Step byteLevel(boolean addPrefixSpace, boolean useRegex) {
        return pieces -> {
            List<Piece> out = new ArrayList<>();
            for (Piece p : pieces) {
                Piece q = addPrefixSpace && !p.text().startsWith(" ") ? new Piece(" " + p.text(), p.atStart()) : p;
                List<Piece> split = new ArrayList<>();
                if (useRegex) {
                    Splitting.split(q, GPT2_SPLIT, Splitting.Behavior.ISOLATED, split);
                } else {
                    split.add(q);
                }
                for (Piece s : split) {
                    out.add(new Piece(ByteLevelAlphabet.toSymbols(s.text()), s.atStart()));
                }
            }
            return out;
        };
    }

    private static Step metaspace(JsonNode node, String where, String path) {
        int replacement = JsonFields.character(node, "replacement", where, path);
        String rep = Character.toString(replacement);
        boolean addPrefixSpace = JsonFields.bool(node, "add_prefix_space", true, where, path);
        String scheme = JsonFields.text(node, "prepend_scheme", addPrefixSpace ? "always" : "never", where, path);
        if (!scheme.equals("always") && !scheme.equals("first") && !scheme.equals("never")) {
            throw JsonFields.error(where, path + ".prepend_scheme", "is '" + scheme + "'; expected always, first or "
                    + "never");
        }
        boolean split = JsonFields.bool(node, "split", true, where, path);
        Pattern delimiter = Pattern.compile(Pattern.quote(rep));
        return pieces -> {
            List<Piece> out = new ArrayList<>();
            for (Piece p : pieces) {
                String s = p.text().replace(" ", rep);
                boolean prepend = switch (scheme) {
                    case "always" -> true;
                    case "first" -> p.atStart();
                    default -> false;
                };
                if (prepend && !s.startsWith(rep)) {
                    s = rep + s;
                }
                Piece q = new Piece(s, p.atStart());
                if (split) {
                    Splitting.split(q, delimiter, Splitting.Behavior.MERGED_WITH_NEXT, out);
                } else {
                    out.add(q);
                }
            }
            return out;
        };
    }
}
