package org.likra.cli;

import org.likra.plot.BandPlot;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Plot one scorer's accuracy against N from several learning-curve runs (their curve.csv) in one "
                + "PNG, e.g. near-miss against far negatives.")
public final class CompareCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "LABEL=path/to/curve.csv (repeat for each run).")
    Map<String, Path> runs;
    @Option(names = "--scorer", split = ",", defaultValue = "likra", converter = OptionChecks.CurveScorer.class,
            description = "Scorer(s) to plot, comma-separated, of base, sft, likra, base-neg, pos-base and dpo. "
                    + "Default: ${DEFAULT-VALUE}.")
    List<String> scorers;
    @Option(names = "--metric", defaultValue = "acc_norm", converter = OptionChecks.Metric.class,
            description = "acc or acc_norm. Default: ${DEFAULT-VALUE}.")
    String metric;
    @Option(names = "--title", defaultValue = "Test accuracy against training questions",
            description = "Plot title. Default: ${DEFAULT-VALUE}.")
    String title;
    @Option(names = "--out", required = true, description = "PNG to write.")
    Path out;

    @Override
    public Integer call() throws Exception {
        int column = metric.equals("acc") ? 2 : 5; // value, then low and high of its 95% interval
        BandPlot plot = new BandPlot(title, "training questions N (log scale)", "accuracy (" + metric
                + ") with 95% interval").logX(true);
        for (Map.Entry<String, Path> run : new java.util.TreeMap<>(runs).entrySet()) {
            List<String> lines;
            try {
                lines = Files.readAllLines(run.getValue());
            } catch (NoSuchFileException e) {
                throw new UserError(run.getValue() + ": no such file (give the curve.csv of a `curve` run)");
            }
            if (lines.isEmpty() || !lines.get(0).startsWith("n,scorer,acc")) {
                throw new UserError(run.getValue() + ":1: not a curve.csv (expected the header n,scorer,acc,...)");
            }
            int points = 0;
            for (int i = 1; i < lines.size(); i++) {
                String[] f = lines.get(i).split(",");
                if (f.length < 11) {
                    throw new UserError(run.getValue() + ":" + (i + 1) + ": expected 11 columns, found " + f.length);
                }
                if (scorers.contains(f[1])) {
                    String label = scorers.size() == 1 ? run.getKey() : run.getKey() + " " + f[1];
                    try {
                        plot.add(label, Double.parseDouble(f[0]), Double.parseDouble(f[column]),
                                Double.parseDouble(f[column + 1]), Double.parseDouble(f[column + 2]));
                    } catch (IllegalArgumentException e) { // a number that does not parse, or a reversed interval
                        throw new UserError(run.getValue() + ":" + (i + 1) + ": not a curve.csv row (" + e.getMessage()
                                + ")");
                    }
                    points++;
                }
            }
            if (points == 0) {
                throw new UserError(run.getValue() + ": no rows for scorer(s) " + scorers);
            }
        }
        plot.writePng(out);
        System.out.println("wrote " + out);
        return 0;
    }
}
