package org.likra.data.synthetic;

/** The kinds of answers in the synthetic world; near-miss distractors share the answer's kind, far ones do not. */
public enum ValueType {
    CITY, COUNTRY, PROFESSION, COLOUR, ANIMAL, NUMBER
}
