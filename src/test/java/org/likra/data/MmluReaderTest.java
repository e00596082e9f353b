package org.likra.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MmluReaderTest {
    static final String ROWS = "What is 1+1?,1,2,3,4,B\n"
            + "\"Which, with a comma?\",\"say \"\"x\"\"\",b,c,d,A\r\n"
            + "\"Two\r\nlines\",a,b,c,\"d\",D\n";

    @Test
    void readsFileWithQuotingAndSubjectFromName(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("high_school_physics_test.csv");
        Files.writeString(f, ROWS);
        List<MultipleChoiceQuestion> qs = MmluReader.read(f);
        assertEquals(3, qs.size());
        assertEquals("What is 1+1?", qs.get(0).question());
        assertEquals(List.of("1", "2", "3", "4"), qs.get(0).choices());
        assertEquals(1, qs.get(0).answer());
        assertEquals("Which, with a comma?", qs.get(1).question());
        assertEquals("say \"x\"", qs.get(1).choices().get(0));
        assertEquals(0, qs.get(1).answer());
        assertEquals("Two\nlines", qs.get(2).question());
        assertEquals(3, qs.get(2).answer());
        assertEquals("high_school_physics", qs.get(0).subject());
        assertEquals("high_school_physics_test/2", qs.get(2).id());
    }

    @Test
    void subjectOfStripsSplitSuffix() {
        assertEquals("anatomy", MmluReader.subjectOf("anatomy_dev.csv"));
        assertEquals("college_computer_science", MmluReader.subjectOf("college_computer_science_val.csv"));
        assertEquals("us_foreign_policy", MmluReader.subjectOf("us_foreign_policy_test.csv"));
        assertEquals("misc", MmluReader.subjectOf("misc.csv"));
    }

    @Test
    void readsDirectoryInNameOrder(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("zoology_dev.csv"), "z?,a,b,c,d,C\n");
        Files.writeString(dir.resolve("anatomy_dev.csv"), "a?,a,b,c,d,A\nb?,a,b,c,d,B\n");
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        List<MultipleChoiceQuestion> qs = MmluReader.read(dir);
        assertEquals(List.of("anatomy_dev/0", "anatomy_dev/1", "zoology_dev/0"),
                qs.stream().map(MultipleChoiceQuestion::id).toList());
        assertEquals(List.of("anatomy", "anatomy", "zoology"),
                qs.stream().map(MultipleChoiceQuestion::subject).toList());
    }

    @Test
    void emptyDirectoryIsAUserError(@TempDir Path dir) {
        UserError e = assertThrows(UserError.class, () -> MmluReader.read(dir));
        assertTrue(e.getMessage().contains("no *.csv files"), e.getMessage());
    }

    @Test
    void wrongColumnCountNamesTheLineAfterAMultiLineRecord(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x_test.csv");
        Files.writeString(f, ROWS + "q with, unquoted comma,a,b,c,d,A\n");
        Errors.expect(f.toString(), 5, "expected 6 columns (question,A,B,C,D,answer), found 7",
                () -> MmluReader.read(f));
        Errors.expect("m", 1, "found 5", () -> MmluReader.parse("q,a,b,c,A\n", "m", "m", null));
    }

    @Test
    void badAnswerLetter() {
        Errors.expect("m", 2, "answer \"E\" is not one of A, B, C, D",
                () -> MmluReader.parse("q,a,b,c,d,A\nq,a,b,c,d,E\n", "m", "m", null));
        Errors.expect("m", 1, "answer \"\"", () -> MmluReader.parse("q,a,b,c,d,\n", "m", "m", null));
    }

    @Test
    void unterminatedQuote(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x_val.csv");
        Files.writeString(f, "q,a,b,c,d,A\n\"open,a,b,c,d,A\nq,a,b,c,d,A\n");
        Errors.expect(f.toString(), 2, "unterminated quoted field", () -> MmluReader.read(f));
    }

    @Test
    void notUtf8NamesTheLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x_dev.csv");
        byte[] good = "q,a,b,c,d,A\nr,a,b,c,d,B\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] bytes = java.util.Arrays.copyOf(good, good.length + 12);
        System.arraycopy("s,a,b,c,".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, bytes, good.length, 8);
        bytes[good.length + 8] = (byte) 0xFF;
        bytes[good.length + 9] = ',';
        bytes[good.length + 10] = 'A';
        bytes[good.length + 11] = '\n';
        Files.write(f, bytes);
        Errors.expect(f.toString(), 3, "not valid UTF-8", () -> MmluReader.read(f));
    }

    @Test
    void blankLinesAreSkipped() {
        assertEquals(2, MmluReader.parse("q,a,b,c,d,A\n\nr,a,b,c,d,B\n", "m", "m", null).size());
    }
}
