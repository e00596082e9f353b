package org.likra.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TruthfulQA's multiple-choice set as JSON Lines, one question per line as the {@code datasets} library writes the
 * {@code truthful_qa} / {@code multiple_choice} split: {@code {"question": ..., "mc1_targets": {"choices": [...],
 * "labels": [1, 0, ...]}, "mc2_targets": {"choices": [...], "labels": [1, 1, 0, ...]}}} (the original repository's
 * form, targets as {@code {answer text: 1 or 0}}, is read too). Questions have 2 to 13 or more choices, and long
 * answers.
 *
 * <p>Each line becomes one question over the union of both target lists (the MC2 choices, then any MC1 choice not
 * among them): its {@code answer} is MC1's single true choice, every other true choice is tagged
 * {@link MultipleChoiceQuestion#TAG_CORRECT} and every false one {@link MultipleChoiceQuestion#TAG_MISCONCEPTION}
 * (TruthfulQA's false answers are common misconceptions). So acc is MC1 (the answer scores above every false
 * choice, other true choices aside) and MC2 is the probability mass of the true choices. A line with only
 * {@code mc2_targets} takes its first true choice as the answer. Ids are {@code tqa-<line>} unless the line has an
 * {@code id}.
 */
public final class TruthfulQaReader {
    private TruthfulQaReader() {
    }

    public static List<MultipleChoiceQuestion> read(Path file) {
        return fromLines(JsonLines.read(file));
    }

    public static List<MultipleChoiceQuestion> parse(String text, String source) {
        return fromLines(JsonLines.read(new StringReader(text), source));
    }

    private static List<MultipleChoiceQuestion> fromLines(List<JsonLines.Line> lines) {
        List<MultipleChoiceQuestion> out = new ArrayList<>(lines.size());
        for (JsonLines.Line line : lines) {
            out.add(parseLine(line));
        }
        return out;
    }

    private static MultipleChoiceQuestion parseLine(JsonLines.Line line) {
        JsonNode n = line.node();
        String question = line.text(n, "question", "question", false);
        String id = n.hasNonNull("id") ? line.text(n, "id", "id", true) : "tqa-" + line.number();
        Map<String, Boolean> mc1 = targets(line, n, "mc1_targets");
        Map<String, Boolean> mc2 = targets(line, n, "mc2_targets");
        if (mc1 == null && mc2 == null) {
            throw line.error("missing field \"mc1_targets\" or \"mc2_targets\"; a TruthfulQA line needs one");
        }
        Map<String, Boolean> all = new LinkedHashMap<>();
        if (mc2 != null) {
            all.putAll(mc2);
        }
        if (mc1 != null) {
            for (Map.Entry<String, Boolean> e : mc1.entrySet()) {
                Boolean before = all.putIfAbsent(e.getKey(), e.getValue());
                if (before != null && before != e.getValue()) {
                    throw line.error("the choice \"" + JsonLines.oneLine(e.getKey()) + "\" is labelled "
                            + (e.getValue() ? 1 : 0) + " in mc1_targets but " + (before ? 1 : 0) + " in mc2_targets");
                }
            }
        }
        List<String> choices = new ArrayList<>(all.keySet());
        String best = null;
        Map<String, Boolean> answerSource = mc1 != null ? mc1 : mc2;
        int trueCount = 0;
        for (Map.Entry<String, Boolean> e : answerSource.entrySet()) {
            if (e.getValue()) {
                best = best == null ? e.getKey() : best;
                trueCount++;
            }
        }
        if (best == null) {
            throw line.error((mc1 != null ? "mc1_targets" : "mc2_targets") + " has no choice labelled 1");
        }
        if (mc1 != null && trueCount != 1) {
            throw line.error("mc1_targets has " + trueCount + " choices labelled 1; MC1 has exactly one");
        }
        if (!all.containsValue(false)) {
            throw line.error("no choice is labelled 0; a question needs a false choice");
        }
        List<String> tags = new ArrayList<>(choices.size());
        for (String c : choices) {
            tags.add(all.get(c) ? MultipleChoiceQuestion.TAG_CORRECT : MultipleChoiceQuestion.TAG_MISCONCEPTION);
        }
        try {
            return new MultipleChoiceQuestion(id, question, choices, choices.indexOf(best), tags, "truthfulqa");
        } catch (IllegalArgumentException e) {
            throw line.error(e.getMessage());
        }
    }

    /** A target list as choice text to label (true for 1), in order; null when the field is absent. */
    private static Map<String, Boolean> targets(JsonLines.Line line, JsonNode n, String field) {
        JsonNode t = n.get(field);
        if (t == null || t.isNull()) {
            return null;
        }
        if (!t.isObject()) {
            throw line.error("field \"" + field + "\" must be an object, not " + JsonLines.describe(t));
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        if (t.has("choices") || t.has("labels")) {
            JsonNode choices = t.get("choices");
            JsonNode labels = t.get("labels");
            if (choices == null || !choices.isArray() || labels == null || !labels.isArray()
                    || choices.size() != labels.size()) {
                throw line.error("field \"" + field + "\" needs \"choices\" and \"labels\" arrays of one length");
            }
            for (int i = 0; i < choices.size(); i++) {
                put(line, field + ".choices[" + i + "]", choices.get(i), labels.get(i), out);
            }
        } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = t.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                put(line, field + "[\"" + JsonLines.oneLine(e.getKey()) + "\"]",
                        com.fasterxml.jackson.databind.node.TextNode.valueOf(e.getKey()), e.getValue(), out);
            }
        }
        if (out.size() < 2) {
            throw line.error("field \"" + field + "\" has " + out.size() + " choice(s); a question needs at least 2");
        }
        return out;
    }

    private static void put(JsonLines.Line line, String path, JsonNode choice, JsonNode label,
                            Map<String, Boolean> out) {
        if (choice == null || !choice.isTextual()) {
            throw line.error("\"" + path + "\" must be a string");
        }
        if (label == null || !label.isIntegralNumber() || (label.asInt() != 0 && label.asInt() != 1)) {
            throw line.error("the label of \"" + path + "\" must be 0 or 1, not " + label);
        }
        if (out.put(choice.asText(), label.asInt() == 1) != null) {
            throw line.error("\"" + path + "\" repeats an earlier choice of the same list");
        }
    }
}
