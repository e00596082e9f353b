package org.likra.data;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CsvReaderTest {

    private static List<String> fields(String... f) {
        return List.of(f);
    }

    @Test
    void plainQuotedEscapedAndEmptyFields() {
        List<CsvReader.Row> rows = CsvReader.parse("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\n,,\n", "t.csv", true);
        assertEquals(3, rows.size());
        assertEquals(fields("a", "b", "c"), rows.get(0).fields());
        assertEquals(fields("x, y", "say \"hi\"", ""), rows.get(1).fields());
        assertEquals(fields("", "", ""), rows.get(2).fields());
        assertEquals(List.of(1, 2, 3), rows.stream().map(CsvReader.Row::line).toList());
    }

    @Test
    void multiLineQuotedFieldKeepsContentAndLineNumbers() {
        String text = "q1,\"line one\nline two\r\nline three\",x\r\nq2,\"\",y\r\nq3,z";
        List<CsvReader.Row> rows = CsvReader.parse(text, "t.csv", true);
        assertEquals(3, rows.size());
        assertEquals("line one\nline two\r\nline three", rows.get(0).fields().get(1));
        assertEquals(fields("q2", "", "y"), rows.get(1).fields());
        assertEquals(fields("q3", "z"), rows.get(2).fields());
        assertEquals(1, rows.get(0).line());
        assertEquals(4, rows.get(1).line());
        assertEquals(5, rows.get(2).line());
    }

    @Test
    void crLineEndsByteOrderMarkAndBlankLines() {
        List<CsvReader.Row> rows = CsvReader.parse("\uFEFFa,b\r\rc\r", "t.csv", true);
        assertEquals(3, rows.size());
        assertEquals(fields("a", "b"), rows.get(0).fields());
        assertTrue(rows.get(1).isBlank());
        assertEquals(fields("c"), rows.get(2).fields());
        assertEquals(3, rows.get(2).line());
        assertFalse(rows.get(0).isBlank());
    }

    @Test
    void emptyInputHasNoRows() {
        assertEquals(0, CsvReader.parse("", "t.csv", true).size());
    }

    @Test
    void quotedFieldAtEndOfInput() {
        assertEquals(fields("a", "b\"c"), CsvReader.parse("a,\"b\"\"c\"", "t.csv", true).get(0).fields());
    }

    @Test
    void unterminatedQuoteReportsTheLineWhereItOpened() {
        Errors.expect("t.csv", 2, "unterminated quoted field",
                () -> CsvReader.parse("a,b\nc,\"never closed\nmore\nlines\n", "t.csv", true));
    }

    @Test
    void characterAfterClosingQuoteIsRejected() {
        Errors.expect("t.csv", 3, "after a closing quote",
                () -> CsvReader.parse("a\nb\n\"c\"d,e\n", "t.csv", true));
    }

    @Test
    void quoteInsideUnquotedFieldIsRejectedWhenStrictAndKeptWhenLenient() {
        Errors.expect("t.csv", 2, "quote inside an unquoted field",
                () -> CsvReader.parse("a,b\nsay \"hi\",c\n", "t.csv", true));
        assertEquals(fields("say \"hi\"", "c"), CsvReader.parse("say \"hi\",c\n", "t.csv", false).get(0).fields());
        assertEquals(fields("Truth?\"", "x"), CsvReader.parse("Truth?\",x", "t.csv", false).get(0).fields());
        // leniency does not extend to unterminated quotes or text after a closing quote
        Errors.expect("t.csv", 1, "unterminated", () -> CsvReader.parse("\"a,b\n", "t.csv", false));
        Errors.expect("t.csv", 1, "after a closing quote", () -> CsvReader.parse("\"a\"b,c\n", "t.csv", false));
    }
}
