package org.likra.cli;

import org.likra.io.Exporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code likra export llmc|llama2c <model dir> --out file.bin}: our model directories into other formats. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a model directory in another project's checkpoint format.",
        subcommands = {ExportCommand.Llmc.class, ExportCommand.Llama2c.class})
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    @Command(name = "llmc", mixinStandardHelpOptions = true,
            description = "Export a GPT-2-style model as an llm.c checkpoint (an imported one byte for byte).")
    public static final class Llmc implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "the model (or run) directory")
        Path dir;

        @Option(names = "--out", required = true, paramLabel = "FILE.bin", description = "the checkpoint to write")
        Path out;

        @Override
        public Integer call() throws Exception {
            Exporter.llmc(dir, out);
            spec.commandLine().getOut().println("wrote " + out);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "llama2c", mixinStandardHelpOptions = true,
            description = "Export a Llama-style model as a llama2.c (legacy format) checkpoint for run.c.")
    public static final class Llama2c implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "the model (or run) directory")
        Path dir;

        @Option(names = "--out", required = true, paramLabel = "FILE.bin", description = "the checkpoint to write")
        Path out;

        @Override
        public Integer call() throws Exception {
            Exporter.llama2c(dir, out);
            spec.commandLine().getOut().println("wrote " + out);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
