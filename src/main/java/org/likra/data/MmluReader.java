package org.likra.data;

import org.likra.util.UserError;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads MMLU: headerless RFC 4180 CSV files with six columns {@code question,A,B,C,D,answer}, where answer is
 * one of the letters A-D. A file named {@code <subject>_<split>.csv} gives its questions the subject
 * {@code <subject>} (e.g. {@code high_school_physics_test.csv} gives {@code high_school_physics}); a directory
 * is read file by file in name order. Question ids are {@code <file name without .csv>/<row index from 0>}.
 * Line breaks inside fields are normalised to LF (some files use CRLF inside quoted fields). Empty lines are
 * skipped. The CSV is read leniently (see {@link CsvReader}): a stray quote inside an unquoted field is kept as
 * text, as in {@code val/college_medicine_val.csv}; unterminated quotes and wrong column counts are errors.
 */
public final class MmluReader {
    /** The number of columns in an MMLU row. */
    public static final int COLUMNS = 6;
    private static final List<String> LETTERS = List.of("A", "B", "C", "D");
    private static final List<String> SPLITS = List.of("dev", "val", "test", "train", "auxiliary_train");

    private MmluReader() {
    }

    /** Reads one CSV file, or every {@code *.csv} file of a directory (not recursive) in name order. */
    public static List<MultipleChoiceQuestion> read(Path path) {
        if (Files.isDirectory(path)) {
            List<Path> files;
            try (Stream<Path> s = Files.list(path)) {
                files = s.filter(p -> p.getFileName().toString().endsWith(".csv") && Files.isRegularFile(p))
                        .sorted()
                        .toList();
            } catch (IOException e) {
                throw new UserError("cannot list " + path + ": " + e.getMessage(), e);
            }
            if (files.isEmpty()) {
                throw new UserError("no *.csv files in " + path
                        + "; give an MMLU split folder such as data/mmlu/test or one <subject>_<split>.csv file");
            }
            List<MultipleChoiceQuestion> out = new ArrayList<>();
            for (Path f : files) {
                out.addAll(readFile(f));
            }
            return out;
        }
        if (!Files.isRegularFile(path)) {
            throw new UserError("no such file or directory: " + path + "; give an MMLU CSV file or folder");
        }
        return readFile(path);
    }

    private static List<MultipleChoiceQuestion> readFile(Path file) {
        String stem = stem(file.getFileName().toString());
        return fromRows(CsvReader.readAll(file), file.toString(), stem, subjectOf(file.getFileName().toString()));
    }

    /** Parses MMLU CSV text; {@code source} names it in errors, {@code idPrefix} starts every id. */
    public static List<MultipleChoiceQuestion> parse(String text, String source, String idPrefix,
                                                     String subject) {
        return fromRows(new CsvReader(new StringReader(text), source).readAll(), source, idPrefix, subject);
    }

    /**
     * The subject named by an MMLU file name: the name without {@code .csv} and without a trailing
     * {@code _dev}, {@code _val}, {@code _test} or {@code _train}.
     */
    public static String subjectOf(String fileName) {
        String stem = stem(fileName);
        for (String split : SPLITS) {
            if (stem.endsWith("_" + split) && stem.length() > split.length() + 1) {
                return stem.substring(0, stem.length() - split.length() - 1);
            }
        }
        return stem;
    }

    private static String stem(String fileName) {
        return fileName.endsWith(".csv") ? fileName.substring(0, fileName.length() - 4) : fileName;
    }

    private static List<MultipleChoiceQuestion> fromRows(List<CsvReader.Row> rows, String source, String idPrefix,
                                                         String subject) {
        List<MultipleChoiceQuestion> out = new ArrayList<>(rows.size());
        for (CsvReader.Row row : rows) {
            if (row.isBlank()) {
                continue;
            }
            List<String> f = row.fields();
            if (f.size() != COLUMNS) {
                throw new UserError(source + ":" + row.line() + ": expected " + COLUMNS
                        + " columns (question,A,B,C,D,answer), found " + f.size()
                        + "; quote fields that contain commas");
            }
            String key = f.get(5).strip();
            int answer = LETTERS.indexOf(key);
            if (answer < 0) {
                throw new UserError(source + ":" + row.line() + ": answer \"" + key
                        + "\" is not one of A, B, C, D; the last column must name the correct choice");
            }
            List<String> choices = new ArrayList<>(4);
            for (int i = 1; i <= 4; i++) {
                choices.add(normalize(f.get(i)));
            }
            try {
                out.add(new MultipleChoiceQuestion(idPrefix + "/" + out.size(), normalize(f.get(0)), choices,
                        answer, List.of(), subject));
            } catch (IllegalArgumentException e) {
                throw new UserError(source + ":" + row.line() + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static String normalize(String s) {
        return s.indexOf('\r') < 0 ? s : s.replace("\r\n", "\n").replace('\r', '\n');
    }
}
