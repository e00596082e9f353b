package org.likra.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads questions in likra's own JSON Lines schema, one object per line:
 * <pre>{"id": "q1", "question": "Where does Tomar live?", "choices": ["Velis", "Oran", "red", "Kamo"],
 *  "answer": 0, "tags": ["correct", "near-miss", "far", "near-miss"], "subject": "lives_in"}</pre>
 * {@code id}, {@code question} (not empty), {@code choices} (at least two different, non-empty strings) and
 * {@code answer} (a 0-based index into choices) are required; {@code tags} (empty or one string per choice) and {@code subject} (string or null) are
 * optional. Blank lines are skipped; unknown fields, duplicate ids and malformed lines are rejected with file and line.
 * {@link JsonlQuestionWriter} writes this schema.
 */
public final class JsonlQuestionReader {
    static final Set<String> FIELDS = Set.of("id", "question", "choices", "answer", "tags", "subject");

    private JsonlQuestionReader() {
    }

    /** Reads one JSONL file. */
    public static List<MultipleChoiceQuestion> read(Path file) {
        return fromLines(JsonLines.read(file));
    }

    /** Reads JSONL text; {@code source} names it in error messages. */
    public static List<MultipleChoiceQuestion> parse(String text, String source) {
        return fromLines(JsonLines.read(new StringReader(text), source));
    }

    private static List<MultipleChoiceQuestion> fromLines(List<JsonLines.Line> lines) {
        List<MultipleChoiceQuestion> out = new ArrayList<>(lines.size());
        Map<String, Integer> seen = new HashMap<>();
        for (JsonLines.Line line : lines) {
            MultipleChoiceQuestion q = parseLine(line);
            Integer first = seen.putIfAbsent(q.id(), line.number());
            if (first != null) {
                throw line.error("duplicate id \"" + q.id() + "\" (first on line " + first
                        + "); ids must be unique within a file");
            }
            out.add(q);
        }
        return out;
    }

    private static MultipleChoiceQuestion parseLine(JsonLines.Line line) {
        JsonNode n = line.node();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw line.error("unknown field \"" + f
                        + "\"; known fields are id, question, choices, answer, tags, subject");
            }
        }
        String id = line.text(n, "id", "id", true);
        if (id.isBlank()) {
            throw line.error("field \"id\" is blank; give every question a non-empty id");
        }
        String question = line.text(n, "question", "question", false);
        if (question.isBlank()) {
            throw line.error("field \"question\" is empty; give the question text");
        }
        List<String> choices = choices(line, n);
        int answer = answer(line, n, choices.size());
        List<String> tags = strings(line, n, "tags", false);
        if (!tags.isEmpty() && tags.size() != choices.size()) {
            throw line.error("\"tags\" has " + tags.size() + " entries for " + choices.size()
                    + " choices; give one tag per choice or leave tags empty");
        }
        JsonNode s = n.get("subject");
        String subject = null;
        if (s != null && !s.isNull()) {
            if (!s.isTextual()) {
                throw line.error("field \"subject\" must be a string or null, not " + JsonLines.describe(s));
            }
            subject = s.asText();
        }
        try {
            return new MultipleChoiceQuestion(id, question, choices, answer, tags, subject);
        } catch (IllegalArgumentException e) {
            throw line.error(e.getMessage());
        }
    }

    /** The field "choices": at least two, each non-blank and different from the others. */
    private static List<String> choices(JsonLines.Line line, JsonNode n) {
        List<String> choices = strings(line, n, "choices", true);
        if (choices.size() < 2) {
            throw line.error("\"choices\" has " + choices.size() + " entries; a question needs at least 2");
        }
        for (int i = 0; i < choices.size(); i++) {
            if (choices.get(i).isBlank()) {
                throw line.error("choices[" + i + "] is empty; every choice needs text (an empty answer would "
                        + "always score highest)");
            }
            int first = choices.indexOf(choices.get(i));
            if (first < i) {
                throw line.error("choices[" + i + "] repeats choices[" + first + "] (\"" + choices.get(i)
                        + "\"); identical choices get identical scores, so make every choice different");
            }
        }
        return choices;
    }

    /** The field "answer": the 0-based index of the correct one of {@code choiceCount} choices. */
    private static int answer(JsonLines.Line line, JsonNode n, int choiceCount) {
        JsonNode a = n.get("answer");
        if (a == null || a.isNull()) {
            throw line.error("missing field \"answer\"; give the 0-based index of the correct choice");
        }
        if (!a.isIntegralNumber() || !a.canConvertToInt()) {
            throw line.error("field \"answer\" must be a whole number (the 0-based index of the correct choice), not "
                    + (a.isTextual() ? "the string \"" + a.asText() + "\"" : JsonLines.describe(a)));
        }
        int answer = a.intValue();
        if (answer < 0 || answer >= choiceCount) {
            throw line.error("answer index " + answer + " is out of range 0.." + (choiceCount - 1)
                    + " for " + choiceCount + " choices; answers are 0-based");
        }
        return answer;
    }

    private static List<String> strings(JsonLines.Line line, JsonNode n, String field, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw line.error("missing field \"" + field + "\"; give a list of strings");
            }
            return List.of();
        }
        if (!v.isArray()) {
            throw line.error("field \"" + field + "\" must be an array of strings, not " + JsonLines.describe(v));
        }
        List<String> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual()) {
                throw line.error(field + "[" + i + "] must be a string, not " + JsonLines.describe(e));
            }
            out.add(e.asText());
        }
        return out;
    }
}
