package org.likra.data.synthetic;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Makes up pronounceable, capitalised names from consonant-vowel syllables ("Tomar", "Velis", "Dradria"),
 * never the same name twice and never an English word used by the corpus templates or vocabularies.
 */
public final class NameGenerator {
    private static final String[] ONSETS = {"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
            "br", "dr", "kr", "tr", "sh"};
    private static final String[] VOWELS = {"a", "e", "i", "o", "u"};
    private static final String[] CODAS = {"", "", "", "n", "r", "s", "l"};

    private final Random rng;
    private final Set<String> used = new HashSet<>();

    public NameGenerator(Random rng, List<String> reserved) {
        this.rng = rng;
        for (String r : reserved) {
            used.add(r.toLowerCase(Locale.ROOT));
        }
    }

    /**
     * A fresh name of {@code minSyllables..maxSyllables} syllables; a non-empty {@code suffix} (such as "ia")
     * replaces the vowel of the last syllable.
     */
    public String next(int minSyllables, int maxSyllables, String suffix) {
        for (int attempt = 0; attempt < 100_000; attempt++) {
            int n = minSyllables + rng.nextInt(maxSyllables - minSyllables + 1);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < n; i++) {
                sb.append(ONSETS[rng.nextInt(ONSETS.length)]).append(VOWELS[rng.nextInt(VOWELS.length)]);
            }
            if (suffix.isEmpty()) {
                sb.append(CODAS[rng.nextInt(CODAS.length)]);
            } else {
                sb.setLength(sb.length() - 1); // the suffix replaces the last vowel: "Dradra" + "ia" = "Dradria"
                sb.append(suffix);
            }
            String name = sb.toString();
            if (used.add(name)) {
                return Character.toUpperCase(name.charAt(0)) + name.substring(1);
            }
        }
        throw new IllegalStateException("ran out of names with " + minSyllables + ".." + maxSyllables + " syllables");
    }
}
