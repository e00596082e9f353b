package org.likra.util;

import java.util.Locale;

/**
 * What one stage of long work has done so far, and its two printed forms: a plain line for logs and a bar line for
 * a terminal. The rate is counted from the stage's start: (current - start) / seconds; the ETA is
 * (total - current) / rate.
 *
 * @param name    the stage, e.g. "positive head"
 * @param unit    what is counted, plural, e.g. "examples" (may be empty)
 * @param start   the count the stage started at (a resumed run starts past 0)
 * @param current the count now
 * @param total   the count at the end; 0 or less when unknown (no percentage, no ETA)
 * @param seconds time since the stage started
 * @param message a short status such as the loss (may be empty)
 */
record ProgressLine(String name, String unit, long start, long current, long total, double seconds, String message) {
    /** Narrowest progress bar drawn; with less room the line goes without one. */
    static final int MIN_BAR = 8;
    /** Widest progress bar drawn. */
    static final int MAX_BAR = 30;

    /** Counted units per second since the stage started; NaN before anything was counted. */
    double rate() {
        return current > start && seconds > 0 ? (current - start) / seconds : Double.NaN;
    }

    /** Seconds left at the current rate; NaN when unknown. */
    double etaSeconds() {
        double rate = rate();
        return total > 0 && rate > 0 ? Math.max(0, total - current) / rate : Double.NaN;
    }

    /**
     * The plain line for a log, e.g. {@code "  positive head          640/1000 examples (64%)  12.3/s  ETA 29 s  loss
     * 1.2345"}, or when finished {@code "  positive head          done: 1000 examples in 1:21 (12.3/s)  loss 1.2345"}.
     */
    String plain(boolean finished) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "  %-22s ", name));
        if (finished) {
            s.append("done: ").append(current).append(units()).append(" in ").append(duration(seconds));
            if (!Double.isNaN(rate())) {
                s.append(" (").append(rate(rate())).append("/s)");
            }
        } else {
            s.append(count()).append(units());
            if (total > 0) {
                s.append(" (").append(percent()).append("%)");
            }
            s.append("  ").append(rate(rate())).append("/s");
            if (total > 0) {
                s.append("  ETA ").append(duration(etaSeconds()));
            }
        }
        if (!message.isEmpty()) {
            s.append("  ").append(message);
        }
        return s.toString();
    }

    /**
     * The line a terminal shows, at most {@code width} characters: {@code "pretrain  42% [====      ] 420/1000
     * 3.10 steps/s ETA 3:05  loss 2.123"}, or when finished the time taken in place of the ETA. The bar takes the
     * room the text leaves (up to {@link #MAX_BAR}); with less than {@link #MIN_BAR} it is left out, and a line still
     * too long loses the end of its message.
     */
    String terminal(boolean finished, int width) {
        String head = total > 0 ? String.format(Locale.ROOT, "%s %3d%% ", name, percent()) : name + " ";
        StringBuilder tail = new StringBuilder(count());
        tail.append(' ').append(rate(rate())).append(unit.isEmpty() ? "" : " " + unit).append("/s");
        if (finished) {
            tail.append(" in ").append(duration(seconds));
        } else if (total > 0) {
            tail.append(" ETA ").append(duration(etaSeconds()));
        }
        if (!message.isEmpty()) {
            tail.append("  ").append(message);
        }
        int room = width - head.length() - tail.length() - 3;
        String line;
        if (total > 0 && room >= MIN_BAR) {
            int barWidth = Math.min(MAX_BAR, room);
            int filled = (int) Math.min(barWidth, (long) barWidth * Math.max(0, current) / total);
            line = head + "[" + "=".repeat(filled) + " ".repeat(barWidth - filled) + "] " + tail;
        } else {
            line = head + tail;
        }
        return line.length() <= width ? line : line.substring(0, Math.max(0, width));
    }

    private String count() {
        return total > 0 ? current + "/" + total : Long.toString(current);
    }

    private String units() {
        return unit.isEmpty() ? "" : " " + unit;
    }

    private int percent() {
        return (int) Math.min(100, Math.max(0, 100 * current / total));
    }

    /** A rate with three significant digits or so: 1234, 123.4, 12.34 (and "?" when unknown). */
    static String rate(double perSecond) {
        if (Double.isNaN(perSecond)) {
            return "?";
        }
        if (perSecond >= 100) {
            return String.format(Locale.ROOT, "%.0f", perSecond);
        }
        return String.format(Locale.ROOT, perSecond >= 10 ? "%.1f" : "%.2f", perSecond);
    }

    /** A duration: 4.2 s, 42 s, 4:02 (minutes and seconds), 1:04:02 (hours too); "?" when unknown. */
    static String duration(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
            return "?";
        }
        if (seconds < 10) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
