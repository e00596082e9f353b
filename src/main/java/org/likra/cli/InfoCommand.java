package org.likra.cli;

import org.likra.config.ModelConfig;
import org.likra.io.ModelInfo;
import org.likra.lora.LoraConfig;
import org.likra.model.MemoryEstimate;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code likra info <dir|file>}: format, architecture, parameter count and tensor table of a model. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe a model directory, a .safetensors file, a llama2.c or an llm.c checkpoint, a "
                + "config.json or a preset (by name or file): architecture, parameter count and tensor table "
                + "(headers only; nothing is loaded).")
public final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PATH", description = "model or run directory, checkpoint file, config or "
            + "preset .json file, or preset name (e.g. llama-110m)")
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
            spec.commandLine().getOut().print(memory(info.config(), batch, seq));
        }
        spec.commandLine().getOut().flush();
        return 0;
    }

    /**
     * The memory of a training step at {@code batch} x {@code seq} tokens: pretraining, and a LoRA step (rank 8, MLP
     * projections, the paper's heads) on the frozen model.
     */
    static String memory(ModelConfig config, Integer batch, Integer seq) {
        if (config == null) {
            throw new UserError("--batch and --seq need a model with an architecture (a model directory or a "
                    + "checkpoint, not a bare .safetensors file)");
        }
        if (batch == null || seq == null || batch <= 0 || seq <= 0) {
            throw new UserError("--batch and --seq go together and must be positive");
        }
        if (seq > config.context()) {
            throw new UserError("--seq " + seq + " is longer than the model's context of " + config.context());
        }
        LoraConfig lora = LoraConfig.defaults();
        return "memory of a training step at batch " + batch + " x " + seq + " tokens, pretraining:\n"
                + MemoryEstimate.pretraining(config, batch, seq).format()
                + "memory of a LoRA step (rank 8, gate/up/down_proj; the base frozen, without gradients):\n"
                + MemoryEstimate.lora(config, lora.rank(), lora::targets, batch, seq).format()
                + "memory of that LoRA step with the base held in bf16 (--base-precision bf16):\n"
                + MemoryEstimate.lora(config, lora.rank(), lora::targets, batch, seq,
                org.likra.engine.Precision.BF16).format();
    }
}
