package org.likra.cli;

import org.likra.util.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

/** The {@code likra} command line. Input errors print one line (with --verbose, the stack trace) and exit 1. */
@Command(name = "likra", mixinStandardHelpOptions = true, version = "likra-jvm 0.1.0",
        description = "Train and study small transformer language models on the JVM; run Likra experiments.",
        subcommands = {PretrainCommand.class, SampleCommand.class, GradCommand.class, TrainCommand.class,
                EvalCommand.class, CurveCommand.class, CompareCommand.class, McTextCommand.class,
                CommandLine.HelpCommand.class})
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

    /** Extra subcommands contributed by other packages, registered when their classes are present. */
    private static final List<String> OPTIONAL_COMMANDS = List.of(
            "org.likra.cli.ImportCommand", "org.likra.cli.ExportCommand", "org.likra.cli.InfoCommand",
            "org.likra.cli.SynthCommand", "org.likra.cli.DemoCommand", "org.likra.cli.BenchCommand",
            "org.likra.cli.DevicesCommand", "org.likra.cli.StudyCommand",
            "org.likra.cli.TokenizeCommand");

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (String name : OPTIONAL_COMMANDS) {
            try {
                cl.addSubcommand(Class.forName(name).getDeclaredConstructor().newInstance());
            } catch (ClassNotFoundException e) {
                // not part of this build
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot create command " + name, e);
            }
        }
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(s -> s.hasMatchedOption("--verbose"))
                    || hasVerbose(parseResult);
            java.io.PrintWriter err = commandLine.getErr();
            if (ex instanceof UserError) {
                err.println("likra: " + ex.getMessage());
            } else {
                err.println("likra: internal error: " + ex + (verbose ? "" : " (run with --verbose for details)"));
            }
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return ex instanceof UserError ? 1 : 3;
        });
        return cl;
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
