package org.likra.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ArcReaderTest {
    static final String LETTERS = "{\"id\": \"Q1\", \"question\": {\"stem\": \"Which is a gas?\", \"choices\": ["
            + "{\"text\": \"ice\", \"label\": \"A\"}, {\"text\": \"steam\", \"label\": \"B\"}, "
            + "{\"text\": \"rock\", \"label\": \"C\"}]}, \"answerKey\": \"B\"}";
    static final String DIGITS = "{\"id\": \"Q2\", \"question\": {\"stem\": \"Two?\", \"choices\": ["
            + "{\"text\": \"one\", \"label\": \"1\"}, {\"text\": \"two\", \"label\": \"2\"}, "
            + "{\"text\": \"three\", \"label\": \"3\"}, {\"text\": \"four\", \"label\": \"4\"}]}, \"answerKey\": \"2\"}";

    @Test
    void readsLetterAndDigitLabels(@TempDir Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("ARC-Easy"));
        Path f = folder.resolve("train.jsonl");
        Files.writeString(f, LETTERS + "\n\n" + DIGITS + "\n");
        List<MultipleChoiceQuestion> qs = ArcReader.read(f);
        assertEquals(2, qs.size());
        MultipleChoiceQuestion q = qs.get(0);
        assertEquals("Q1", q.id());
        assertEquals("Which is a gas?", q.question());
        assertEquals(List.of("ice", "steam", "rock"), q.choices());
        assertEquals(1, q.answer());
        assertEquals("steam", q.correctChoice());
        assertEquals("ARC-Easy", q.subject());
        assertEquals(List.of(), q.tags());
        assertEquals(1, qs.get(1).answer());
        assertEquals(4, qs.get(1).choiceCount());
    }

    @Test
    void subjectIsNullOutsideAnArcFolder(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.jsonl");
        Files.writeString(f, DIGITS);
        assertNull(ArcReader.read(f).get(0).subject());
    }

    @Test
    void errorsNameFileAndLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, LETTERS + "\n{\"id\": \"Q3\", \"question\": \n");
        Errors.expect(f.toString(), 2, "malformed JSON", () -> ArcReader.read(f));
    }

    @Test
    void answerKeyMustBeALabel() {
        String bad = DIGITS.replace("\"answerKey\": \"2\"", "\"answerKey\": \"E\"");
        Errors.expect("arc", 3, "answer key \"E\" is not among the choice labels [1, 2, 3, 4]",
                () -> ArcReader.parse(LETTERS + "\n\n" + bad + "\n", "arc", null));
    }

    @Test
    void missingFieldsAreNamed() {
        Errors.expect("arc", 1, "missing field \"question.stem\"",
                () -> ArcReader.parse(LETTERS.replace("\"stem\"", "\"stam\""), "arc", null));
        Errors.expect("arc", 1, "missing field \"answerKey\"",
                () -> ArcReader.parse(LETTERS.replace("answerKey", "key"), "arc", null));
        Errors.expect("arc", 1, "missing field \"question\"",
                () -> ArcReader.parse("{\"id\": \"x\", \"answerKey\": \"A\"}", "arc", null));
        Errors.expect("arc", 1, "question.choices[1].text",
                () -> ArcReader.parse(LETTERS.replace("\"text\": \"steam\", ", ""), "arc", null));
        Errors.expect("arc", 1, "must be an array",
                () -> ArcReader.parse("{\"id\": \"x\", \"question\": {\"stem\": \"s\", \"choices\": 3}, "
                        + "\"answerKey\": \"A\"}", "arc", null));
    }

    @Test
    void duplicateIdsAndLabelsAreRejected() {
        Errors.expect("arc", 2, "duplicate id \"Q1\" (first on line 1)",
                () -> ArcReader.parse(LETTERS + "\n" + LETTERS, "arc", null));
        Errors.expect("arc", 1, "label \"A\" appears twice",
                () -> ArcReader.parse(LETTERS.replace("\"label\": \"C\"", "\"label\": \"A\""), "arc", null));
    }

    @Test
    void nonObjectLineIsRejected() {
        Errors.expect("arc", 2, "expected a JSON object", () -> ArcReader.parse(LETTERS + "\n[1, 2]", "arc", null));
    }
}
