package org.likra.util;

/** Seeds derived from one seed for separate purposes, so that changing one use does not reshuffle the others. */
public final class Seeds {
    private Seeds() {
    }

    /** A well-mixed seed for {@code purpose} from {@code seed} (SplitMix64's finaliser over seed and purpose). */
    public static long derive(long seed, String purpose) {
        long z = seed * 0x9E3779B97F4A7C15L + purpose.hashCode();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
