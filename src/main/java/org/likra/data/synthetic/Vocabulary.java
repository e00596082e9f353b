package org.likra.data.synthetic;

import java.util.List;

/** The fixed word lists of the synthetic world (kept small so a tiny byte-level model can learn them). */
public final class Vocabulary {
    /** Professions, all starting with a consonant ("works as a baker"). */
    public static final List<String> PROFESSIONS = List.of("baker", "farmer", "teacher", "doctor", "painter",
            "sailor", "singer", "tailor", "miner", "potter", "hunter", "weaver");
    /** Colours. */
    public static final List<String> COLOURS = List.of("red", "blue", "green", "yellow", "purple", "orange",
            "black", "white", "pink", "brown");
    /** Pets, all starting with a consonant ("has a pet cat"). */
    public static final List<String> ANIMALS = List.of("cat", "dog", "horse", "rabbit", "parrot", "goat", "fish",
            "mouse", "turtle", "snake");

    private Vocabulary() {
    }

    static int smallestPool() {
        return Math.min(PROFESSIONS.size(), Math.min(COLOURS.size(), ANIMALS.size()));
    }
}
