package org.likra.data.synthetic;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.data.JsonlQuestionReader;
import org.likra.data.MultipleChoiceQuestion;
import org.likra.util.UserError;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticBenchmarkTest {
    static SyntheticBenchmark bench;

    @BeforeAll
    static void generate() {
        bench = SyntheticBenchmark.generate(SyntheticSpec.defaults());
    }

    private static List<MultipleChoiceQuestion> all(SyntheticBenchmark b) {
        List<MultipleChoiceQuestion> out = new ArrayList<>(b.train());
        out.addAll(b.test());
        return out;
    }

    @Test
    void sameSeedSameBenchmarkOtherSeedOtherBenchmark() {
        SyntheticBenchmark again = SyntheticBenchmark.generate(SyntheticSpec.defaults());
        assertEquals(bench.corpus(), again.corpus());
        assertEquals(bench.train(), again.train());
        assertEquals(bench.test(), again.test());
        assertEquals(bench.world(), again.world());
        SyntheticBenchmark other = SyntheticBenchmark.generate(SyntheticSpec.defaults().withSeed(2));
        assertNotEquals(bench.corpus(), other.corpus());
        assertNotEquals(bench.world().people(), other.world().people());
        assertNotEquals(bench.test(), other.test());
    }

    @Test
    void sizesFollowTheSpec() {
        SyntheticSpec s = SyntheticSpec.defaults();
        World w = bench.world();
        assertEquals(s.people(), w.people().size());
        assertEquals(s.cities(), w.cities().size());
        assertEquals(s.countries(), w.countries().size());
        assertEquals(s.additions() + s.multiplications(), w.arithmetic().size());
        int facts = 4 * s.people() + s.cities() + s.additions() + s.multiplications();
        assertEquals(facts, w.facts().size());
        assertEquals(facts, bench.train().size() + bench.test().size());
        assertEquals(facts * 3 * s.repeats(), bench.corpus().split("\n").length);
        int bytes = bench.corpus().length();
        assertTrue(bytes > 200_000 && bytes < 4_000_000, "corpus size " + bytes);
        double testShare = bench.test().size() / (double) facts;
        assertTrue(testShare > 0.15 && testShare < 0.25, "test share " + testShare);
        Set<String> ids = all(bench).stream().map(MultipleChoiceQuestion::id).collect(Collectors.toSet());
        assertEquals(facts, ids.size(), "question ids must be unique");
    }

    @Test
    void namesAreUniqueAndPronounceable() {
        World w = bench.world();
        List<String> names = new ArrayList<>(w.countries());
        w.cities().forEach(c -> names.add(c.name()));
        w.people().forEach(p -> names.add(p.name()));
        assertEquals(names.size(), new HashSet<>(names).size());
        for (String n : names) {
            assertTrue(n.matches("[A-Z][a-z]{3,}"), n);
            assertFalse(n.toLowerCase().matches(".*[bcdfgklmnprstvz]{3}.*"), n);
        }
    }

    @Test
    void everyFactAndEveryTestQuestionIsInTheCorpus() {
        Set<String> lines = new HashSet<>(Arrays.asList(bench.corpus().split("\n")));
        for (World.Fact f : bench.world().facts()) {
            for (String s : f.relation().statements(f.subject(), f.object())) {
                assertTrue(lines.contains(s), () -> "corpus lacks: " + s);
            }
        }
        // the test prompt followed by its correct answer is a corpus line; with a wrong answer it is not
        for (MultipleChoiceQuestion q : bench.test()) {
            assertTrue(lines.contains("Q: " + q.question() + " A: " + q.correctChoice() + "."), q.id());
            for (int i : q.distractorIndices()) {
                assertFalse(lines.contains("Q: " + q.question() + " A: " + q.choices().get(i) + "."), q.id());
            }
        }
        Person0 p = Person0.of(bench.world().people().get(0));
        assertTrue(lines.contains(p.name + " lives in " + p.city + "."));
        assertTrue(lines.contains("The home of " + p.name + " is " + p.city + "."));
        assertTrue(lines.contains("Q: Where does " + p.name + " live? A: " + p.city + "."));
    }

    private record Person0(String name, String city) {
        static Person0 of(World.Person p) {
            return new Person0(p.name(), p.city());
        }
    }

    @Test
    void noTrainQuestionMentionsATestEntity() {
        World w = bench.world();
        Set<String> testNames = new HashSet<>();
        w.people().stream().filter(p -> p.split() == World.Part.TEST).forEach(p -> testNames.add(p.name()));
        w.cities().stream().filter(c -> c.split() == World.Part.TEST).forEach(c -> testNames.add(c.name()));
        Set<String> testArithmetic = w.arithmetic().stream().filter(a -> a.split() == World.Part.TEST)
                .map(World.Arithmetic::subject).collect(Collectors.toSet());
        assertFalse(testNames.isEmpty());
        assertFalse(testArithmetic.isEmpty());
        Set<String> testIds = bench.test().stream().map(MultipleChoiceQuestion::id).collect(Collectors.toSet());
        for (MultipleChoiceQuestion q : bench.train()) {
            assertFalse(testIds.contains(q.id()), q.id());
            List<String> words = new ArrayList<>(Arrays.asList(q.question().split("[^A-Za-z0-9]+")));
            words.addAll(q.choices());
            for (String word : words) {
                assertFalse(testNames.contains(word), () -> "train question " + q.id() + " mentions test entity "
                        + word + ": " + q);
            }
            for (String a : testArithmetic) {
                assertNotEquals("What is " + a + "?", q.question(), q.id());
            }
        }
        // and every test question is about a test entity
        for (MultipleChoiceQuestion q : bench.test()) {
            boolean about = testArithmetic.stream().anyMatch(a -> q.question().equals("What is " + a + "?"))
                    || Arrays.stream(q.question().split("[^A-Za-z]+")).anyMatch(testNames::contains);
            assertTrue(about, q.id());
        }
    }

    @Test
    void choicesAndTagsAreRight() {
        SyntheticSpec s = SyntheticSpec.defaults();
        World w = bench.world();
        Map<String, ValueType> types = new HashMap<>(w.namedValueTypes());
        Map<String, World.Fact> facts = new HashMap<>();
        w.facts().forEach(f -> facts.put(f.id(), f));
        for (MultipleChoiceQuestion q : all(bench)) {
            World.Fact f = facts.get(q.id());
            assertNotNull(f, q.id());
            assertEquals(f.object(), q.correctChoice(), q.id());
            assertEquals(f.relation().question(f.subject()), q.question());
            assertEquals(f.relation().key(), q.subject());
            assertEquals(s.choices(), q.choiceCount(), q.id());
            assertEquals(q.choiceCount(), new HashSet<>(q.choices()).size(), () -> "repeated choice in " + q);
            assertEquals(s.choices(), q.tags().size());
            ValueType answerType = typeOf(types, q.correctChoice());
            assertEquals(f.relation().answerType(), answerType, q.id());
            int near = 0;
            int far = 0;
            for (int i = 0; i < q.choiceCount(); i++) {
                String c = q.choices().get(i);
                String tag = q.tags().get(i);
                ValueType t = typeOf(types, c);
                assertNotNull(t, () -> "unknown value " + c + " in " + q);
                if (i == q.answer()) {
                    assertEquals(MultipleChoiceQuestion.TAG_CORRECT, tag, q.id());
                    continue;
                }
                assertNotEquals(q.correctChoice(), c, q.id());
                if (tag.equals(MultipleChoiceQuestion.TAG_NEAR_MISS)) {
                    near++;
                    assertEquals(answerType, t, () -> "near-miss " + c + " of another type in " + q);
                    if (t == ValueType.NUMBER) {
                        int off = Math.abs(Integer.parseInt(c) - Integer.parseInt(q.correctChoice()));
                        assertTrue(off == 1 || off == 2, q.toString());
                    }
                } else {
                    assertEquals(MultipleChoiceQuestion.TAG_FAR, tag, q.id());
                    far++;
                    assertNotEquals(answerType, t, () -> "far " + c + " of the answer's type in " + q);
                }
            }
            assertEquals(s.nearMiss(), near, q.id());
            assertEquals(s.far(), far, q.id());
        }
    }

    @Test
    void answerPositionsAreSpreadOut() {
        int[] counts = new int[4];
        all(bench).forEach(q -> counts[q.answer()]++);
        int n = bench.train().size() + bench.test().size();
        for (int c : counts) {
            assertTrue(c > n / 8, Arrays.toString(counts));
        }
    }

    @Test
    void arithmeticIsCorrect() {
        for (World.Arithmetic a : bench.world().arithmetic()) {
            assertTrue(a.a() <= a.b());
            assertEquals(a.op().equals("plus") ? a.a() + a.b() : a.a() * a.b(), a.result(), a.toString());
        }
    }

    private static ValueType typeOf(Map<String, ValueType> named, String v) {
        return v.matches("\\d+") ? ValueType.NUMBER : named.get(v);
    }

    @Test
    void writesTheDirectory(@TempDir Path dir) throws IOException {
        SyntheticBenchmark small = SyntheticBenchmark.generate(new SyntheticSpec(5, 20, 10, 4, 10, 10, 6, 2, 0.3,
                2, 1));
        List<Path> written = small.write(dir.resolve("out"));
        assertEquals(SyntheticBenchmark.FILES, written.stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(small.corpus(), Files.readString(dir.resolve("out/corpus.txt")));
        assertEquals(small.train(), JsonlQuestionReader.read(dir.resolve("out/train.jsonl")));
        assertEquals(small.test(), JsonlQuestionReader.read(dir.resolve("out/test.jsonl")));
        ObjectMapper json = new ObjectMapper();
        JsonNode spec = json.readTree(dir.resolve("out/spec.json").toFile());
        assertEquals(5, spec.path("parameters").path("seed").asInt());
        assertEquals(20, spec.path("parameters").path("people").asInt());
        assertEquals(small.corpus().length(), spec.path("sizes").path("corpusBytes").asInt());
        assertEquals(small.test().size(), spec.path("sizes").path("testQuestions").asInt());
        JsonNode world = json.readTree(dir.resolve("out/world.json").toFile());
        assertEquals(20, world.path("people").size());
        assertEquals(small.world().facts().size(), world.path("facts").size());
        JsonNode fact = world.path("facts").get(0);
        assertEquals("lives_in", fact.path("relation").asText());
        assertTrue(Set.of("train", "test").contains(fact.path("split").asText()));
    }

    @Test
    void badParametersAreUserErrors() {
        SyntheticSpec d = SyntheticSpec.defaults();
        UserError e = assertThrows(UserError.class, () -> SyntheticBenchmark.generate(
                new SyntheticSpec(1, 10, 10, 2, 0, 0, 12, 1, 0.2, 2, 1)));
        assertTrue(e.getMessage().contains("countries"), e.getMessage());
        assertThrows(UserError.class, () -> new SyntheticSpec(1, 10, 10, 8, 1000, 0, 12, 1, 0.2, 2, 1).validate());
        assertThrows(UserError.class, () -> new SyntheticSpec(1, 10, 10, 8, 0, 0, 12, 1, 1.0, 2, 1).validate());
        assertThrows(UserError.class, () -> new SyntheticSpec(1, 10, 3, 8, 0, 0, 12, 1, 0.2, 2, 1).validate());
        assertEquals(d, d.validate());
    }
}
