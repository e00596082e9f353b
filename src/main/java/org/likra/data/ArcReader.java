package org.likra.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the AI2 Reasoning Challenge (ARC) in AI2's JSON Lines schema: one object per line with {@code id},
 * {@code question.stem}, {@code question.choices[{label, text}]} and {@code answerKey}, the label of the correct
 * choice. Malformed lines are rejected with a {@link org.likra.util.UserError} naming file and line.
 * Labels may be letters (A-E) or digits (1-4); other fields are ignored. The subject of each question is
 * the name of the folder holding the file when it starts with {@code ARC} (e.g. {@code ARC-Easy}), else null.
 */
public final class ArcReader {
    private ArcReader() {
    }

    /** Reads one ARC JSONL file. */
    public static List<MultipleChoiceQuestion> read(Path file) {
        return read(file, defaultSubject(file));
    }

    /** Reads one ARC JSONL file, giving every question {@code subject} (may be null). */
    public static List<MultipleChoiceQuestion> read(Path file, String subject) {
        return fromLines(JsonLines.read(file), subject);
    }

    /** Reads ARC JSONL text; {@code source} names it in error messages. */
    public static List<MultipleChoiceQuestion> parse(String text, String source, String subject) {
        return fromLines(JsonLines.read(new java.io.StringReader(text), source), subject);
    }

    private static List<MultipleChoiceQuestion> fromLines(List<JsonLines.Line> lines, String subject) {
        List<MultipleChoiceQuestion> out = new ArrayList<>(lines.size());
        Map<String, Integer> seen = new HashMap<>();
        for (JsonLines.Line line : lines) {
            MultipleChoiceQuestion q = parseLine(line, subject);
            Integer first = seen.putIfAbsent(q.id(), line.number());
            if (first != null) {
                throw line.error("duplicate id \"" + q.id() + "\" (first on line " + first
                        + "); ids must be unique within a file");
            }
            out.add(q);
        }
        return out;
    }

    private static MultipleChoiceQuestion parseLine(JsonLines.Line line, String subject) {
        JsonNode n = line.node();
        String id = line.text(n, "id", "id", true);
        JsonNode question = n.get("question");
        if (question == null || question.isNull()) {
            throw line.error("missing field \"question\"; an ARC line needs question.stem and question.choices");
        }
        if (!question.isObject()) {
            throw line.error("field \"question\" must be an object with stem and choices, not "
                    + JsonLines.describe(question));
        }
        String stem = line.text(question, "stem", "question.stem", false);
        JsonNode choices = question.get("choices");
        if (choices == null || choices.isNull()) {
            throw line.error("missing field \"question.choices\"; give a list of {label, text}");
        }
        if (!choices.isArray()) {
            throw line.error("field \"question.choices\" must be an array, not " + JsonLines.describe(choices));
        }
        if (choices.size() < 2) {
            throw line.error("question.choices has " + choices.size() + " entries; a question needs at least 2");
        }
        List<String> labels = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < choices.size(); i++) {
            JsonNode c = choices.get(i);
            if (!c.isObject()) {
                throw line.error("question.choices[" + i + "] must be an object {label, text}, not "
                        + JsonLines.describe(c));
            }
            String label = line.text(c, "label", "question.choices[" + i + "].label", true);
            if (labels.contains(label)) {
                throw line.error("choice label \"" + label + "\" appears twice; labels must be distinct");
            }
            labels.add(label);
            texts.add(line.text(c, "text", "question.choices[" + i + "].text", true));
        }
        String key = line.text(n, "answerKey", "answerKey", true).strip();
        int answer = labels.indexOf(key);
        if (answer < 0) {
            throw line.error("answer key \"" + key + "\" is not among the choice labels " + labels
                    + "; set answerKey to the label of the correct choice");
        }
        try {
            return new MultipleChoiceQuestion(id, stem, texts, answer, List.of(), subject);
        } catch (IllegalArgumentException e) {
            throw line.error(e.getMessage());
        }
    }

    static String defaultSubject(Path file) {
        Path parent = file.toAbsolutePath().normalize().getParent();
        if (parent != null && parent.getFileName() != null) {
            String name = parent.getFileName().toString();
            if (name.startsWith("ARC")) {
                return name;
            }
        }
        return null;
    }
}
