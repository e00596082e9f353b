package org.likra.data;

import org.likra.util.UserError;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A strict RFC 4180 CSV reader: comma-separated fields, fields optionally enclosed in double quotes, a double
 * quote inside a quoted field written as two, quoted fields may span lines. Records end with CRLF, LF or CR;
 * the last record may lack a line end. A leading UTF-8 byte order mark is skipped. Quoted field contents are
 * returned verbatim (line breaks inside them included).
 *
 * <p>Rejected, with the source name and line number in a {@link UserError}: a quote that is never closed and a
 * character other than a comma or line end after a closing quote. A quote inside an unquoted field
 * ({@code say "hi",x}) breaks RFC 4180 too; a strict reader rejects it, a lenient one (the default, because real
 * files such as MMLU's {@code college_medicine_val.csv} contain one) keeps it as a literal character, as
 * Python's csv module does.
 */
public final class CsvReader implements Closeable {

    /**
     * One record.
     *
     * @param fields its fields
     * @param line   the 1-based line on which the record starts
     */
    public record Row(List<String> fields, int line) {
        public Row {
            fields = List.copyOf(fields);
        }

        /** True for an empty line (one empty field). */
        public boolean isBlank() {
            return fields.size() == 1 && fields.get(0).isEmpty();
        }
    }

    private static final int NONE = -2;

    private final Reader in;
    private final String source;
    private int line = 1;
    private int lookahead = NONE;
    private final boolean strict;
    private boolean started;

    /**
     * A lenient reader (quotes inside unquoted fields are kept as text).
     *
     * @param in     the text to read
     * @param source names the input in error messages (usually the file path)
     */
    public CsvReader(Reader in, String source) {
        this(in, source, false);
    }

    /**
     * @param in     the text to read
     * @param source names the input in error messages (usually the file path)
     * @param strict whether a quote inside an unquoted field is an error
     */
    public CsvReader(Reader in, String source, boolean strict) {
        this.in = in instanceof BufferedReader ? in : new BufferedReader(in);
        this.source = source;
        this.strict = strict;
    }

    /** Reads every record of a UTF-8 file with a lenient reader. */
    public static List<Row> readAll(Path file) {
        try (CsvReader r = new CsvReader(Files.newBufferedReader(file), file.toString(), false)) {
            return r.readAll();
        } catch (UserError e) {
            throw e.getCause() instanceof CharacterCodingException ? JsonLines.notUtf8(file) : e;
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads every record of a string; {@code source} names it in error messages. */
    public static List<Row> parse(String text, String source, boolean strict) {
        return new CsvReader(new StringReader(text), source, strict).readAll();
    }

    /** Reads all remaining records. */
    public List<Row> readAll() {
        List<Row> rows = new ArrayList<>();
        for (Row r = next(); r != null; r = next()) {
            rows.add(r);
        }
        return rows;
    }

    /** The next record, or null at the end of the input. */
    public Row next() {
        int c = read();
        if (!started) {
            started = true;
            if (c == '\uFEFF') {
                c = read();
            }
        }
        if (c == -1) {
            return null;
        }
        int startLine = line;
        List<String> fields = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        while (true) {
            sb.setLength(0);
            c = c == '"' ? quotedField(sb) : plainField(c, sb);
            fields.add(sb.toString());
            if (c == ',') {
                c = read();
                continue;
            }
            if (c == '\r') {
                if (peek() == '\n') {
                    read();
                }
                line++;
            } else if (c == '\n') {
                line++;
            }
            return new Row(fields, startLine);
        }
    }

    /**
     * Reads a quoted field whose opening quote was just read into {@code sb} ("" as one quote); returns the character
     * after the closing quote, which must end the field.
     */
    private int quotedField(StringBuilder sb) {
        int quoteLine = line;
        while (true) {
            int c = read();
            if (c == -1) {
                throw error(quoteLine, "unterminated quoted field (the quote opened here is never "
                        + "closed); close the field with \" and write quotes inside it as \"\"");
            }
            if (c == '"') {
                if (peek() == '"') {
                    read();
                    sb.append('"');
                } else {
                    break;
                }
            } else {
                sb.append((char) c);
                countLineBreak(c);
            }
        }
        int c = read();
        if (c != ',' && c != '\r' && c != '\n' && c != -1) {
            throw error(line, "unexpected character '" + (char) c + "' after a closing quote; "
                    + "a quoted field must be followed by a comma or a line end (write quotes inside "
                    + "a quoted field as \"\")");
        }
        return c;
    }

    /** Reads an unquoted field from its first character {@code c} into {@code sb}; returns the character ending it. */
    private int plainField(int c, StringBuilder sb) {
        while (c != ',' && c != '\r' && c != '\n' && c != -1) {
            if (c == '"' && strict) {
                throw error(line, "quote inside an unquoted field; enclose the field in quotes and "
                        + "write each quote in it as \"\"");
            }
            sb.append((char) c);
            c = read();
        }
        return c;
    }

    /** Counts a line break inside a quoted field (CRLF counts once). */
    private void countLineBreak(int c) {
        if (c == '\n' || (c == '\r' && peek() != '\n')) {
            line++;
        }
    }

    private UserError error(int atLine, String what) {
        return new UserError(source + ":" + atLine + ": " + what);
    }

    private int peek() {
        if (lookahead == NONE) {
            lookahead = rawRead();
        }
        return lookahead;
    }

    private int read() {
        if (lookahead != NONE) {
            int c = lookahead;
            lookahead = NONE;
            return c;
        }
        return rawRead();
    }

    private int rawRead() {
        try {
            return in.read();
        } catch (CharacterCodingException e) {
            throw new UserError(source + ":" + line + ": not valid UTF-8 text; save the file as UTF-8", e);
        } catch (IOException e) {
            throw new UserError("cannot read " + source + " near line " + line + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
