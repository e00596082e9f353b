package org.likra.util;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;

/**
 * Progress of long work in named stages: a progress bar on a terminal, or one line per stage (with its duration)
 * where output goes to a file or a CI log.
 */
public final class Progress {
    private final PrintStream log;
    private final boolean bars;
    private ProgressBar bar;
    private String stage;
    private long stageStart;
    private long current;

    public Progress(PrintStream log, boolean bars) {
        this.log = log;
        this.bars = bars;
    }

    /** A Progress that shows bars when a console is attached. */
    public static Progress console(PrintStream log) {
        return new Progress(log, System.console() != null);
    }

    /** No output at all. */
    public static Progress silent() {
        return new Progress(new PrintStream(java.io.OutputStream.nullOutputStream()), false);
    }

    public void stage(String name, long total) {
        finishStage();
        stage = name;
        stageStart = System.nanoTime();
        current = 0;
        if (bars) {
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(300).build();
        }
    }

    public void step() {
        stepTo(current + 1);
    }

    public void stepTo(long value) {
        current = value;
        if (bar != null) {
            bar.stepTo(value);
        }
    }

    public void message(String text) {
        if (bar != null) {
            bar.setExtraMessage(text);
        }
    }

    private void finishStage() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        if (stage != null && !bars) {
            log.printf("  %-22s done in %.1f s%n", stage, (System.nanoTime() - stageStart) / 1e9);
        }
        stage = null;
    }

    public void done() {
        finishStage();
    }
}
