package org.likra.tokenize.hf;

import com.fasterxml.jackson.databind.JsonNode;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The normalizers of tokenizer.json that the models read here use: {@code Sequence}, {@code Prepend} (Llama 2's
 * leading "▁", on non-empty text), {@code Replace} (Llama 2's " " to "▁"), the Unicode forms {@code NFC},
 * {@code NFD}, {@code NFKC}, {@code NFKD} (Qwen2 uses NFC) and {@code Lowercase}. A normalizer maps a piece of
 * text to its normalized text.
 */
final class Normalizers {
    private Normalizers() {
    }

    /** The normalizer a tokenizer.json node describes; null for a JSON null. */
    static UnaryOperator<String> parse(JsonNode node, String where, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = JsonFields.type(node, where, path);
        return switch (type) {
            case "Sequence" -> {
                JsonNode list = JsonFields.array(node, "normalizers", where, path);
                List<UnaryOperator<String>> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    UnaryOperator<String> step = parse(list.get(i), where, path + ".normalizers[" + i + "]");
                    if (step != null) {
                        steps.add(step);
                    }
                }
                yield s -> {
                    for (UnaryOperator<String> step : steps) {
                        s = step.apply(s);
                    }
                    return s;
                };
            }
            case "Prepend" -> {
                String prefix = JsonFields.text(node, "prepend", null, where, path);
                yield s -> s.isEmpty() ? s : prefix + s;
            }
            case "Replace" -> {
                Pattern pattern = TextPattern.parse(node.get("pattern"), where, path + ".pattern");
                String content = Matcher.quoteReplacement(JsonFields.text(node, "content", null, where, path));
                yield s -> pattern.matcher(s).replaceAll(content);
            }
            case "NFC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFC);
            case "NFD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFD);
            case "NFKC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKC);
            case "NFKD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKD);
            case "Lowercase" -> s -> s.toLowerCase(Locale.ROOT);
            default -> throw JsonFields.error(where, path + ".type", "is '" + type + "'; the normalizers read here "
                    + "are Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD and Lowercase");
        };
    }
}
