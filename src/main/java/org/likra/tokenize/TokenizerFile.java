package org.likra.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading a tokenizer.json: its text, and its top-level JSON object; each problem is one line naming the file. */
public final class TokenizerFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerFile() {
    }

    /** The text of {@code file}. */
    public static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such tokenizer file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read tokenizer: " + e.getMessage(), e);
        }
    }

    /** The JSON object of a tokenizer.json's {@code text}; {@code where} names it in errors. */
    public static JsonNode object(String text, String where) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new UserError(where + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new UserError(where + ": not a JSON object (expected a Hugging Face tokenizer.json)");
        }
        return root;
    }
}
