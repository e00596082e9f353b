package org.likra.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.util.UserError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;

/**
 * Writes questions in the schema {@link JsonlQuestionReader} reads: one compact JSON object per line with the
 * keys in the order id, question, choices, answer, tags, subject ({@code subject} left out when null), UTF-8,
 * LF line ends.
 */
public final class JsonlQuestionWriter {
    private JsonlQuestionWriter() {
    }

    /** Writes {@code questions} to {@code file}, replacing it; creates missing parent folders. */
    public static void write(Path file, Collection<MultipleChoiceQuestion> questions) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (Writer w = Files.newBufferedWriter(file)) {
                write(w, questions);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new UserError("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code questions} as JSON Lines to {@code out} (not closed). */
    public static void write(Writer out, Collection<MultipleChoiceQuestion> questions) throws IOException {
        for (MultipleChoiceQuestion q : questions) {
            out.write(toLine(q));
            out.write('\n');
        }
    }

    /** One question as a single line of JSON, without the line end. */
    public static String toLine(MultipleChoiceQuestion q) {
        ObjectNode o = JsonLines.JSON.createObjectNode();
        o.put("id", q.id());
        o.put("question", q.question());
        ArrayNode choices = o.putArray("choices");
        q.choices().forEach(choices::add);
        o.put("answer", q.answer());
        ArrayNode tags = o.putArray("tags");
        q.tags().forEach(tags::add);
        if (q.subject() != null) {
            o.put("subject", q.subject());
        }
        try {
            return JsonLines.JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise question " + q.id(), e);
        }
    }
}
