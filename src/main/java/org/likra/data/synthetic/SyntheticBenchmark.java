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
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A synthetic knowledge benchmark: a made-up world, a pretraining corpus that states its facts, and
 * multiple-choice questions about the facts in three question splits.
 *
 * <p><b>Splits.</b> People, cities and arithmetic facts are each split once into TRAIN, VALIDATION, TEST and
 * OTHER ({@link World.Part}; {@link SyntheticSpec#splitCounts}). Every fact of a TRAIN, VALIDATION or TEST entity
 * gives one question in {@link #train}, {@link #validation} or {@link #test}; OTHER entities get no questions. A
 * question of split S mentions, in its prompt and among its choices, only entities of the splits
 * {@link World.Part#mayMention() S may mention}: TRAIN questions TRAIN and OTHER entities, VALIDATION questions
 * also VALIDATION entities, TEST questions any (so a train person lives in a train or other city, and the city
 * distractors of train questions are train or other cities). OTHER people live in train or other cities.
 * Arithmetic facts mention no other entity.
 *
 * <p><b>Corpus.</b> Every fact of every split is stated in the relation's narrative paraphrases, each
 * {@link SyntheticSpec#repeats()} times. The facts of OTHER entities are also stated {@code repeats} times in the
 * paper's evaluation format ({@link Relation#evalStatement}), so the corpus contains
 * {@code "\n\nQuestion: <q>\nAnswer: <a>\n"}; with {@link SyntheticSpec#qaForSplits()} the facts of TRAIN,
 * VALIDATION and TEST entities are also stated {@code repeats} times as {@code "Q: <q> A: <a>."}. Statements are
 * shuffled and joined with line feeds (a corpus that would start with an evaluation-format statement gets one
 * more leading line feed, so every such statement is preceded by a blank line).
 *
 * <p><b>Misconceptions.</b> For {@link SyntheticSpec#misconceptionFraction()} of the facts of each question split
 * (rounded) the corpus also states a false value of the answer's type in every narrative paraphrase,
 * {@link SyntheticSpec#misconceptionRepeats()} times each: for arithmetic the other operation's result when it
 * differs (3 plus 4 → 12, 3 times 4 → 7), else the true result + 10; otherwise a random other value the split may
 * mention (another city, country, profession, colour or pet). {@link World#misconceptions()} records them.
 *
 * <p><b>Choices.</b> Each question has the correct answer (tag {@code correct}), {@link SyntheticSpec#nearMiss()}
 * distractors of the same type (another city; a number off by one or two; tag {@code near-miss}) and
 * {@link SyntheticSpec#far()} distractors of another type (a colour for a city question; tag {@code far}), in a
 * seeded random order. When the fact has a misconception, the false value (tag {@code misconception}) takes the
 * place of one near-miss, so every question has the same number of same-type choices.
 *
 * <p><b>Ids and entities.</b> A question's id is {@code <relation>:<subject with spaces as _>}. The entity it is
 * about (the cluster of a bootstrap over entities) is the person for the person relations, the city for
 * {@code city_in} and the fact itself for arithmetic: {@link #entityOf} gives {@code person:Tomar},
 * {@code city:Vesh} or {@code plus:3_plus_4}.
 *
 * @param spec       the parameters it was generated from
 * @param world      the facts
 * @param corpus     the pretraining text: statements joined with LF line ends, shuffled
 * @param train      questions about TRAIN entities
 * @param validation questions about VALIDATION entities
 * @param test       questions about TEST entities
 */
public record SyntheticBenchmark(SyntheticSpec spec, World world, String corpus, List<MultipleChoiceQuestion> train,
                                 List<MultipleChoiceQuestion> validation, List<MultipleChoiceQuestion> test) {

    /** The files {@link #write(Path)} creates. */
    public static final List<String> FILES = List.of("corpus.txt", "train.jsonl", "validation.jsonl", "test.jsonl",
            "world.json", "spec.json");

    /** The splits that have questions, in file order. */
    public static final List<World.Part> QUESTION_SPLITS = List.of(World.Part.TRAIN, World.Part.VALIDATION,
            World.Part.TEST);

    public SyntheticBenchmark {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
    }

    /** The questions of a split (empty for OTHER). */
    public List<MultipleChoiceQuestion> questions(World.Part part) {
        return switch (part) {
            case TRAIN -> train;
            case VALIDATION -> validation;
            case TEST -> test;
            case OTHER -> List.of();
        };
    }

    /**
     * The entity a synthetic question is about, from its id: {@code person:<name>} for the person relations,
     * {@code city:<name>} for {@code city_in}, and the id itself ({@code plus:3_plus_4}) for arithmetic.
     *
     * @throws IllegalArgumentException when the id is not {@code <relation>:<subject>} of a synthetic relation
     */
    public static String entityOf(MultipleChoiceQuestion q) {
        String id = q.id();
        int colon = id.indexOf(':');
        Relation r = colon < 0 ? null : Relation.ofKey(id.substring(0, colon));
        if (r == null || colon == id.length() - 1) {
            throw new IllegalArgumentException("question id " + id + " is not <relation>:<subject> of a synthetic "
                    + "relation");
        }
        return World.entityOf(r, id.substring(colon + 1));
    }

    /** The statements of one fact in the corpus, each as often as the corpus states it, in a fixed order. */
    public static List<String> statements(SyntheticSpec spec, World.Fact f) {
        List<String> out = new ArrayList<>();
        for (String s : f.relation().narratives(f.subject(), f.object())) {
            for (int r = 0; r < spec.repeats(); r++) {
                out.add(s);
            }
        }
        if (f.misconception() != null) {
            for (String s : f.relation().narratives(f.subject(), f.misconception())) {
                for (int r = 0; r < spec.misconceptionRepeats(); r++) {
                    out.add(s);
                }
            }
        }
        String extra = f.split() == World.Part.OTHER ? f.relation().evalStatement(f.subject(), f.object())
                : spec.qaForSplits() ? f.relation().qaStatement(f.subject(), f.object()) : null;
        if (extra != null) {
            for (int r = 0; r < spec.repeats(); r++) {
                out.add(extra);
            }
        }
        return out;
    }

    /** Generates the benchmark; the same spec always gives the same result. */
    public static SyntheticBenchmark generate(SyntheticSpec spec) {
        spec.validate();
        World world = generateWorld(spec);
        List<World.Fact> facts = world.facts();

        List<String> lines = new ArrayList<>();
        for (World.Fact f : facts) {
            lines.addAll(statements(spec, f));
        }
        String corpus = String.join("\n", QuestionSets.shuffle(lines, subSeed(spec.seed(), "corpus"))) + "\n";
        if (corpus.startsWith("\n")) {
            corpus = "\n" + corpus;
        }

        Distractors d = new Distractors(spec, world, rng(spec.seed(), "questions"));
        Map<World.Part, List<MultipleChoiceQuestion>> questions = new EnumMap<>(World.Part.class);
        QUESTION_SPLITS.forEach(p -> questions.put(p, new ArrayList<>()));
        for (World.Fact f : facts) {
            if (f.split().asked()) {
                questions.get(f.split()).add(d.question(f));
            }
        }
        return new SyntheticBenchmark(spec, world, corpus,
                QuestionSets.shuffle(questions.get(World.Part.TRAIN), subSeed(spec.seed(), "train-order")),
                QuestionSets.shuffle(questions.get(World.Part.VALIDATION), subSeed(spec.seed(), "validation-order")),
                QuestionSets.shuffle(questions.get(World.Part.TEST), subSeed(spec.seed(), "test-order")));
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

        Map<String, World.Part> citySplit = assignParts(spec, cityNames, "split-cities");
        Random attr = rng(spec.seed(), "attributes");
        List<World.City> cities = new ArrayList<>();
        for (String c : cityNames) {
            cities.add(new World.City(c, pick(countries, attr), citySplit.get(c)));
        }
        Map<World.Part, List<String>> citiesFor = citiesBySplit(cities);

        Map<String, World.Part> personSplit = assignParts(spec, personNames, "split-people");
        List<World.Person> people = new ArrayList<>();
        for (String p : personNames) {
            World.Part part = personSplit.get(p);
            // a person's home city is mentioned by the person's question, so it is a city that split may mention
            String home = pick(citiesFor.get(part), attr);
            people.add(new World.Person(p, home, pick(Vocabulary.PROFESSIONS, attr), pick(Vocabulary.COLOURS, attr),
                    pick(Vocabulary.ANIMALS, attr), part));
        }

        List<World.Arithmetic> arithmetic = new ArrayList<>();
        arithmetic.addAll(arithmetic(spec, "plus", 0, spec.additions()));
        arithmetic.addAll(arithmetic(spec, "times", 1, spec.multiplications()));
        World plain = new World(countries, cities, people, arithmetic, Map.of());
        return new World(countries, cities, people, arithmetic, misconceptions(spec, plain, citiesFor));
    }

    /** Shuffles {@code items} with a sub-seed and gives the first ones TEST, then VALIDATION, OTHER and TRAIN. */
    private static Map<String, World.Part> assignParts(SyntheticSpec spec, List<String> items, String purpose) {
        List<String> order = QuestionSets.shuffle(items, subSeed(spec.seed(), purpose));
        return partsByPosition(spec, order.size(), order);
    }

    private static <T> Map<T, World.Part> partsByPosition(SyntheticSpec spec, int n, List<T> order) {
        int[] counts = spec.splitCounts(n);
        Map<T, World.Part> out = new HashMap<>();
        int i = 0;
        for (World.Part part : List.of(World.Part.TEST, World.Part.VALIDATION, World.Part.OTHER, World.Part.TRAIN)) {
            for (int k = 0; k < counts[part.ordinal()]; k++) {
                out.put(order.get(i++), part);
            }
        }
        return out;
    }

    /** For each split, the names of the cities its questions may mention, in world order. */
    private static Map<World.Part, List<String>> citiesBySplit(List<World.City> cities) {
        Map<World.Part, List<String>> out = new EnumMap<>(World.Part.class);
        for (World.Part part : World.Part.values()) {
            out.put(part, cities.stream().filter(c -> part.mayMention().contains(c.split())).map(World.City::name)
                    .toList());
        }
        return out;
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
        Map<int[], World.Part> parts = partsByPosition(spec, chosen.size(), chosen);
        List<World.Arithmetic> out = new ArrayList<>();
        for (int[] pair : chosen) {
            int a = pair[0];
            int b = pair[1];
            int result = op.equals("plus") ? a + b : a * b;
            out.add(new World.Arithmetic(a, op, b, result, parts.get(pair)));
        }
        return out;
    }

    /**
     * Picks, for each question split separately, {@code round(misconceptionFraction * facts)} of its facts and a
     * false value for each (see the class comment).
     */
    private static Map<String, String> misconceptions(SyntheticSpec spec, World world,
                                                      Map<World.Part, List<String>> citiesFor) {
        Map<String, String> out = new HashMap<>();
        List<World.Fact> facts = world.facts();
        for (World.Part part : QUESTION_SPLITS) {
            List<World.Fact> ofPart = facts.stream().filter(f -> f.split() == part).toList();
            int n = SyntheticSpec.round(spec.misconceptionFraction(), ofPart.size());
            List<World.Fact> chosen = QuestionSets.take(QuestionSets.shuffle(ofPart,
                    subSeed(spec.seed(), "misconceptions-" + part.key())), n);
            Random rumours = rng(spec.seed(), "rumours-" + part.key());
            for (World.Fact f : chosen) {
                out.put(f.id(), falseValue(f, world, citiesFor.get(part), rumours));
            }
        }
        return out;
    }

    private static String falseValue(World.Fact f, World world, List<String> cities, Random rng) {
        List<String> pool = switch (f.relation()) {
            case PLUS, TIMES -> {
                String[] w = f.subject().split(" ");
                int a = Integer.parseInt(w[0]);
                int b = Integer.parseInt(w[2]);
                int result = Integer.parseInt(f.object());
                int confused = f.relation() == Relation.PLUS ? a * b : a + b; // the common confusion
                yield List.of(Integer.toString(confused != result ? confused : result + 10));
            }
            case LIVES_IN -> cities;
            case CITY_IN -> world.countries();
            case PROFESSION -> Vocabulary.PROFESSIONS;
            case FAVOURITE_COLOUR -> Vocabulary.COLOURS;
            case PET -> Vocabulary.ANIMALS;
        };
        if (pool.size() == 1) {
            return pool.get(0);
        }
        String v;
        do {
            v = pick(pool, rng);
        } while (v.equals(f.object()));
        return v;
    }

    /** Builds the choices of each question. */
    private static final class Distractors {
        private final SyntheticSpec spec;
        private final Random rng;
        private final Map<ValueType, List<String>> all = new EnumMap<>(ValueType.class);
        private final Map<World.Part, List<String>> citiesFor;
        private final int maxNumber;

        Distractors(SyntheticSpec spec, World world, Random rng) {
            this.spec = spec;
            this.rng = rng;
            all.put(ValueType.CITY, world.cities().stream().map(World.City::name).toList());
            all.put(ValueType.COUNTRY, world.countries());
            all.put(ValueType.PROFESSION, Vocabulary.PROFESSIONS);
            all.put(ValueType.COLOUR, Vocabulary.COLOURS);
            all.put(ValueType.ANIMAL, Vocabulary.ANIMALS);
            citiesFor = citiesBySplit(world.cities());
            maxNumber = Math.max(spec.maxOperand() * spec.maxOperand(), 2 * spec.maxOperand());
        }

        /** The values of a type that a question of this split may mention. */
        private List<String> pool(ValueType type, World.Part split) {
            return type == ValueType.CITY ? citiesFor.get(split) : all.get(type);
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
            int nearMisses = spec.nearMiss();
            if (f.misconception() != null) {
                used.add(f.misconception());
                choices.add(f.misconception());
                tags.add(MultipleChoiceQuestion.TAG_MISCONCEPTION);
                nearMisses--;
            }
            for (String s : nearMisses(type, correct, f.split(), used, nearMisses)) {
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

        /** {@code n} same-type values that are not in {@code used}. */
        private List<String> nearMisses(ValueType type, String correct, World.Part split, Set<String> used, int n) {
            List<String> candidates = new ArrayList<>();
            if (type == ValueType.NUMBER) {
                int c = Integer.parseInt(correct);
                // off by one or two; further only if that leaves too few (answers near 0)
                for (int dist = 1; candidates.size() < n || dist <= 2; dist++) {
                    for (int v : new int[]{c - dist, c + dist}) {
                        if (v >= 0 && !used.contains(Integer.toString(v))) {
                            candidates.add(Integer.toString(v));
                        }
                    }
                }
            } else {
                for (String s : pool(type, split)) {
                    if (!used.contains(s)) {
                        candidates.add(s);
                    }
                }
            }
            return QuestionSets.take(QuestionSets.shuffle(candidates, rng.nextLong()), n);
        }
    }

    /**
     * Writes corpus.txt, train.jsonl, validation.jsonl, test.jsonl, world.json and spec.json into {@code dir}
     * (created if needed; existing files of these names are replaced). Returns the paths written, in that order.
     */
    public List<Path> write(Path dir) {
        try {
            Files.createDirectories(dir);
            Path corpusFile = dir.resolve("corpus.txt");
            Files.writeString(corpusFile, corpus, StandardCharsets.UTF_8);
            List<Path> out = new ArrayList<>(List.of(corpusFile));
            for (World.Part part : QUESTION_SPLITS) {
                Path f = dir.resolve(part.key() + ".jsonl");
                JsonlQuestionWriter.write(f, questions(part));
                out.add(f);
            }
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            Path worldFile = dir.resolve("world.json");
            ObjectNode w = json.valueToTree(world);
            w.set("facts", json.valueToTree(world.facts()));
            json.writeValue(worldFile.toFile(), w);
            out.add(worldFile);
            Path specFile = dir.resolve("spec.json");
            json.writeValue(specFile.toFile(), describe(json));
            out.add(specFile);
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UserError("cannot write the synthetic benchmark to " + dir + ": " + e.getMessage()
                    + "; check that the folder is writable", e);
        }
    }

    /** Number of facts of a split that have a misconception. */
    public int misconceptionFacts(World.Part part) {
        return (int) world.facts().stream().filter(f -> f.split() == part && f.misconception() != null).count();
    }

    /** The contents of spec.json: what the files are, the splits, the corpus forms, the parameters and the sizes. */
    public ObjectNode describe(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.put("description", "Synthetic knowledge benchmark generated by likra-jvm (org.likra.data.synthetic). "
                + "Regenerate it exactly with the same parameters and seed.");
        ObjectNode files = o.putObject("files");
        files.put("corpus.txt", "pretraining text: the statements of every fact (see forms), shuffled, joined with "
                + "line feeds");
        files.put("train.jsonl", "multiple-choice questions about train entities (likra JSONL: id = "
                + "<relation>:<subject>, question, choices, answer index, tags, subject = relation)");
        files.put("validation.jsonl", "multiple-choice questions about validation entities");
        files.put("test.jsonl", "multiple-choice questions about test entities");
        files.put("world.json", "the generated world: countries, cities, people, arithmetic, misconceptions and "
                + "the list of facts with their split and misconception");
        files.put("spec.json", "this file");
        ObjectNode splits = o.putObject("splits");
        splits.put("train", "questions in train.jsonl; they mention only train and other entities");
        splits.put("validation", "questions in validation.jsonl; they mention only train, validation and other "
                + "entities");
        splits.put("test", "questions in test.jsonl; they may mention any entity");
        splits.put("other", "no questions; their facts are also stated in the evaluation format; other people "
                + "live in train or other cities");
        splits.put("entity", "people, cities and arithmetic facts are split; a question's entity (bootstrap "
                + "cluster) is person:<name> for person relations, city:<name> for city_in, the question id for "
                + "arithmetic");
        ObjectNode forms = o.putObject("forms");
        forms.put("narrative", statementsPerFact() + " paraphrases per relation, each fact of every split stated "
                + spec.repeats() + " times in each");
        forms.put("eval", "facts of other entities also as \"\\n\\nQuestion: <question>\\nAnswer: <answer>\\n\", "
                + spec.repeats() + " times");
        forms.put("qa", spec.qaForSplits() ? "facts of train, validation and test entities also as \"Q: "
                + "<question> A: <answer>.\", " + spec.repeats() + " times" : "not used");
        forms.put("misconception", "a false value of the answer's type for " + spec.misconceptionFraction()
                + " of the facts of each question split, stated " + spec.misconceptionRepeats() + " times in each "
                + "narrative paraphrase (arithmetic: the other operation's result, else the result + 10; otherwise "
                + "another value the split may mention)");
        o.set("parameters", json.valueToTree(spec));
        ObjectNode sizes = o.putObject("sizes");
        sizes.put("corpusBytes", corpus.getBytes(StandardCharsets.UTF_8).length);
        sizes.put("corpusLines", corpus.chars().filter(ch -> ch == '\n').count());
        sizes.put("facts", world.facts().size());
        for (World.Part part : QUESTION_SPLITS) {
            sizes.put(part.key() + "Questions", questions(part).size());
        }
        ObjectNode misc = sizes.putObject("factsWithMisconceptions");
        for (World.Part part : QUESTION_SPLITS) {
            misc.put(part.key(), misconceptionFacts(part));
        }
        sizes.put("choicesPerQuestion", spec.choices());
        ArrayNode tags = o.putArray("tags");
        tags.add(MultipleChoiceQuestion.TAG_CORRECT + ": the answer");
        tags.add(MultipleChoiceQuestion.TAG_NEAR_MISS + ": same type as the answer (another city, a number off by "
                + "one or two)");
        tags.add(MultipleChoiceQuestion.TAG_MISCONCEPTION + ": the false value the corpus also states for the fact; "
                + "takes the place of one near-miss");
        tags.add(MultipleChoiceQuestion.TAG_FAR + ": another type than the answer (a colour for a city question)");
        return o;
    }

    private static int statementsPerFact() {
        return Relation.LIVES_IN.narratives("x", "y").size();
    }

    private static <T> T pick(List<T> items, Random rng) {
        return items.get(rng.nextInt(items.size()));
    }

    /** A seed for one purpose, so that changing one part of the spec does not reshuffle the others. */
    static long subSeed(long seed, String purpose) {
        return org.likra.util.Seeds.derive(seed, purpose);
    }

    static Random rng(long seed, String purpose) {
        return new Random(subSeed(seed, purpose));
    }
}
