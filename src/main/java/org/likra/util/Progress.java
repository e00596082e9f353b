package org.likra.util;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressState;

import java.io.Console;
import java.io.PrintStream;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Progress of long work in named stages, with its rate and ETA: on a terminal, a bar redrawn in place on stderr; in
 * a log (output to a file, a pipe, CI), a plain line every {@link #PLAIN_INTERVAL} while a stage runs and one when it
 * ends ({@link ProgressLine} has both forms).
 */
public final class Progress implements AutoCloseable {
    /** How often a stage prints a plain line while it runs. */
    public static final Duration PLAIN_INTERVAL = Duration.ofSeconds(20);

    private final PrintStream log;
    private final boolean bars;
    private final LongSupplier nanoClock;
    private final long intervalNanos;
    private ProgressBar bar;
    private String stage;
    private String unit = "";
    private long stageStart;
    private long lastLine;
    private long start;
    private long current;
    private long total;
    private String message = "";

    /**
     * @param log      where plain lines go (unused with bars)
     * @param bars     draw a bar on stderr instead of printing plain lines
     * @param nanoClock the time in nanoseconds ({@link System#nanoTime} outside tests)
     * @param interval how often a stage prints a plain line while it runs
     */
    public Progress(PrintStream log, boolean bars, LongSupplier nanoClock, Duration interval) {
        this.log = log;
        this.bars = bars;
        this.nanoClock = nanoClock;
        this.intervalNanos = interval.toNanos();
    }

    public Progress(PrintStream log, boolean bars) {
        this(log, bars, System::nanoTime, PLAIN_INTERVAL);
    }

    /** Bars when this process runs on a terminal ({@link #onTerminal}), else plain lines to {@code log}. */
    public static Progress console(PrintStream log) {
        return new Progress(log, onTerminal());
    }

    /** No output at all. */
    public static Progress silent() {
        return new Progress(new PrintStream(java.io.OutputStream.nullOutputStream()), false, () -> 0L,
                Duration.ofDays(365));
    }

    /**
     * Whether standard input and output are a terminal. JDK 21's {@link System#console} is null otherwise; from JDK
     * 22 on it may be a console that is not a terminal, which {@code Console.isTerminal()} (called reflectively,
     * since the code compiles for 21) tells.
     */
    public static boolean onTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** Starts a stage of {@code total} steps (0: unknown), ending the one before. */
    public void stage(String name, long total) {
        stage(name, total, "", 0);
    }

    /** Starts a stage counting {@code unit} (plural, e.g. "questions"), ending the one before. */
    public void stage(String name, long total, String unit) {
        stage(name, total, unit, 0);
    }

    /** Starts a stage at count {@code start} (a resumed run); its rate counts only what this stage does. */
    public void stage(String name, long total, String unit, long start) {
        finishStage();
        this.stage = name;
        this.unit = unit;
        this.total = total;
        this.start = start;
        this.current = start;
        this.message = "";
        this.stageStart = nanoClock.getAsLong();
        this.lastLine = stageStart;
        if (bars) {
            String shownUnit = unit;
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(Math.max(total, 0))
                    .startsFrom(start, Duration.ZERO).setUpdateIntervalMillis(300).continuousUpdate()
                    .setRenderer((state, width) -> terminalLine(state, shownUnit, width)).build();
        }
    }

    public void step() {
        stepTo(current + 1);
    }

    public void stepTo(long value) {
        current = value;
        if (bar != null) {
            bar.stepTo(value);
        } else if (stage != null) {
            long now = nanoClock.getAsLong();
            if (now - lastLine >= intervalNanos) {
                log.println(line(now).plain(false));
                lastLine = now;
            }
        }
    }

    /** {@link #message} and {@link #stepTo} in one call. */
    public void stepTo(long value, String text) {
        message(text);
        stepTo(value);
    }

    /** A short status shown after the counts (e.g. the loss); replaces the last one. */
    public void message(String text) {
        message = text == null ? "" : text;
        if (bar != null) {
            bar.setExtraMessage(message);
        }
    }

    /** Ends the last stage. */
    public void done() {
        finishStage();
    }

    /** {@link #done}. */
    @Override
    public void close() {
        finishStage();
    }

    private void finishStage() {
        if (bar != null) {
            bar.close();
            bar = null;
        } else if (stage != null) {
            log.println(line(nanoClock.getAsLong()).plain(true));
        }
        stage = null;
    }

    private ProgressLine line(long now) {
        return new ProgressLine(stage, unit, start, current, total, (now - stageStart) / 1e9, message);
    }

    private static String terminalLine(ProgressState state, String unit, int width) {
        Duration elapsed = state.getElapsedAfterStart();
        String message = state.getExtraMessage() == null ? "" : state.getExtraMessage();
        ProgressLine line = new ProgressLine(state.getTaskName(), unit, state.getStart(), state.getCurrent(),
                state.getMax(), elapsed.toNanos() / 1e9, message);
        return line.terminal(!state.isAlive(), width);
    }
}
