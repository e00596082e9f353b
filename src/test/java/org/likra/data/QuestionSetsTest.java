package org.likra.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuestionSetsTest {
    private static final List<Integer> HUNDRED = IntStream.range(0, 100).boxed().toList();

    @Test
    void detectsAndLoadsEachFormat(@TempDir Path dir) throws IOException {
        Path arc = dir.resolve("arc.jsonl");
        Files.writeString(arc, "\n" + ArcReaderTest.LETTERS + "\n");
        Path ours = dir.resolve("ours.jsonl");
        Files.writeString(ours, JsonlQuestionReaderTest.GOOD + "\n");
        Path csv = dir.resolve("anatomy_dev.csv");
        Files.writeString(csv, "q,a,b,c,d,C\n");
        Path noExt = dir.resolve("questions");
        Files.writeString(noExt, ArcReaderTest.DIGITS);
        assertEquals(QuestionSets.Format.ARC, QuestionSets.detect(arc));
        assertEquals(QuestionSets.Format.JSONL, QuestionSets.detect(ours));
        assertEquals(QuestionSets.Format.MMLU, QuestionSets.detect(csv));
        assertEquals(QuestionSets.Format.MMLU, QuestionSets.detect(dir));
        assertEquals(QuestionSets.Format.ARC, QuestionSets.detect(noExt));
        assertEquals("steam", QuestionSets.load(arc).get(0).correctChoice());
        assertEquals("Velis", QuestionSets.load(ours).get(0).correctChoice());
        assertEquals("c", QuestionSets.load(csv).get(0).correctChoice());
        assertEquals("two", QuestionSets.load(noExt).get(0).correctChoice());
    }

    @Test
    void unknownOrMissingInputIsAUserError(@TempDir Path dir) throws IOException {
        Path txt = dir.resolve("q.txt");
        Files.writeString(txt, "hello\n");
        Errors.expect(txt.toString(), 1, "cannot tell the question format", () -> QuestionSets.detect(txt));
        UserError e = assertThrows(UserError.class, () -> QuestionSets.load(dir.resolve("missing.jsonl")));
        assertTrue(e.getMessage().startsWith("no such file or directory"), e.getMessage());
    }

    @Test
    void shuffleIsADeterministicPermutation() {
        List<Integer> a = QuestionSets.shuffle(HUNDRED, 42);
        assertEquals(a, QuestionSets.shuffle(HUNDRED, 42));
        assertNotEquals(a, QuestionSets.shuffle(HUNDRED, 43));
        assertNotEquals(HUNDRED, a);
        assertEquals(new HashSet<>(HUNDRED), new HashSet<>(a));
        assertEquals(100, a.size());
        List<Integer> input = new ArrayList<>(HUNDRED);
        QuestionSets.shuffle(input, 1);
        assertEquals(HUNDRED, input, "input must not be modified");
        // pinned so that a change of algorithm (and so of every published split) is noticed
        assertEquals(List.of(4, 3, 0, 2, 1), QuestionSets.shuffle(List.of(0, 1, 2, 3, 4), 7));
    }

    @Test
    void takeAndSplit() {
        assertEquals(List.of(0, 1, 2), QuestionSets.take(HUNDRED, 3));
        assertEquals(HUNDRED, QuestionSets.take(HUNDRED, 1000));
        QuestionSets.Split<Integer> s = QuestionSets.split(HUNDRED, 0.25, 9);
        assertEquals(75, s.train().size());
        assertEquals(25, s.test().size());
        HashSet<Integer> all = new HashSet<>(s.train());
        all.addAll(s.test());
        assertEquals(new HashSet<>(HUNDRED), all);
        assertEquals(s, QuestionSets.split(HUNDRED, 25, 9));
        assertEquals(QuestionSets.shuffle(HUNDRED, 9).subList(0, 25), s.test());
        assertThrows(IllegalArgumentException.class, () -> QuestionSets.split(HUNDRED, 1.5, 1));
        assertThrows(IllegalArgumentException.class, () -> QuestionSets.split(HUNDRED, 101, 1));
    }
}
