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
    /** The legacy preset. */
    static SyntheticBenchmark bench;
    static SyntheticBenchmark study;
    static SyntheticBenchmark demo;

    @BeforeAll
    static void generate() {
        bench = SyntheticBenchmark.generate(SyntheticSpec.defaults());
        study = SyntheticBenchmark.generate(SyntheticSpec.study());
        demo = SyntheticBenchmark.generate(SyntheticSpec.demo());
    }

    private static List<MultipleChoiceQuestion> all(SyntheticBenchmark b) {
        List<MultipleChoiceQuestion> out = new ArrayList<>(b.train());
        out.addAll(b.validation());
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
        // three narrative paraphrases and the Q/A form, one line each
        assertEquals(facts * 4 * s.repeats(), bench.corpus().split("\n").length);
        assertTrue(bench.validation().isEmpty());
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
            for (String s : f.relation().narratives(f.subject(), f.object())) {
                assertTrue(lines.contains(s), () -> "corpus lacks: " + s);
            }
            assertTrue(lines.contains(f.relation().qaStatement(f.subject(), f.object())), f.id());
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
        checkChoicesAndTags(bench);
        checkChoicesAndTags(study);
        checkChoicesAndTags(demo);
    }

    private static void checkChoicesAndTags(SyntheticBenchmark bench) {
        SyntheticSpec s = bench.spec();
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
            int misconception = 0;
            int correct = 0;
            for (int i = 0; i < q.choiceCount(); i++) {
                String c = q.choices().get(i);
                String tag = q.tags().get(i);
                ValueType t = typeOf(types, c);
                assertNotNull(t, () -> "unknown value " + c + " in " + q);
                if (tag.equals(MultipleChoiceQuestion.TAG_CORRECT)) {
                    correct++;
                }
                if (i == q.answer()) {
                    assertEquals(MultipleChoiceQuestion.TAG_CORRECT, tag, q.id());
                    continue;
                }
                assertNotEquals(q.correctChoice(), c, q.id());
                if (tag.equals(MultipleChoiceQuestion.TAG_MISCONCEPTION)) {
                    misconception++;
                    assertEquals(f.misconception(), c, () -> "misconception tag on another value in " + q);
                    assertEquals(answerType, t, q.id());
                } else if (tag.equals(MultipleChoiceQuestion.TAG_NEAR_MISS)) {
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
            assertEquals(1, correct, q.id());
            assertEquals(f.misconception() == null ? 0 : 1, misconception, () -> "misconception choices of " + q);
            assertEquals(s.nearMiss(), near + misconception, q.id());
            assertEquals(s.far(), far, q.id());
        }
    }

    @Test
    void answerPositionsAreSpreadOut() {
        int[] counts = new int[4];
        all(bench).forEach(q -> counts[q.answer()]++);
        int n = all(bench).size();
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
        SyntheticBenchmark small = SyntheticBenchmark.generate(SyntheticSpec.demo().withSeed(5).withPeople(20)
                .withCities(12).withCountries(4).withAdditions(10).withMultiplications(10).withMaxOperand(6)
                .withRepeats(2));
        List<Path> written = small.write(dir.resolve("out"));
        assertEquals(SyntheticBenchmark.FILES, written.stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(small.corpus(), Files.readString(dir.resolve("out/corpus.txt")));
        assertEquals(small.train(), JsonlQuestionReader.read(dir.resolve("out/train.jsonl")));
        assertEquals(small.validation(), JsonlQuestionReader.read(dir.resolve("out/validation.jsonl")));
        assertEquals(small.test(), JsonlQuestionReader.read(dir.resolve("out/test.jsonl")));
        ObjectMapper json = new ObjectMapper();
        JsonNode spec = json.readTree(dir.resolve("out/spec.json").toFile());
        assertEquals(5, spec.path("parameters").path("seed").asInt());
        assertEquals(20, spec.path("parameters").path("people").asInt());
        assertEquals(small.corpus().length(), spec.path("sizes").path("corpusBytes").asInt());
        assertEquals(small.test().size(), spec.path("sizes").path("testQuestions").asInt());
        assertEquals(small.validation().size(), spec.path("sizes").path("validationQuestions").asInt());
        assertEquals(small.misconceptionFacts(World.Part.TEST),
                spec.path("sizes").path("factsWithMisconceptions").path("test").asInt());
        assertTrue(small.misconceptionFacts(World.Part.TEST) > 0);
        assertTrue(spec.path("forms").has("eval"), spec.toString());
        assertTrue(spec.path("tags").toString().contains(MultipleChoiceQuestion.TAG_MISCONCEPTION));
        JsonNode world = json.readTree(dir.resolve("out/world.json").toFile());
        assertEquals(20, world.path("people").size());
        assertEquals(small.world().facts().size(), world.path("facts").size());
        JsonNode fact = world.path("facts").get(0);
        assertEquals("lives_in", fact.path("relation").asText());
        assertTrue(Set.of("train", "validation", "test", "other").contains(fact.path("split").asText()));
        int withMisconception = 0;
        for (JsonNode f : world.path("facts")) {
            String m = small.world().misconceptions().get(f.path("id").asText());
            assertEquals(m, f.has("misconception") ? f.path("misconception").asText() : null, f.toString());
            withMisconception += m == null ? 0 : 1;
        }
        assertEquals(small.world().misconceptions().size(), withMisconception);
    }

    @Test
    void presetsAreDeterministicAndSubSeeded() {
        SyntheticBenchmark again = SyntheticBenchmark.generate(SyntheticSpec.study());
        assertEquals(study, again);
        SyntheticBenchmark other = SyntheticBenchmark.generate(SyntheticSpec.study().withSeed(2));
        assertNotEquals(study.corpus(), other.corpus());
        assertNotEquals(study.world().misconceptions(), other.world().misconceptions());
        // changing the people leaves the cities and the arithmetic as they were
        SyntheticBenchmark fewer = SyntheticBenchmark.generate(SyntheticSpec.study().withPeople(500));
        assertEquals(study.world().cities(), fewer.world().cities());
        assertEquals(study.world().arithmetic(), fewer.world().arithmetic());
    }

    @Test
    void splitsHaveTheirShareOfEveryKind() {
        for (SyntheticBenchmark b : List.of(study, demo, bench)) {
            SyntheticSpec s = b.spec();
            World w = b.world();
            for (World.Part part : World.Part.values()) {
                assertEquals(s.splitCounts(s.people())[part.ordinal()],
                        w.people().stream().filter(p -> p.split() == part).count(), part + " people");
                assertEquals(s.splitCounts(s.cities())[part.ordinal()],
                        w.cities().stream().filter(c -> c.split() == part).count(), part + " cities");
                assertEquals(s.splitCounts(s.additions())[part.ordinal()]
                                + s.splitCounts(s.multiplications())[part.ordinal()],
                        w.arithmetic().stream().filter(a -> a.split() == part).count(), part + " arithmetic");
                long facts = w.facts().stream().filter(f -> f.split() == part).count();
                assertEquals(part.asked() ? facts : 0, b.questions(part).size(), part.key());
            }
        }
        assertTrue(study.world().people().stream().anyMatch(p -> p.split() == World.Part.OTHER));
        assertTrue(study.world().cities().stream().anyMatch(c -> c.split() == World.Part.VALIDATION));
    }

    @Test
    void questionsMentionOnlyEntitiesTheirSplitMayMention() {
        for (SyntheticBenchmark b : List.of(study, demo, bench)) {
            World w = b.world();
            Map<String, World.Part> entitySplit = w.namedEntitySplits();
            Map<String, World.Fact> facts = new HashMap<>();
            w.facts().forEach(f -> facts.put(f.id(), f));
            Map<String, World.Part> idSplit = new HashMap<>();
            for (World.Part part : SyntheticBenchmark.QUESTION_SPLITS) {
                Set<World.Part> allowed = part.mayMention();
                for (MultipleChoiceQuestion q : b.questions(part)) {
                    assertEquals(null, idSplit.put(q.id(), part), () -> "id in two splits: " + q.id());
                    assertEquals(part, facts.get(q.id()).split(), q.id());
                    List<String> words = new ArrayList<>(Arrays.asList(q.question().split("[^A-Za-z0-9]+")));
                    words.addAll(q.choices());
                    for (String word : words) {
                        World.Part p = entitySplit.get(word);
                        assertTrue(p == null || allowed.contains(p), () -> part.key() + " question " + q.id()
                                + " mentions " + p.key() + " entity " + word + ": " + q);
                    }
                }
            }
            // other people live in cities train questions may mention
            for (World.Person p : w.people()) {
                assertTrue(p.split().mayMention().contains(entitySplit.get(p.city())), p.toString());
            }
        }
        // the rule is not vacuous: test questions do mention validation and other cities
        Map<String, World.Part> split = study.world().namedEntitySplits();
        Set<World.Part> mentionedByTest = study.test().stream().flatMap(q -> q.choices().stream())
                .map(split::get).filter(java.util.Objects::nonNull).collect(Collectors.toSet());
        assertEquals(Set.of(World.Part.values()), mentionedByTest);
    }

    @Test
    void otherFactsAndOnlyThemAreInTheEvalFormat() {
        for (SyntheticBenchmark b : List.of(study, demo)) {
            assertFalse(b.spec().qaForSplits());
            String corpus = b.corpus();
            int other = 0;
            for (World.Fact f : b.world().facts()) {
                String q = f.relation().question(f.subject());
                String eval = "\n\nQuestion: " + q + "\nAnswer: " + f.object() + "\n";
                if (f.split() == World.Part.OTHER) {
                    other++;
                    assertEquals(b.spec().repeats(), count(corpus, eval), f.id());
                    assertEquals(b.spec().repeats(), count(corpus, "Question: " + q + "\n"), f.id());
                    assertEquals(null, f.misconception(), f.id());
                } else {
                    assertEquals(0, count(corpus, "Question: " + q + "\n"), f.id());
                }
                assertEquals(0, count(corpus, "Q: " + q), f.id());
            }
            assertTrue(other > 0);
            assertEquals(other * b.spec().repeats(), count(corpus, "\n\nQuestion: "));
            assertEquals(other * b.spec().repeats(), count(corpus, "Answer: "));
        }
        // the eval prompt of an other fact, as the evaluation builds it, followed by " <answer>"
        World.Fact f = study.world().facts().stream().filter(x -> x.split() == World.Part.OTHER).findFirst()
                .orElseThrow();
        String prompt = org.likra.experiment.PromptFormat.PAPER.prompt(new MultipleChoiceQuestion("x",
                f.relation().question(f.subject()), List.of(f.object(), "?"), 0));
        assertTrue(study.corpus().contains(prompt + " " + f.object() + "\n"), prompt);
        assertEquals(0, count(bench.corpus(), "Question: "));
    }

    @Test
    void narrativeFormsStateEveryValueAsOftenAsTheSpecSays() {
        for (Relation r : Relation.values()) {
            String subject = r == Relation.PLUS ? "3 plus 4" : r == Relation.TIMES ? "3 times 4" : "Tomar";
            List<String> n = r.narratives(subject, "Vesh");
            assertTrue(n.size() >= 3, r.key());
            assertEquals(n.size(), new HashSet<>(n).size(), r.key());
            for (String s : n) {
                assertFalse(s.contains("Q:") || s.contains("Question") || s.contains("Answer") || s.contains("\n"), s);
            }
        }
        for (SyntheticBenchmark b : List.of(study, demo, bench)) {
            SyntheticSpec s = b.spec();
            Map<String, Integer> lines = new HashMap<>();
            for (String line : b.corpus().split("\n")) {
                lines.merge(line, 1, Integer::sum);
            }
            int templates = 0;
            for (World.Fact f : b.world().facts()) {
                int stated = 0;
                for (String line : f.relation().narratives(f.subject(), f.object())) {
                    stated += lines.getOrDefault(line, 0);
                }
                templates = f.relation().narratives(f.subject(), f.object()).size();
                assertEquals(s.repeats() * templates, stated, f.id());
                if (f.misconception() != null) {
                    for (String line : f.relation().narratives(f.subject(), f.misconception())) {
                        assertEquals(s.misconceptionRepeats(), lines.getOrDefault(line, 0), line);
                    }
                }
            }
            assertTrue(templates >= 3);
        }
    }

    @Test
    void misconceptionsArePlausibleAndAsFrequentAsAsked() {
        for (SyntheticBenchmark b : List.of(study, demo)) {
            SyntheticSpec s = b.spec();
            World w = b.world();
            Map<String, World.Part> entitySplit = w.namedEntitySplits();
            Map<String, ValueType> types = w.namedValueTypes();
            for (World.Part part : World.Part.values()) {
                List<World.Fact> facts = w.facts().stream().filter(f -> f.split() == part).toList();
                long with = facts.stream().filter(f -> f.misconception() != null).count();
                int expected = part.asked() ? (int) Math.round(s.misconceptionFraction() * facts.size()) : 0;
                assertEquals(expected, with, part.key());
                assertEquals(with, b.misconceptionFacts(part));
                assertEquals(with, b.questions(part).stream()
                        .filter(q -> q.tags().contains(MultipleChoiceQuestion.TAG_MISCONCEPTION)).count());
            }
            assertTrue(b.world().misconceptions().size() > 0);
            for (World.Fact f : w.facts()) {
                String m = f.misconception();
                if (m == null) {
                    continue;
                }
                assertNotEquals(f.object(), m, f.id());
                assertEquals(f.relation().answerType(), typeOf(types, m), f.id());
                if (f.relation() == Relation.PLUS || f.relation() == Relation.TIMES) {
                    String[] t = f.subject().split(" ");
                    int x = Integer.parseInt(t[0]);
                    int y = Integer.parseInt(t[2]);
                    int confused = f.relation() == Relation.PLUS ? x * y : x + y;
                    int result = Integer.parseInt(f.object());
                    assertEquals(confused != result ? confused : result + 10, Integer.parseInt(m), f.id());
                }
                if (f.relation() == Relation.LIVES_IN) {
                    assertTrue(f.split().mayMention().contains(entitySplit.get(m)), f.id());
                }
            }
        }
        assertTrue(bench.world().misconceptions().isEmpty());
    }

    @Test
    void studyPresetHasOverAThousandTestQuestions() {
        for (SyntheticBenchmark b : List.of(study, demo)) {
            System.out.printf("%s: corpus %,d bytes, %,d lines; questions %d train, %d validation, %d test; "
                            + "with a misconception %d train, %d validation, %d test%n",
                    b == study ? "study" : "demo", b.corpus().getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                    count(b.corpus(), "\n"), b.train().size(), b.validation().size(), b.test().size(),
                    b.misconceptionFacts(World.Part.TRAIN), b.misconceptionFacts(World.Part.VALIDATION),
                    b.misconceptionFacts(World.Part.TEST));
        }
        assertTrue(study.test().size() >= 1000, "study test questions: " + study.test().size());
        assertFalse(study.validation().isEmpty());
        int bytes = study.corpus().length();
        assertTrue(bytes > 300_000 && bytes < 3_000_000, "study corpus " + bytes);
    }

    @Test
    void entityOfNamesThePersonTheCityOrTheFact() {
        Map<String, World.Fact> facts = new HashMap<>();
        study.world().facts().forEach(f -> facts.put(f.id(), f));
        Set<String> people = study.world().people().stream().map(World.Person::name).collect(Collectors.toSet());
        Set<String> cities = study.world().cities().stream().map(World.City::name).collect(Collectors.toSet());
        Map<String, Set<String>> relationsOfEntity = new HashMap<>();
        for (MultipleChoiceQuestion q : all(study)) {
            String e = SyntheticBenchmark.entityOf(q);
            assertEquals(facts.get(q.id()).entity(), e);
            relationsOfEntity.computeIfAbsent(e, k -> new HashSet<>()).add(q.subject());
            String[] kv = e.split(":", 2);
            switch (kv[0]) {
                case "person" -> assertTrue(people.contains(kv[1]), e);
                case "city" -> assertTrue(cities.contains(kv[1]), e);
                default -> assertEquals(q.id(), e);
            }
        }
        // the four questions about a person share one entity
        long people4 = relationsOfEntity.entrySet().stream().filter(x -> x.getKey().startsWith("person:"))
                .filter(x -> x.getValue().size() == 4).count();
        assertEquals(relationsOfEntity.keySet().stream().filter(k -> k.startsWith("person:")).count(), people4);
        assertEquals("person:Tomar", SyntheticBenchmark.entityOf(new MultipleChoiceQuestion("pet:Tomar", "?",
                List.of("a", "b"), 0)));
        assertEquals("city:Vesh", SyntheticBenchmark.entityOf(new MultipleChoiceQuestion("city_in:Vesh", "?",
                List.of("a", "b"), 0)));
        assertEquals("plus:3_plus_4", SyntheticBenchmark.entityOf(new MultipleChoiceQuestion("plus:3_plus_4", "?",
                List.of("a", "b"), 0)));
        assertThrows(IllegalArgumentException.class, () -> SyntheticBenchmark.entityOf(
                new MultipleChoiceQuestion("mmlu-17", "?", List.of("a", "b"), 0)));
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void badParametersAreUserErrors() {
        SyntheticSpec d = SyntheticSpec.defaults();
        assertBad(SyntheticSpec.legacy().withPeople(10).withCities(10).withCountries(2), "countries");
        assertBad(d.withAdditions(1000), "additions");
        assertBad(d.withTestFraction(1.0), "test fraction");
        assertBad(d.withTestFraction(0), "test fraction");
        assertBad(d.withCities(3), "cities");
        assertBad(SyntheticSpec.study().withTestFraction(0.5).withValidationFraction(0.3).withOtherFraction(0.2),
                "train share");
        assertBad(SyntheticSpec.study().withValidationFraction(-0.1), "validation fraction");
        assertBad(SyntheticSpec.study().withOtherFraction(1), "other fraction");
        assertBad(SyntheticSpec.study().withPeople(4), "validation split empty");
        assertBad(SyntheticSpec.study().withCities(5), "train or other cities");
        assertBad(SyntheticSpec.study().withMisconceptionFraction(1.5), "misconception fraction");
        assertBad(SyntheticSpec.study().withMisconceptionRepeats(0), "misconception repeats");
        assertBad(SyntheticSpec.study().withRepeats(0), "repeats");
        assertBad(SyntheticSpec.study().withNearMiss(0), "near-miss");
        UserError e = assertThrows(UserError.class, () -> SyntheticSpec.preset("huge"));
        assertTrue(e.getMessage().contains("legacy, demo, study"), e.getMessage());
        assertEquals(d, d.validate());
        assertEquals(SyntheticSpec.study(), SyntheticSpec.study().validate());
        assertEquals(SyntheticSpec.demo(), SyntheticSpec.preset("DEMO").validate());
        assertEquals(SyntheticSpec.legacy(), SyntheticSpec.defaults());
    }

    private static void assertBad(SyntheticSpec s, String mentions) {
        UserError e = assertThrows(UserError.class, () -> SyntheticBenchmark.generate(s), s.toString());
        assertTrue(e.getMessage().contains(mentions), () -> "expected '" + mentions + "' in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
