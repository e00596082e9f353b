package org.likra.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import org.likra.util.UserError;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reading JSON Lines files: one JSON object per line, blank lines skipped, errors naming file and line. */
final class JsonLines {
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** A parsed line and where it came from. */
    record Line(JsonNode node, String source, int number) {
        UserError error(String what) {
            return new UserError(source + ":" + number + ": " + what);
        }

        /** A required string (numbers are accepted and turned into text when {@code numbersOk}). */
        String text(JsonNode parent, String field, String path, boolean numbersOk) {
            JsonNode v = parent.get(field);
            if (v == null || v.isNull()) {
                throw error("missing field \"" + path + "\"; every line needs it");
            }
            if (v.isTextual() || (numbersOk && v.isIntegralNumber())) {
                return v.asText();
            }
            throw error("field \"" + path + "\" must be a string, not " + describe(v));
        }
    }

    private JsonLines() {
    }

    /** Parses every non-blank line of a UTF-8 file into a JSON object. */
    static List<Line> read(Path file) {
        try (BufferedReader r = Files.newBufferedReader(file)) {
            return read(r, file.toString());
        } catch (UserError e) {
            throw e.getCause() instanceof CharacterCodingException ? notUtf8(file) : e;
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static List<Line> read(Reader reader, String source) {
        BufferedReader r = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
        List<Line> out = new ArrayList<>();
        int number = 0;
        try {
            for (String s = r.readLine(); s != null; s = r.readLine()) {
                number++;
                if (number == 1 && s.startsWith("\uFEFF")) {
                    s = s.substring(1);
                }
                if (s.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(s);
                } catch (JsonProcessingException e) {
                    throw new UserError(source + ":" + number + ": malformed JSON: "
                            + oneLine(e.getOriginalMessage()) + "; each line must be one complete JSON object");
                }
                if (node == null || !node.isObject()) {
                    throw new UserError(source + ":" + number + ": expected a JSON object on this line, found "
                            + (node == null ? "nothing" : describe(node)));
                }
                out.add(new Line(node, source, number));
            }
        } catch (CharacterCodingException e) {
            // the decoder reads ahead, so this line number is approximate; read(Path) finds the exact one
            throw new UserError(source + ":" + (number + 1) + ": not valid UTF-8 text; save the file as UTF-8", e);
        } catch (IOException e) {
            throw new UserError("cannot read " + source + " near line " + number + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The error for a file that is not UTF-8, naming the first line with an invalid byte sequence. */
    static UserError notUtf8(Path file) {
        int line = 1;
        try {
            byte[] bytes = Files.readAllBytes(file);
            int start = 0;
            for (int i = 0; i <= bytes.length; i++) {
                if (i == bytes.length || bytes[i] == '\n') {
                    try {
                        StandardCharsets.UTF_8.newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT)
                                .decode(ByteBuffer.wrap(bytes, start, i - start));
                    } catch (CharacterCodingException e) {
                        break;
                    }
                    line++;
                    start = i + 1;
                }
            }
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage(), e);
        }
        return new UserError(file + ":" + line + ": not valid UTF-8 text; save the file as UTF-8");
    }

    static String describe(JsonNode v) {
        JsonNodeType t = v.getNodeType();
        return switch (t) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> t.name().toLowerCase();
        };
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
