package org.likra.tokenize.hf;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splitting a piece at the matches of a pattern, with the five delimiter behaviours of tokenizer.json. For the text
 * "The-final--countdown" and the pattern "-":
 * <pre>
 *   Removed             The | final | countdown
 *   Isolated            The | - | final | - | - | countdown
 *   MergedWithPrevious  The- | final- | - | countdown
 *   MergedWithNext      The | -final | - | -countdown
 *   Contiguous          The | - | final | -- | countdown
 * </pre>
 * Empty pieces are dropped; only the first resulting piece of a piece that is at the start stays at the start.
 */
final class Splitting {
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    private Splitting() {
    }

    static Behavior behavior(String name, String where, String path) {
        return switch (name) {
            case "Removed" -> Behavior.REMOVED;
            case "Isolated" -> Behavior.ISOLATED;
            case "MergedWithPrevious" -> Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> Behavior.CONTIGUOUS;
            default -> throw JsonFields.error(where, path, "is '" + name + "'; expected Removed, Isolated, "
                    + "MergedWithPrevious, MergedWithNext or Contiguous");
        };
    }

    /** One segment of the text: [start, end) and whether it is a match of the pattern. */
    private record Segment(int start, int end, boolean match) {
    }

    /** Splits {@code piece} at the non-empty matches of {@code pattern}, adding the pieces to {@code out}. */
    static void split(Piece piece, Pattern pattern, Behavior behavior, List<Piece> out) {
        String s = piece.text();
        for (int[] r : ranges(segments(s, pattern), behavior)) {
            if (r[1] > r[0]) {
                out.add(new Piece(s.substring(r[0], r[1]), piece.atStart() && r[0] == 0));
            }
        }
    }

    /** {@code s} cut into the non-empty matches of {@code pattern} and the text between them, in order. */
    private static List<Segment> segments(String s, Pattern pattern) {
        List<Segment> segments = new ArrayList<>();
        Matcher m = pattern.matcher(s);
        int at = 0;
        while (m.find()) {
            if (m.end() == m.start()) {
                continue;
            }
            if (m.start() > at) {
                segments.add(new Segment(at, m.start(), false));
            }
            segments.add(new Segment(m.start(), m.end(), true));
            at = m.end();
        }
        if (at < s.length()) {
            segments.add(new Segment(at, s.length(), false));
        }
        return segments;
    }

    /** The [start, end) ranges of the pieces the behavior makes of the segments. */
    private static List<int[]> ranges(List<Segment> segments, Behavior behavior) {
        List<int[]> ranges = new ArrayList<>();
        switch (behavior) {
            case REMOVED -> segments.stream().filter(g -> !g.match()).forEach(g -> ranges.add(new int[] {g.start(),
                    g.end()}));
            case ISOLATED -> segments.forEach(g -> ranges.add(new int[] {g.start(), g.end()}));
            case CONTIGUOUS -> {
                Boolean previous = null;
                for (Segment g : segments) {
                    if (previous != null && previous == g.match()) {
                        ranges.get(ranges.size() - 1)[1] = g.end();
                    } else {
                        ranges.add(new int[] {g.start(), g.end()});
                    }
                    previous = g.match();
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                boolean previousMatch = false;
                for (Segment g : segments) {
                    if (g.match() && !previousMatch && !ranges.isEmpty()) {
                        ranges.get(ranges.size() - 1)[1] = g.end();
                    } else {
                        ranges.add(new int[] {g.start(), g.end()});
                    }
                    previousMatch = g.match();
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean previousMatch = false;
                List<int[]> reversed = new ArrayList<>();
                for (int i = segments.size() - 1; i >= 0; i--) {
                    Segment g = segments.get(i);
                    if (g.match() && !previousMatch && !reversed.isEmpty()) {
                        reversed.get(reversed.size() - 1)[0] = g.start();
                    } else {
                        reversed.add(new int[] {g.start(), g.end()});
                    }
                    previousMatch = g.match();
                }
                for (int i = reversed.size() - 1; i >= 0; i--) {
                    ranges.add(reversed.get(i));
                }
            }
            default -> throw new IllegalStateException(behavior.name().toLowerCase(Locale.ROOT));
        }
        return ranges;
    }
}
