package org.likra.cli;

import org.likra.engines.Engines;
import org.likra.study.StudyMerge;
import org.likra.study.StudyPlan;
import org.likra.study.StudyReport;
import org.likra.study.StudyRunner;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "study", mixinStandardHelpOptions = true,
        description = {"Run a declared Likra study (a plan: one synthetic world, base models of several sizes and "
                + "seeds, heads of several seeds, ablations and DPO baselines) and write its report: report.json, "
                + "CSV, PNG plots with 95%% bands and a Markdown table with paired tests.",
                "Finished cells are kept in --out and skipped when the study runs again, so a killed study resumes. "
                        + "--shard i/n runs one of n disjoint slices (e.g. a Slurm array task); `likra study merge` "
                        + "combines their folders. See docs/study.md."},
        subcommands = {StudyCommand.Merge.class, StudyCommand.Report.class})
public final class StudyCommand implements Callable<Integer> {
    @Option(names = "--plan", description = "The study plan (JSON; see studies/ and docs/study.md).")
    Path plan;
    @Option(names = "--out", description = "The study folder (created; holds the cells, base models and report).")
    Path out;
    @Option(names = "--workers", defaultValue = "1", converter = OptionChecks.Workers.class,
            description = "Cells run at once (1..64), each on an equal share of the cores. Default: ${DEFAULT-VALUE}.")
    int workers;
    @Option(names = "--shard", defaultValue = "0/1", description = "Run the i-th of n disjoint slices (i/n, 0-based; "
            + "a base model and all its heads form one unit). Default: ${DEFAULT-VALUE} (everything).")
    String shard;
    @Option(names = "--engine", defaultValue = Engines.DEFAULT, converter = OptionChecks.Engine.class,
            description = "Engine of every cell: reference, cpu or tornado. Default: ${DEFAULT-VALUE}.")
    String engine;
    @Option(names = "--no-report", description = "Only run the cells (a shard's report is partial anyway). "
            + "Default: report when every cell of an unsharded study is done.")
    boolean noReport;

    @Override
    public Integer call() throws Exception {
        if (plan == null || out == null) {
            throw new UserError("likra study needs --plan PLAN.json and --out DIR (or a subcommand: merge, report)");
        }
        int[] slice = parseShard(shard);
        return runAndReport(StudyPlan.read(plan), out, workers, slice, engine, !noReport && slice[1] == 1,
                "run the same command again");
    }

    /**
     * Runs a plan's unfinished cells (the runner checks {@code workers}) and, when none failed and {@code report},
     * writes the report; returns the exit code (1 when a cell failed, saying how to retry).
     */
    static int runAndReport(StudyPlan plan, Path out, int workers, int[] slice, String engine, boolean report,
                            String retry) throws java.io.IOException {
        int failed = new StudyRunner(plan, out, System.out, workers, slice[0], slice[1], engine).run();
        if (failed > 0) {
            System.out.printf("%d cell%s failed (see the lines above); %s to retry them%n", failed,
                    failed == 1 ? "" : "s", retry);
            return 1;
        }
        if (report) {
            StudyReport.write(out, System.out);
        }
        return 0;
    }

    static int[] parseShard(String text) {
        String[] parts = text.split("/");
        try {
            if (parts.length == 2) {
                int i = Integer.parseInt(parts[0].trim());
                int n = Integer.parseInt(parts[1].trim());
                if (n >= 1 && i >= 0 && i < n) {
                    return new int[] {i, n};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UserError("--shard must be i/n with 0 <= i < n (e.g. 0/4), got '" + text + "'");
    }

    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = "Combine the folders of a study's shards (same plan) into one folder and write its report.")
    static final class Merge implements Callable<Integer> {
        @Parameters(arity = "1..*", description = "Shard folders of one study.")
        List<Path> dirs;
        @Option(names = "--out", required = true, description = "The merged study folder.")
        Path out;

        @Override
        public Integer call() throws Exception {
            StudyMerge.merge(dirs, out, System.out);
            StudyReport.write(out, System.out);
            return 0;
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Write (again) the report of a study folder from its finished cells.")
    static final class Report implements Callable<Integer> {
        @Parameters(arity = "1", description = "The study folder.")
        Path dir;

        @Override
        public Integer call() throws Exception {
            StudyReport.write(dir, System.out);
            return 0;
        }
    }
}
