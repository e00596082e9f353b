package org.likra.cli;

import org.likra.io.ModelInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code likra info <dir|file>}: format, architecture, parameter count and tensor table of a model. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe a model directory, a .safetensors file, a llama2.c or an llm.c checkpoint: "
                + "architecture, parameter count and tensor table (headers only; nothing is loaded).")
public final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PATH", description = "model or run directory, or a checkpoint file")
    Path path;

    @picocli.CommandLine.Option(names = "--batch", description = "With --seq: also state the memory of a training "
            + "step on this many sequences (pretraining, and a LoRA step of rank 8 on the MLP projections).")
    Integer batch;

    @picocli.CommandLine.Option(names = "--seq", description = "Tokens per sequence for the memory statement.")
    Integer seq;

    @Override
    public Integer call() {
        ModelInfo info = ModelInfo.of(path);
        spec.commandLine().getOut().print(info.format());
        if (batch != null || seq != null) {
            spec.commandLine().getOut().print(ModelInfo.memory(info.config(), batch, seq));
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
