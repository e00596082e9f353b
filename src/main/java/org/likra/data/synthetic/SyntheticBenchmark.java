package org.likra.data.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.data.JsonlQuestionWriter;
import org.likra.data.MultipleChoiceQuestion;
import org.likra.data.QuestionSets;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A synthetic knowledge benchmark: a made-up world, a pretraining corpus that states every fact of it in a few
 * paraphrases, and multiple-choice questions about the facts split into train and test.
 *
 * <p>People, cities and arithmetic facts are split once: the questions about a test entity are all test
 * questions, and no train question mentions a test entity, neither in its prompt nor among its choices (train
 * people live in train cities, and the city distractors of train questions are train cities). Test facts are
 * still stated in the corpus, so a base model pretrained on it has seen them.
 *
 * <p>Each question has the correct answer (tag {@code correct}), {@link SyntheticSpec#nearMiss()} distractors of
 * the same kind (another city; a number off by one or two; tag {@code near-miss}) and {@link SyntheticSpec#far()}
 * distractors of another kind (a colour for a city question; tag {@code far}), in a seeded random order.
 *
 * @param spec   the parameters it was generated from
 * @param world  the facts
 * @param corpus the pretraining text: one statement per line, LF line ends, shuffled
 * @param train  questions about train entities
 * @param test   questions about test entities
 */
public record SyntheticBenchmark(SyntheticSpec spec, World world, String corpus, List<MultipleChoiceQuestion> train,
                                 List<MultipleChoiceQuestion> test) {

    /** The files {@link #write(Path)} creates. */
    public static final List<String> FILES = List.of("corpus.txt", "train.jsonl", "test.jsonl", "world.json",
            "spec.json");

    public SyntheticBenchmark {
        train = List.copyOf(train);
        test = List.copyOf(test);
    }

    /** Generates the benchmark; the same spec always gives the same result. */
    public static SyntheticBenchmark generate(SyntheticSpec spec) {
        spec.validate();
        World world = generateWorld(spec);
        List<World.Fact> facts = world.facts();

        List<String> lines = new ArrayList<>();
        for (World.Fact f : facts) {
            for (String s : f.relation().statements(f.subject(), f.object())) {
                for (int r = 0; r < spec.repeats(); r++) {
                    lines.add(s);
                }
            }
        }
        String corpus = String.join("\n", QuestionSets.shuffle(lines, subSeed(spec.seed(), "corpus"))) + "\n";

        Distractors d = new Distractors(spec, world, rng(spec.seed(), "questions"));
        List<MultipleChoiceQuestion> train = new ArrayList<>();
        List<MultipleChoiceQuestion> test = new ArrayList<>();
        for (World.Fact f : facts) {
            (f.split() == World.Part.TEST ? test : train).add(d.question(f));
        }
        return new SyntheticBenchmark(spec, world,
                corpus,
                QuestionSets.shuffle(train, subSeed(spec.seed(), "train-order")),
                QuestionSets.shuffle(test, subSeed(spec.seed(), "test-order")));
    }

    private static World generateWorld(SyntheticSpec spec) {
        List<String> reserved = new ArrayList<>(Relation.templateWords());
        reserved.addAll(Vocabulary.PROFESSIONS);
        reserved.addAll(Vocabulary.COLOURS);
        reserved.addAll(Vocabulary.ANIMALS);
        NameGenerator names = new NameGenerator(rng(spec.seed(), "names"), reserved);
        List<String> countries = new ArrayList<>();
        for (int i = 0; i < spec.countries(); i++) {
            countries.add(names.next(2, 3, "ia"));
        }
        List<String> cityNames = new ArrayList<>();
        for (int i = 0; i < spec.cities(); i++) {
            cityNames.add(names.next(2, 3, ""));
        }
        List<String> personNames = new ArrayList<>();
        for (int i = 0; i < spec.people(); i++) {
            personNames.add(names.next(2, 2, ""));
        }

        Set<String> testCities = new HashSet<>(QuestionSets.split(cityNames, spec.testFraction(),
                subSeed(spec.seed(), "split-cities")).test());
        Random attr = rng(spec.seed(), "attributes");
        List<World.City> cities = new ArrayList<>();
        List<String> trainCityNames = new ArrayList<>();
        for (String c : cityNames) {
            World.Part part = testCities.contains(c) ? World.Part.TEST : World.Part.TRAIN;
            cities.add(new World.City(c, pick(countries, attr), part));
            if (part == World.Part.TRAIN) {
                trainCityNames.add(c);
            }
        }

        Set<String> testPeople = new HashSet<>(QuestionSets.split(personNames, spec.testFraction(),
                subSeed(spec.seed(), "split-people")).test());
        List<World.Person> people = new ArrayList<>();
        for (String p : personNames) {
            boolean isTest = testPeople.contains(p);
            // a train person's answers are mentioned by train questions, so they live in train cities
            String home = pick(isTest ? cityNames : trainCityNames, attr);
            people.add(new World.Person(p, home, pick(Vocabulary.PROFESSIONS, attr), pick(Vocabulary.COLOURS, attr),
                    pick(Vocabulary.ANIMALS, attr), isTest ? World.Part.TEST : World.Part.TRAIN));
        }

        List<World.Arithmetic> arithmetic = new ArrayList<>();
        arithmetic.addAll(arithmetic(spec, "plus", 0, spec.additions()));
        arithmetic.addAll(arithmetic(spec, "times", 1, spec.multiplications()));
        return new World(countries, cities, people, arithmetic);
    }

    private static List<World.Arithmetic> arithmetic(SyntheticSpec spec, String op, int min, int count) {
        List<int[]> pairs = new ArrayList<>();
        for (int a = min; a <= spec.maxOperand(); a++) {
            for (int b = a; b <= spec.maxOperand(); b++) {
                pairs.add(new int[]{a, b});
            }
        }
        List<int[]> chosen = QuestionSets.take(QuestionSets.shuffle(pairs, subSeed(spec.seed(), "pick-" + op)),
                count);
        int testCount = SyntheticSpec.testCount(count, spec.testFraction());
        List<World.Arithmetic> out = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i++) {
            int a = chosen.get(i)[0];
            int b = chosen.get(i)[1];
            int result = op.equals("plus") ? a + b : a * b;
            out.add(new World.Arithmetic(a, op, b, result, i < testCount ? World.Part.TEST : World.Part.TRAIN));
        }
        return out;
    }

    /** Builds the choices of each question. */
    private static final class Distractors {
        private final SyntheticSpec spec;
        private final Random rng;
        private final Map<ValueType, List<String>> all = new EnumMap<>(ValueType.class);
        private final List<String> trainCities = new ArrayList<>();
        private final int maxNumber;

        Distractors(SyntheticSpec spec, World world, Random rng) {
            this.spec = spec;
            this.rng = rng;
            all.put(ValueType.CITY, world.cities().stream().map(World.City::name).toList());
            all.put(ValueType.COUNTRY, world.countries());
            all.put(ValueType.PROFESSION, Vocabulary.PROFESSIONS);
            all.put(ValueType.COLOUR, Vocabulary.COLOURS);
            all.put(ValueType.ANIMAL, Vocabulary.ANIMALS);
            world.cities().stream().filter(c -> c.split() == World.Part.TRAIN).forEach(c -> trainCities.add(c.name()));
            maxNumber = Math.max(spec.maxOperand() * spec.maxOperand(), 2 * spec.maxOperand());
        }

        /** The values of a kind that a question of this split may mention. */
        private List<String> pool(ValueType type, World.Part split) {
            return type == ValueType.CITY && split == World.Part.TRAIN ? trainCities : all.get(type);
        }

        MultipleChoiceQuestion question(World.Fact f) {
            String correct = f.object();
            ValueType type = f.relation().answerType();
            LinkedHashSet<String> used = new LinkedHashSet<>();
            used.add(correct);
            List<String> choices = new ArrayList<>();
            List<String> tags = new ArrayList<>();
            choices.add(correct);
            tags.add(MultipleChoiceQuestion.TAG_CORRECT);
            for (String s : nearMisses(type, correct, f.split())) {
                used.add(s);
                choices.add(s);
                tags.add(MultipleChoiceQuestion.TAG_NEAR_MISS);
            }
            List<ValueType> others = new ArrayList<>(List.of(ValueType.values()));
            others.remove(type);
            for (int i = 0; i < spec.far(); i++) {
                String s;
                do {
                    ValueType t = pick(others, rng);
                    s = t == ValueType.NUMBER ? Integer.toString(rng.nextInt(maxNumber + 1)) : pick(pool(t, f.split()), rng);
                } while (used.contains(s));
                used.add(s);
                choices.add(s);
                tags.add(MultipleChoiceQuestion.TAG_FAR);
            }
            // shuffle choices and tags together
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < choices.size(); i++) {
                order.add(i);
            }
            order = QuestionSets.shuffle(order, rng.nextLong());
            List<String> c2 = new ArrayList<>();
            List<String> t2 = new ArrayList<>();
            for (int i : order) {
                c2.add(choices.get(i));
                t2.add(tags.get(i));
            }
            return new MultipleChoiceQuestion(f.id(), f.relation().question(f.subject()), c2, order.indexOf(0), t2,
                    f.relation().key());
        }

        private List<String> nearMisses(ValueType type, String correct, World.Part split) {
            List<String> candidates = new ArrayList<>();
            if (type == ValueType.NUMBER) {
                int c = Integer.parseInt(correct);
                // off by one or two; further only if that leaves too few (answers near 0)
                for (int dist = 1; candidates.size() < spec.nearMiss() || dist <= 2; dist++) {
                    if (c - dist >= 0) {
                        candidates.add(Integer.toString(c - dist));
                    }
                    candidates.add(Integer.toString(c + dist));
                }
            } else {
                for (String s : pool(type, split)) {
                    if (!s.equals(correct)) {
                        candidates.add(s);
                    }
                }
            }
            return QuestionSets.take(QuestionSets.shuffle(candidates, rng.nextLong()), spec.nearMiss());
        }
    }

    /**
     * Writes corpus.txt, train.jsonl, test.jsonl, world.json and spec.json into {@code dir} (created if needed;
     * existing files of these names are replaced). Returns the paths written, in that order.
     */
    public List<Path> write(Path dir) {
        try {
            Files.createDirectories(dir);
            Path corpusFile = dir.resolve("corpus.txt");
            Files.writeString(corpusFile, corpus, StandardCharsets.UTF_8);
            Path trainFile = dir.resolve("train.jsonl");
            JsonlQuestionWriter.write(trainFile, train);
            Path testFile = dir.resolve("test.jsonl");
            JsonlQuestionWriter.write(testFile, test);
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            Path worldFile = dir.resolve("world.json");
            ObjectNode w = json.valueToTree(world);
            w.set("facts", json.valueToTree(world.facts()));
            json.writeValue(worldFile.toFile(), w);
            Path specFile = dir.resolve("spec.json");
            json.writeValue(specFile.toFile(), describe(json));
            return List.of(corpusFile, trainFile, testFile, worldFile, specFile);
        } catch (IOException e) {
            throw new UserError("cannot write the synthetic benchmark to " + dir + ": " + e.getMessage()
                    + "; check that the folder is writable", e);
        }
    }

    /** The contents of spec.json: what the files are, the parameters and the sizes. */
    public ObjectNode describe(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.put("description", "Synthetic knowledge benchmark generated by likra-jvm (org.likra.data.synthetic). "
                + "Regenerate it exactly with the same parameters and seed.");
        ObjectNode files = o.putObject("files");
        files.put("corpus.txt", "pretraining text: every fact, train and test, stated in " + statementsPerFact()
                + " paraphrases, each repeated " + spec.repeats() + " times, one statement per line, shuffled");
        files.put("train.jsonl", "multiple-choice questions about train entities (likra JSONL: id, question, "
                + "choices, answer index, tags, subject = relation)");
        files.put("test.jsonl", "multiple-choice questions about test entities; no train question mentions a "
                + "test entity, but the corpus states every test fact");
        files.put("world.json", "the generated world: countries, cities, people, arithmetic and the list of facts "
                + "with their split");
        files.put("spec.json", "this file");
        o.set("parameters", json.valueToTree(spec));
        ObjectNode sizes = o.putObject("sizes");
        sizes.put("corpusBytes", corpus.getBytes(StandardCharsets.UTF_8).length);
        sizes.put("corpusLines", corpus.isEmpty() ? 0 : corpus.split("\n", -1).length - 1);
        sizes.put("facts", world.facts().size());
        sizes.put("trainQuestions", train.size());
        sizes.put("testQuestions", test.size());
        sizes.put("choicesPerQuestion", spec.choices());
        ArrayNode tags = o.putArray("tags");
        tags.add(MultipleChoiceQuestion.TAG_CORRECT + ": the answer");
        tags.add(MultipleChoiceQuestion.TAG_NEAR_MISS + ": same kind as the answer (another city, a number off by "
                + "one or two)");
        tags.add(MultipleChoiceQuestion.TAG_FAR + ": another kind than the answer (a colour for a city question)");
        return o;
    }

    private static int statementsPerFact() {
        return Relation.LIVES_IN.statements("x", "y").size();
    }

    private static <T> T pick(List<T> items, Random rng) {
        return items.get(rng.nextInt(items.size()));
    }

    /** A seed for one purpose, so that changing one part of the spec does not reshuffle the others. */
    static long subSeed(long seed, String purpose) {
        long z = seed * 0x9E3779B97F4A7C15L + purpose.hashCode();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static Random rng(long seed, String purpose) {
        return new Random(subSeed(seed, purpose));
    }
}
