package org.likra.data.synthetic;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The generated facts: countries, cities, people and arithmetic, each marked with the split whose questions ask
 * about it. Serialised as {@code world.json}.
 *
 * @param countries  country names
 * @param cities     cities with their country
 * @param people     people with their attributes
 * @param arithmetic addition and multiplication facts
 */
public record World(List<String> countries, List<City> cities, List<Person> people, List<Arithmetic> arithmetic) {

    /** Which question split asks about an entity. */
    public enum Part {
        TRAIN, TEST;

        @com.fasterxml.jackson.annotation.JsonValue
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
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
     * @param id       unique id, {@code <relation>:<subject with spaces as _>}
     * @param relation what is stated
     * @param subject  the entity asked about (a person's or city's name, or "3 plus 4")
     * @param object   the answer
     * @param split    which question split asks about it
     */
    public record Fact(String id, Relation relation, String subject, String object, Part split) {
        static Fact of(Relation relation, String subject, String object, Part split) {
            return new Fact(relation.key() + ":" + subject.replace(' ', '_'), relation, subject, object, split);
        }
    }

    public World {
        countries = List.copyOf(countries);
        cities = List.copyOf(cities);
        people = List.copyOf(people);
        arithmetic = List.copyOf(arithmetic);
    }

    /** Every fact, in a fixed order: people (city, profession, colour, pet), cities, arithmetic. */
    public List<Fact> facts() {
        List<Fact> out = new ArrayList<>();
        for (Person p : people) {
            out.add(Fact.of(Relation.LIVES_IN, p.name(), p.city(), p.split()));
            out.add(Fact.of(Relation.PROFESSION, p.name(), p.profession(), p.split()));
            out.add(Fact.of(Relation.FAVOURITE_COLOUR, p.name(), p.colour(), p.split()));
            out.add(Fact.of(Relation.PET, p.name(), p.pet(), p.split()));
        }
        for (City c : cities) {
            out.add(Fact.of(Relation.CITY_IN, c.name(), c.country(), c.split()));
        }
        for (Arithmetic a : arithmetic) {
            out.add(Fact.of(a.relation(), a.subject(), Integer.toString(a.result()), a.split()));
        }
        return out;
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
