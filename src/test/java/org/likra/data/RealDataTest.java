package org.likra.data;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Reads the real ARC and MMLU files under ../shared (skipped where they are absent). */
class RealDataTest {
    static Path shared() {
        return Path.of(System.getProperty("likra.shared", "../shared"));
    }

    private static Path require(String rel) {
        Path p = shared().resolve(rel);
        assumeTrue(Files.exists(p), () -> "skipped: " + p + " is absent (real data lives in ../shared; see README)");
        return p;
    }

    @Test
    void arcCounts() {
        Path arc = require("data/arc");
        Map<String, Integer> expected = Map.of(
                "ARC-Easy/train.jsonl", 2251, "ARC-Easy/dev.jsonl", 570, "ARC-Easy/test.jsonl", 2376,
                "ARC-Challenge/train.jsonl", 1119, "ARC-Challenge/dev.jsonl", 299,
                "ARC-Challenge/test.jsonl", 1170);
        for (var e : new java.util.TreeMap<>(expected).entrySet()) {
            Path f = arc.resolve(e.getKey());
            assertEquals(QuestionSets.Format.ARC, QuestionSets.detect(f));
            List<MultipleChoiceQuestion> qs = QuestionSets.load(f);
            assertEquals(e.getValue(), qs.size(), e.getKey());
            String set = e.getKey().substring(0, e.getKey().indexOf('/'));
            for (MultipleChoiceQuestion q : qs) {
                assertEquals(set, q.subject());
                assertTrue(q.choiceCount() >= 3 && q.choiceCount() <= 5, q.id());
                assertTrue(!q.question().isBlank(), q.id());
            }
        }
        MultipleChoiceQuestion first = ArcReader.read(arc.resolve("ARC-Easy/train.jsonl")).get(0);
        assertEquals("Mercury_7220990", first.id());
        assertEquals("a bacterial population in the bloodstream", first.correctChoice());
    }

    @Test
    void mmluCounts() {
        Path mmlu = require("data/mmlu");
        Map<String, Integer> expected = Map.of("dev", 285, "val", 1542, "test", 14079);
        for (var e : expected.entrySet()) {
            List<MultipleChoiceQuestion> qs = QuestionSets.load(mmlu.resolve(e.getKey()));
            assertEquals(e.getValue(), qs.size(), e.getKey());
            TreeSet<String> subjects = new TreeSet<>();
            for (MultipleChoiceQuestion q : qs) {
                subjects.add(q.subject());
                assertEquals(4, q.choiceCount());
                assertTrue(q.question().indexOf('\r') < 0, q.id());
            }
            assertEquals(57, subjects.size(), e.getKey());
            assertTrue(subjects.contains("abstract_algebra") && subjects.contains("world_religions"), e.getKey());
        }
        List<MultipleChoiceQuestion> anatomy = MmluReader.read(mmlu.resolve("dev/anatomy_dev.csv"));
        assertEquals("What is the embryological origin of the hyoid bone?", anatomy.get(0).question());
        assertEquals("The second and third pharyngeal arches", anatomy.get(0).correctChoice());
    }
}
