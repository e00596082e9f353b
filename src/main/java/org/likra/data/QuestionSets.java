package org.likra.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import org.likra.util.UserError;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Loading question sets whatever their format, and deterministic helpers to shuffle, cut and split them.
 *
 * <p>Shuffles are Fisher-Yates driven by {@link java.util.Random} seeded with the given seed; {@code Random}'s
 * algorithm is fixed by its specification, so a seed gives the same order on every JDK.
 */
public final class QuestionSets {

    /** The formats {@link #load(Path)} recognises. */
    public enum Format {
        /** AI2 ARC JSON Lines ({@link ArcReader}). */
        ARC,
        /** MMLU headerless CSV, a file or a folder of them ({@link MmluReader}). */
        MMLU,
        /** likra's own JSON Lines ({@link JsonlQuestionReader}). */
        JSONL,
        /** TruthfulQA's multiple-choice JSON Lines, MC1 and MC2 targets ({@link TruthfulQaReader}). */
        TRUTHFULQA
    }

    /**
     * A train/test split.
     *
     * @param train the first part
     * @param test  the held-out part
     */
    public record Split<T>(List<T> train, List<T> test) {
        public Split {
            train = List.copyOf(train);
            test = List.copyOf(test);
        }
    }

    private QuestionSets() {
    }

    /**
     * Loads questions from a file or folder, picking the reader by {@link #detect(Path)}; a UserError when it holds
     * none.
     */
    public static List<MultipleChoiceQuestion> load(Path path) {
        List<MultipleChoiceQuestion> questions = switch (detect(path)) {
            case ARC -> ArcReader.read(path);
            case MMLU -> MmluReader.read(path);
            case JSONL -> JsonlQuestionReader.read(path);
            case TRUTHFULQA -> TruthfulQaReader.read(path);
        };
        if (questions.isEmpty()) {
            throw new UserError(path + ": no questions in it (an empty file?); give a file with at least one question");
        }
        return questions;
    }

    /**
     * A one-line note on the questions that have two identical choices (published sets may have them: 13 of the
     * 15,906 MMLU questions in ../shared do), or null when none has. Such a question is kept as published; its
     * identical choices get identical scores and a tie goes to the first of them.
     */
    public static String repeatedChoicesNote(List<MultipleChoiceQuestion> questions) {
        int count = 0;
        MultipleChoiceQuestion first = null;
        for (MultipleChoiceQuestion q : questions) {
            if (q.repeatedChoice() >= 0) {
                count++;
                first = first == null ? q : first;
            }
        }
        if (count == 0) {
            return null;
        }
        int i = first.repeatedChoice();
        return String.format("note: %d question%s with two identical choices (the first: %s, choices %d and %d, "
                        + "\"%s\") %s scored as published: the tie goes to the earlier choice", count,
                count == 1 ? "" : "s", first.id(), first.choices().indexOf(first.choices().get(i)), i,
                first.choices().get(i), count == 1 ? "is" : "are");
    }

    /**
     * Picks the format of a file or folder: a folder or a {@code .csv} file is MMLU; a {@code .jsonl}/{@code .json}
     * file (or a file with another extension whose first non-blank line starts with "{") is ARC when its first
     * object has a {@code question} object (ARC's {@code question.stem}), TruthfulQA when it has
     * {@code mc1_targets} or {@code mc2_targets}, else likra's JSONL.
     */
    public static Format detect(Path path) {
        if (Files.isDirectory(path)) {
            return Format.MMLU;
        }
        if (!Files.isRegularFile(path)) {
            throw new UserError("no such file or directory: " + path
                    + "; give an ARC .jsonl file, an MMLU .csv file or folder, or a likra .jsonl question file "
                    + "(docs/data.md: where to get ARC and MMLU)");
        }
        String name = path.getFileName().toString().toLowerCase();
        if (name.endsWith(".csv")) {
            return Format.MMLU;
        }
        String first = firstNonBlankLine(path);
        boolean jsonName = name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson");
        if (first == null) {
            if (jsonName) {
                return Format.JSONL;
            }
            throw new UserError(path + " is empty; cannot tell its format");
        }
        if (!first.strip().startsWith("{")) {
            throw new UserError(path + ":1: cannot tell the question format (expected a JSON object per line, "
                    + "or a .csv file for MMLU); rename CSV files to .csv");
        }
        try {
            JsonNode n = JsonLines.JSON.readTree(first);
            if (n != null && (n.has("mc1_targets") || n.has("mc2_targets"))) {
                return Format.TRUTHFULQA;
            }
            return n != null && n.path("question").isObject() ? Format.ARC : Format.JSONL;
        } catch (JsonProcessingException e) {
            // let the reader report the line with its number
            return Format.JSONL;
        }
    }

    private static String firstNonBlankLine(Path path) {
        try (BufferedReader r = Files.newBufferedReader(path)) {
            for (String s = r.readLine(); s != null; s = r.readLine()) {
                if (s.startsWith("\uFEFF")) {
                    s = s.substring(1);
                }
                if (!s.isBlank()) {
                    return s;
                }
            }
            return null;
        } catch (java.nio.charset.CharacterCodingException e) {
            throw JsonLines.notUtf8(path);
        } catch (IOException e) {
            throw new UserError("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** A new list with the elements of {@code items} in an order fixed by {@code seed}. */
    public static <T> List<T> shuffle(List<T> items, long seed) {
        List<T> out = new ArrayList<>(items);
        Random rng = new Random(seed);
        for (int i = out.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T t = out.get(i);
            out.set(i, out.get(j));
            out.set(j, t);
        }
        return out;
    }

    /** The first {@code n} elements (all of them when there are fewer). */
    public static <T> List<T> take(List<T> items, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("cannot take " + n + " items");
        }
        return List.copyOf(items.subList(0, Math.min(n, items.size())));
    }

    /**
     * Shuffles with {@code seed}, then puts the first {@code testCount} elements in the test part and the rest
     * in the train part.
     */
    public static <T> Split<T> split(List<T> items, int testCount, long seed) {
        if (testCount < 0 || testCount > items.size()) {
            throw new IllegalArgumentException("test size " + testCount + " is not within 0.." + items.size());
        }
        List<T> s = shuffle(items, seed);
        return new Split<>(s.subList(testCount, s.size()), s.subList(0, testCount));
    }

    /**
     * Shuffles with {@code seed} and holds out {@code round(testFraction * size)} elements as the test part.
     */
    public static <T> Split<T> split(List<T> items, double testFraction, long seed) {
        if (!(testFraction >= 0 && testFraction <= 1)) {
            throw new IllegalArgumentException("test fraction " + testFraction + " is not within 0..1");
        }
        return split(items, (int) Math.round(testFraction * items.size()), seed);
    }
}
