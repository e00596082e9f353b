package org.likra.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

/**
 * The {@code likra} command line. Input errors (those picocli finds while parsing included), I/O errors and running
 * out of memory print one line (with --verbose, the stack trace of an error found while running) and exit 1;
 * internal errors exit 3 (see {@link Failures}).
 */
@Command(name = "likra", mixinStandardHelpOptions = true, version = "likra-jvm 0.1.0",
        description = "Train and study small transformer language models on the JVM; run Likra experiments.",
        subcommands = {PretrainCommand.class, SampleCommand.class, GradCommand.class, TrainCommand.class,
                EvalCommand.class, CurveCommand.class, CompareCommand.class, McTextCommand.class,
                CommandLine.HelpCommand.class, ImportCommand.class, ExportCommand.class, InfoCommand.class,
                SynthCommand.class, DemoCommand.class, BenchCommand.class, DevicesCommand.class, StudyCommand.class,
                TokenizeCommand.class})
public final class Main implements Runnable {
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // Running out of memory is an Error, which picocli lets through: report it like an exception.
        CommandLine.IExecutionStrategy runLast = new CommandLine.RunLast();
        cl.setExecutionStrategy(parseResult -> {
            try {
                return runLast.execute(parseResult);
            } catch (OutOfMemoryError e) {
                List<CommandLine> chain = parseResult.asCommandLineList();
                throw new CommandLine.ExecutionException(chain.get(chain.size() - 1), String.valueOf(e), e);
            }
        });
        cl.setParameterExceptionHandler(Main::parameterError);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(s -> s.hasMatchedOption("--verbose"))
                    || hasVerbose(parseResult);
            Throwable failure = ex instanceof CommandLine.ExecutionException && ex.getCause() instanceof Error
                    ? ex.getCause() : ex;
            Failures.Report report = Failures.of(failure);
            java.io.PrintWriter err = commandLine.getErr();
            err.println("likra: " + report.line()
                    + (report.internal() && !verbose ? " (run with --verbose for details)" : ""));
            if (verbose) {
                failure.printStackTrace(err);
            }
            err.flush();
            return report.exitCode();
        });
        return cl;
    }

    /**
     * A command line picocli cannot parse (an unknown or missing option, a value out of range): one line with the
     * error and where to read the command's options, exit 1 like every other input error.
     */
    private static int parameterError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        java.io.PrintWriter err = cmd.getErr();
        String message = ex.getMessage() == null ? "cannot parse the command line" : ex.getMessage().strip();
        err.println("likra: " + message.replace('\n', ' ') + "; see `" + cmd.getCommandSpec().qualifiedName()
                + " --help`");
        err.flush();
        return 1;
    }

    private static boolean hasVerbose(CommandLine.ParseResult result) {
        for (CommandLine.ParseResult r = result; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
