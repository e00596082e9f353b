package org.likra.cli;

import org.likra.engine.Engine;
import org.likra.io.ModelDirectory;
import org.likra.model.Transformer;
import org.likra.train.SequenceGradient;
import org.likra.train.TokenFiles;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "grad", mixinStandardHelpOptions = true,
        description = {"Print the mean loss over unmasked targets of given token sequences and write the gradient "
                + "of that loss for every parameter (safetensors, float32, the checkpoint's tensor names).",
                "Each line of --tokens is one sequence of space-separated ids; position t predicts token t+1. "
                        + "Each line of --mask holds one 0/1 per target (one fewer than the tokens)."})
public final class GradCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory (or run directory).")
    Path model;
    @Option(names = "--tokens", required = true, description = "Token sequences, one per line.")
    Path tokens;
    @Option(names = "--mask", description = "Loss mask, one line per sequence (default: all targets count).")
    Path mask;
    @Option(names = "--out", required = true, description = "Gradient file (.safetensors).")
    Path out;
    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        List<int[]> sequences = TokenFiles.readRows(tokens);
        List<int[]> masks = mask == null ? null : TokenFiles.readRows(mask);
        if (masks != null && masks.size() != sequences.size()) {
            throw new UserError(mask + ": " + masks.size() + " mask lines for " + sequences.size()
                    + " token lines in " + tokens);
        }
        int counted = 0;
        for (int i = 0; i < sequences.size(); i++) {
            int[] seq = sequences.get(i);
            if (seq.length < 2) {
                throw new UserError(tokens + ": sequence " + (i + 1) + " has " + seq.length
                        + " token(s); at least 2 are needed (an input and a target)");
            }
            if (masks != null) {
                int[] m = masks.get(i);
                if (m.length != seq.length - 1) {
                    throw new UserError(mask + ": line " + (i + 1) + " has " + m.length + " entries but sequence "
                            + (i + 1) + " has " + (seq.length - 1) + " targets");
                }
                for (int v : m) {
                    if (v != 0 && v != 1) {
                        throw new UserError(mask + ": line " + (i + 1) + " holds " + v + "; masks are 0 or 1");
                    }
                    counted += v;
                }
            } else {
                counted += seq.length - 1;
            }
        }
        if (counted == 0) {
            throw new UserError(mask + ": every target is masked out, so the loss is undefined");
        }
        try (Engine engine = engineOptions.create()) {
            Transformer net = ModelDirectory.load(model, engine).model();
            SequenceGradient gradient = SequenceGradient.of(net, sequences, masks, counted, tokens.toString());
            gradient.write(out, net.layout().specs());
            System.out.println("loss " + gradient.loss());
        }
        return 0;
    }
}
