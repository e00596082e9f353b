package org.likra.cli;

import org.likra.io.Exporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code likra export llmc|llama2c|hf <model dir> --out file.bin|dir}: our model directories into other formats. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a model directory in another project's checkpoint format.",
        subcommands = {ExportCommand.Llmc.class, ExportCommand.Llama2c.class, ExportHfCommand.class})
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing the format: llmc or llama2c");
    }

    /** What both export subcommands share: a model directory in, one checkpoint file out. */
    abstract static class ToFile implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "the model (or run) directory")
        Path dir;

        @Option(names = "--out", required = true, paramLabel = "FILE.bin", description = "the checkpoint to write")
        Path out;

        /** Writes {@code dir} as {@code out} in the subcommand's format. */
        abstract void export(Path dir, Path out) throws Exception;

        @Override
        public Integer call() throws Exception {
            export(dir, out);
            spec.commandLine().getOut().println("wrote " + out);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "llmc", mixinStandardHelpOptions = true,
            description = "Export a GPT-2-style model as an llm.c checkpoint (an imported one byte for byte).")
    public static final class Llmc extends ToFile {
        @Override
        void export(Path dir, Path out) throws Exception {
            Exporter.llmc(dir, out);
        }
    }

    @Command(name = "llama2c", mixinStandardHelpOptions = true,
            description = "Export a Llama-style model as a llama2.c (legacy format) checkpoint for run.c.")
    public static final class Llama2c extends ToFile {
        @Override
        void export(Path dir, Path out) throws Exception {
            Exporter.llama2c(dir, out);
        }
    }
}
