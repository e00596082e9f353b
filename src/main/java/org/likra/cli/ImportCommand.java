package org.likra.cli;

import org.likra.io.Importer;
import org.likra.io.ModelInfo;
import org.likra.io.RawModel;
import org.likra.tokenize.Gpt2Tokenizer;
import org.likra.tokenize.TokenizerSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code likra import llama2c|llmc ...}: other projects' checkpoints into our model directories. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Convert another project's checkpoint into a model directory (config.json + model.safetensors).",
        subcommands = {ImportCommand.Llama2c.class, ImportCommand.Llmc.class})
public final class ImportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing the format: llama2c or llmc");
    }

    static void report(CommandSpec spec, RawModel model, Path out) {
        spec.commandLine().getOut().println("wrote " + out + ": " + ModelInfo.describe(model.config())
                + "; tokenizer " + model.tokenizer().type());
        spec.commandLine().getOut().flush();
    }

    @Command(name = "llama2c", mixinStandardHelpOptions = true,
            description = "Import a llama2.c checkpoint (legacy format, e.g. stories15M.bin); q/k rows are permuted "
                    + "from llama2.c's interleaved RoPE to the rotate-halves layout.")
    public static final class Llama2c implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "MODEL.bin", description = "the llama2.c checkpoint")
        Path model;

        @Option(names = "--tokenizer", paramLabel = "TOK.bin",
                description = "its llama2.c tokenizer file (copied into the directory as tokenizer.bin)")
        Path tokenizer;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "the model directory to write")
        Path out;

        @Override
        public Integer call() throws Exception {
            report(spec, Importer.llama2c(model, tokenizer, out), out);
            return 0;
        }
    }

    /** import llmc --tokenizer. */
    public static final class TokenizerType extends OptionChecks.OneOf {
        public TokenizerType() {
            super(java.util.List.of("auto", "gpt2", "byte"));
        }
    }

    @Command(name = "llmc", mixinStandardHelpOptions = true,
            description = "Import an llm.c GPT-2 checkpoint (gpt2_124M.bin or one train_gpt2 wrote).")
    public static final class Llmc implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "GPT2.bin", description = "the llm.c checkpoint")
        Path model;

        @Option(names = "--tokenizer", paramLabel = "TYPE", defaultValue = "auto", converter = TokenizerType.class,
                description = "auto (gpt2 when the vocabulary is 50257, else byte), gpt2 or byte (default: "
                        + "${DEFAULT-VALUE})")
        String tokenizer;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "the model directory to write")
        Path out;

        @Override
        public Integer call() throws Exception {
            TokenizerSpec tok = switch (tokenizer) {
                case "auto" -> null;
                case "gpt2" -> Gpt2Tokenizer.SPEC;
                default -> TokenizerSpec.BYTE; // "byte", the only other value TokenizerType admits
            };
            report(spec, Importer.llmc(model, tok, out), out);
            return 0;
        }
    }
}
