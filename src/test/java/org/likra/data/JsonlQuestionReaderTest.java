package org.likra.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class JsonlQuestionReaderTest {
    static final String GOOD = "{\"id\":\"q1\",\"question\":\"Where does Tomar live?\","
            + "\"choices\":[\"Velis\",\"Oran\",\"red\"],\"answer\":0,\"tags\":[\"correct\",\"near-miss\",\"far\"],"
            + "\"subject\":\"lives_in\"}";

    @Test
    void roundTripThroughWriter(@TempDir Path dir) {
        List<MultipleChoiceQuestion> qs = List.of(
                new MultipleChoiceQuestion("q1", "Where does Tomar live?", List.of("Velis", "Oran", "red"), 0,
                        List.of("correct", "near-miss", "far"), "lives_in"),
                new MultipleChoiceQuestion("q2", "Quote \" and\nnewline é?", List.of("a", "b"), 1));
        Path f = dir.resolve("sub/q.jsonl");
        JsonlQuestionWriter.write(f, qs);
        assertEquals(qs, JsonlQuestionReader.read(f));
        assertEquals(qs, QuestionSets.load(f));
    }

    @Test
    void writerLineFormat() {
        MultipleChoiceQuestion q = new MultipleChoiceQuestion("q2", "Q?", List.of("a", "b"), 1);
        assertEquals("{\"id\":\"q2\",\"question\":\"Q?\",\"choices\":[\"a\",\"b\"],\"answer\":1,\"tags\":[]}",
                JsonlQuestionWriter.toLine(q));
        assertEquals(GOOD, JsonlQuestionWriter.toLine(JsonlQuestionReader.parse(GOOD, "s").get(0)));
    }

    @Test
    void optionalFieldsMayBeAbsent() {
        MultipleChoiceQuestion q = JsonlQuestionReader.parse(
                "{\"id\": 7, \"question\": \"Q?\", \"choices\": [\"a\", \"b\"], \"answer\": 1, \"subject\": null}",
                "s").get(0);
        assertEquals("7", q.id());
        assertEquals(List.of(), q.tags());
        assertNull(q.subject());
    }

    @Test
    void malformedLinesNameFileAndLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("q.jsonl");
        Files.writeString(f, GOOD + "\n\n{\"id\": \"q2\", oops}\n");
        Errors.expect(f.toString(), 3, "malformed JSON", () -> JsonlQuestionReader.read(f));
    }

    @Test
    void trailingContentDuplicateKeysAndBadEncodingAreRejected(@TempDir Path dir) throws IOException {
        Errors.expect("s", 2, "malformed JSON", () -> JsonlQuestionReader.parse("\n" + GOOD + " {}", "s"));
        Errors.expect("s", 1, "malformed JSON",
                () -> JsonlQuestionReader.parse(GOOD.replace("\"answer\":0", "\"answer\":0,\"answer\":1"), "s"));
        Path f = dir.resolve("latin1.jsonl");
        byte[] good = (GOOD + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] bytes = java.util.Arrays.copyOf(good, good.length + 3);
        bytes[good.length] = (byte) 0xE9; // Latin-1 'é', not UTF-8
        bytes[good.length + 1] = '\n';
        bytes[good.length + 2] = '\n';
        Files.write(f, bytes);
        Errors.expect(f.toString(), 2, "not valid UTF-8", () -> JsonlQuestionReader.read(f));
    }

    @Test
    void fieldErrors() {
        String ok = GOOD + "\n";
        Errors.expect("s", 2, "missing field \"choices\"",
                () -> JsonlQuestionReader.parse(ok + GOOD.replace("\"choices\":[\"Velis\",\"Oran\",\"red\"],", ""), "s"));
        Errors.expect("s", 1, "missing field \"answer\"",
                () -> JsonlQuestionReader.parse(GOOD.replace("\"answer\":0,", ""), "s"));
        Errors.expect("s", 2, "answer index 3 is out of range 0..2",
                () -> JsonlQuestionReader.parse(ok + GOOD.replace("\"q1\"", "\"q2\"")
                        .replace("\"answer\":0", "\"answer\":3"), "s"));
        Errors.expect("s", 1, "answer index -1 is out of range",
                () -> JsonlQuestionReader.parse(GOOD.replace("\"answer\":0", "\"answer\":-1"), "s"));
        Errors.expect("s", 1, "must be a whole number",
                () -> JsonlQuestionReader.parse(GOOD.replace("\"answer\":0", "\"answer\":\"A\""), "s"));
        Errors.expect("s", 1, "\"tags\" has 2 entries for 3 choices",
                () -> JsonlQuestionReader.parse(GOOD.replace(",\"far\"]", "]"), "s"));
        Errors.expect("s", 1, "unknown field \"answerKey\"",
                () -> JsonlQuestionReader.parse(GOOD.replace("\"answer\":0", "\"answer\":0,\"answerKey\":\"A\""), "s"));
        Errors.expect("s", 1, "choices[1] must be a string",
                () -> JsonlQuestionReader.parse(GOOD.replace("\"Oran\"", "5"), "s"));
        Errors.expect("s", 1, "needs at least 2",
                () -> JsonlQuestionReader.parse("{\"id\":\"a\",\"question\":\"q\",\"choices\":[\"x\"],\"answer\":0}", "s"));
        Errors.expect("s", 2, "duplicate id \"q1\" (first on line 1)",
                () -> JsonlQuestionReader.parse(ok + GOOD, "s"));
    }
}
