package org.likra.tokenize.hf;

import com.fasterxml.jackson.databind.JsonNode;
import org.likra.util.UserError;

/**
 * Typed reads of a tokenizer.json's fields; each failure is one line naming the file and the field's path (for
 * example {@code pre_tokenizer.pretokenizers[1].pattern}).
 */
final class JsonFields {
    private JsonFields() {
    }

    static UserError error(String where, String path, String what) {
        return new UserError(where + ": " + path + " " + what);
    }

    /** The object at {@code node.field}; a missing or non-object value is an error. */
    static JsonNode object(JsonNode node, String field, String where, String path) {
        JsonNode value = node.get(field);
        if (value == null || !value.isObject()) {
            throw error(where, path + "." + field, "is missing or not an object");
        }
        return value;
    }

    /** The {@code type} of a component object. */
    static String type(JsonNode node, String where, String path) {
        if (node == null || !node.isObject()) {
            throw error(where, path, "is not an object");
        }
        JsonNode type = node.get("type");
        if (type == null || !type.isTextual()) {
            throw error(where, path + ".type", "is missing or not a string");
        }
        return type.asText();
    }

    static String text(JsonNode node, String field, String fallback, String where, String path) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (fallback == null) {
                throw error(where, path + "." + field, "is missing");
            }
            return fallback;
        }
        if (!value.isTextual()) {
            throw error(where, path + "." + field, "must be a string, got " + value);
        }
        return value.asText();
    }

    static boolean bool(JsonNode node, String field, boolean fallback, String where, String path) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw error(where, path + "." + field, "must be true or false, got " + value);
        }
        return value.asBoolean();
    }

    static int nonNegativeInt(JsonNode node, String field, int fallback, String where, String path) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 0) {
            throw error(where, path + "." + field, "must be a non-negative integer, got " + value);
        }
        return value.asInt();
    }

    /** A single character (one code point) such as Metaspace's replacement. */
    static int character(JsonNode node, String field, String where, String path) {
        String s = text(node, field, null, where, path);
        if (s.codePointCount(0, s.length()) != 1) {
            throw error(where, path + "." + field, "must be one character, got '" + s + "'");
        }
        return s.codePointAt(0);
    }

    /** The array at {@code node.field}. */
    static JsonNode array(JsonNode node, String field, String where, String path) {
        JsonNode value = node.get(field);
        if (value == null || !value.isArray()) {
            throw error(where, path + "." + field, "is missing or not an array");
        }
        return value;
    }
}
