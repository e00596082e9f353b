package org.likra.data.synthetic;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The generated facts: countries, cities, people and arithmetic, each marked with the split whose questions ask
 * about it, and the misconceptions (false values the corpus also states). Serialised as {@code world.json}.
 *
 * @param countries      country names
 * @param cities         cities with their country
 * @param people         people with their attributes
 * @param arithmetic     addition and multiplication facts
 * @param misconceptions fact id to the false value the corpus states beside the true one (sorted by id)
 */
public record World(List<String> countries, List<City> cities, List<Person> people, List<Arithmetic> arithmetic,
                    Map<String, String> misconceptions) {

    /**
     * Which split an entity belongs to. TRAIN, VALIDATION and TEST entities are asked about in the question file
     * of that name; OTHER entities get no questions (the corpus states their facts in the evaluation format too).
     */
    public enum Part {
        TRAIN, VALIDATION, TEST, OTHER;

        @com.fasterxml.jackson.annotation.JsonValue
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Whether questions are asked about entities of this split. */
        public boolean asked() {
            return this != OTHER;
        }

        /**
         * The splits whose entities a question of this split (its prompt and its choices) may mention: TRAIN and
         * OTHER may mention TRAIN and OTHER; VALIDATION also VALIDATION; TEST any. The facts of OTHER entities
         * (stated in the evaluation format) follow the TRAIN rule.
         */
        public Set<Part> mayMention() {
            return switch (this) {
                case TRAIN, OTHER -> EnumSet.of(TRAIN, OTHER);
                case VALIDATION -> EnumSet.of(TRAIN, VALIDATION, OTHER);
                case TEST -> EnumSet.allOf(Part.class);
            };
        }
    }

    /** A city and its country. */
    public record City(String name, String country, Part split) {
    }

    /** A person and their attributes. */
    public record Person(String name, String city, String profession, String colour, String pet, Part split) {
    }

    /** {@code a op b = result} with {@code op} "plus" or "times" and {@code a <= b}. */
    public record Arithmetic(int a, String op, int b, int result, Part split) {
        /** The phrase that names the fact: "3 plus 4". */
        public String subject() {
            return a + " " + op + " " + b;
        }

        public Relation relation() {
            return op.equals("plus") ? Relation.PLUS : Relation.TIMES;
        }
    }

    /**
     * One fact: {@code relation(subject) = object}.
     *
     * @param id            unique id, {@code <relation>:<subject with spaces as _>}
     * @param relation      what is stated
     * @param subject       the entity asked about (a person's or city's name, or "3 plus 4")
     * @param object        the answer
     * @param split         which split the entity belongs to
     * @param misconception the false value the corpus also states, or null (omitted from JSON) when none
     */
    public record Fact(String id, Relation relation, String subject, String object, Part split,
                       @JsonInclude(JsonInclude.Include.NON_NULL) String misconception) {
        /** The fact's id: {@code <relation>:<subject with spaces as _>}. */
        static String idOf(Relation relation, String subject) {
            return relation.key() + ":" + subject.replace(' ', '_');
        }

        /**
         * The entity the fact is about, a key unique in the world: {@code person:<name>} for the person relations,
         * {@code city:<name>} for {@code city_in}, and the fact's id ({@code plus:3_plus_4}) for arithmetic.
         */
        public String entity() {
            return entityOf(relation, subject.replace(' ', '_'));
        }
    }

    /** The entity key of a fact given its relation and its subject with spaces as "_" (see {@link Fact#entity()}). */
    static String entityOf(Relation relation, String subjectKey) {
        if (relation.aboutPerson()) {
            return "person:" + subjectKey;
        }
        if (relation == Relation.CITY_IN) {
            return "city:" + subjectKey;
        }
        return relation.key() + ":" + subjectKey;
    }

    public World {
        countries = List.copyOf(countries);
        cities = List.copyOf(cities);
        people = List.copyOf(people);
        arithmetic = List.copyOf(arithmetic);
        misconceptions = Collections.unmodifiableMap(new TreeMap<>(misconceptions));
    }

    /** Every fact, in a fixed order: people (city, profession, colour, pet), cities, arithmetic. */
    public List<Fact> facts() {
        List<Fact> out = new ArrayList<>();
        for (Person p : people) {
            out.add(fact(Relation.LIVES_IN, p.name(), p.city(), p.split()));
            out.add(fact(Relation.PROFESSION, p.name(), p.profession(), p.split()));
            out.add(fact(Relation.FAVOURITE_COLOUR, p.name(), p.colour(), p.split()));
            out.add(fact(Relation.PET, p.name(), p.pet(), p.split()));
        }
        for (City c : cities) {
            out.add(fact(Relation.CITY_IN, c.name(), c.country(), c.split()));
        }
        for (Arithmetic a : arithmetic) {
            out.add(fact(a.relation(), a.subject(), Integer.toString(a.result()), a.split()));
        }
        return out;
    }

    private Fact fact(Relation relation, String subject, String object, Part split) {
        String id = Fact.idOf(relation, subject);
        return new Fact(id, relation, subject, object, split, misconceptions.get(id));
    }

    /** The split of every person and city by name (arithmetic facts mention no other entity). */
    public Map<String, Part> namedEntitySplits() {
        Map<String, Part> m = new HashMap<>();
        cities.forEach(c -> m.put(c.name(), c.split()));
        people.forEach(p -> m.put(p.name(), p.split()));
        return m;
    }

    /**
     * The kind of an answer text: a city, country, profession, colour, animal or number; null when it is none.
     * Names are unique across kinds, so the kind of every answer and distractor is well defined.
     */
    public ValueType typeOf(String value) {
        return value.matches("\\d+") ? ValueType.NUMBER : namedValueTypes().get(value);
    }

    /** The kind of every named value (cities, countries and the vocabularies; numbers are not listed). */
    public Map<String, ValueType> namedValueTypes() {
        Map<String, ValueType> m = new HashMap<>();
        cities.forEach(c -> m.put(c.name(), ValueType.CITY));
        countries.forEach(c -> m.put(c, ValueType.COUNTRY));
        Vocabulary.PROFESSIONS.forEach(v -> m.put(v, ValueType.PROFESSION));
        Vocabulary.COLOURS.forEach(v -> m.put(v, ValueType.COLOUR));
        Vocabulary.ANIMALS.forEach(v -> m.put(v, ValueType.ANIMAL));
        return m;
    }
}
