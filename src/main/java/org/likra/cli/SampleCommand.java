package org.likra.cli;

import org.likra.engine.Engine;
import org.likra.generate.Sampler;
import org.likra.io.ModelDirectory;
import org.likra.tokenize.Tokenizer;
import org.likra.util.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "sample", mixinStandardHelpOptions = true,
        description = "Generate text from a model directory (or a run directory's checkpoint).")
public final class SampleCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory or run directory.")
    Path model;
    @Option(names = "--prompt", defaultValue = "", description = "Text to continue. Default: empty (start from BOS).")
    String prompt;
    @Option(names = "--steps", defaultValue = "200", converter = OptionChecks.NonNegative.class,
            description = "Tokens to generate. Default: ${DEFAULT-VALUE}.")
    int steps;
    @Option(names = "--temperature", defaultValue = "0.8", converter = OptionChecks.NonNegativeReal.class,
            description = "Softmax temperature; 0 is greedy. Default: ${DEFAULT-VALUE}.")
    double temperature;
    @Option(names = "--top-p", defaultValue = "0.9", converter = OptionChecks.TopP.class,
            description = "Nucleus sampling mass, within (0, 1]. Default: ${DEFAULT-VALUE}.")
    double topP;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the sampling. Default: ${DEFAULT-VALUE}.")
    long seed;
    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() {
        try (Engine engine = engineOptions.create()) {
            ModelDirectory.Loaded loaded = ModelDirectory.load(model, engine);
            Tokenizer tokenizer = loaded.tokenizer();
            int[] promptIds = tokenizer.encode(prompt);
            if (tokenizer.bos() >= 0) {
                int[] withBos = new int[promptIds.length + 1];
                withBos[0] = tokenizer.bos();
                System.arraycopy(promptIds, 0, withBos, 1, promptIds.length);
                promptIds = withBos;
            }
            Sampler sampler = new Sampler(loaded.model(), temperature, topP, seed);
            Progress progress = Progress.console(System.err);
            progress.stage("sample", steps, "tokens");
            int[] generated = sampler.generate(promptIds, steps, tokenizer.eos(), id -> progress.step());
            progress.done();
            int[] all = java.util.Arrays.copyOf(promptIds, promptIds.length + generated.length);
            System.arraycopy(generated, 0, all, promptIds.length, generated.length);
            System.out.println(tokenizer.decode(all));
        }
        return 0;
    }
}
