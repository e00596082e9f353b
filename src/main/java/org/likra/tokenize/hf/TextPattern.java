package org.likra.tokenize.hf;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A tokenizer.json pattern: {@code {"String": "..."}} (literal text) or {@code {"Regex": "..."}}. Regexes are
 * written for Oniguruma; they compile as Java regexes with Unicode character classes ({@code \s}, {@code \p{L}},
 * {@code (?i:...)} and lookaheads mean the same in both), which covers the patterns of GPT-2, Llama 3 and Qwen2.
 */
final class TextPattern {
    private TextPattern() {
    }

    static Pattern parse(JsonNode node, String where, String path) {
        if (node == null || !node.isObject() || node.size() != 1) {
            throw JsonFields.error(where, path, "must be {\"String\": ...} or {\"Regex\": ...}, got " + node);
        }
        if (node.has("String") && node.get("String").isTextual()) {
            return Pattern.compile(Pattern.quote(node.get("String").asText()));
        }
        if (node.has("Regex") && node.get("Regex").isTextual()) {
            try {
                return Pattern.compile(node.get("Regex").asText(), Pattern.UNICODE_CHARACTER_CLASS);
            } catch (PatternSyntaxException e) {
                throw JsonFields.error(where, path + ".Regex", "is not a regex this reader can compile: "
                        + e.getDescription());
            }
        }
        throw JsonFields.error(where, path, "must be {\"String\": ...} or {\"Regex\": ...}, got " + node);
    }
}
