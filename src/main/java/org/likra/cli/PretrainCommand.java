package org.likra.cli;

import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.train.AdamW;
import org.likra.train.PretrainOptions;
import org.likra.train.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = {"Pretrain a model from scratch on a UTF-8 text corpus (byte tokens, or a byte-level BPE "
                + "trained on the corpus with --tokenizer bpe:N).",
                "Writes checkpoint/ (a model directory), metrics.jsonl and loss.png into --out; --resume continues "
                        + "an interrupted run exactly."})
public final class PretrainCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Preset name (models/*.json) or JSON file. Default: ${DEFAULT-VALUE}.",
            defaultValue = "llama-1m")
    String model;
    @Option(names = "--corpus", description = "UTF-8 text file to train on.")
    Path corpus;
    @Option(names = "--out", required = true, description = "Run directory.")
    Path out;
    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint with its saved "
            + "settings, reproducing the uninterrupted run exactly. --steps may extend it, which (with the cosine "
            + "schedule) changes the learning rate of the remaining steps.")
    boolean resume;
    @Option(names = "--steps", converter = OptionChecks.Positive.class,
            description = "Optimizer steps. Default: 1000 (with --resume: the run's own).")
    Integer steps;
    @Option(names = "--batch", defaultValue = "16", converter = OptionChecks.Positive.class,
            description = "Sequences per step. Default: ${DEFAULT-VALUE}.")
    int batch;
    @Option(names = "--seq", defaultValue = "128", converter = OptionChecks.Positive.class,
            description = "Tokens per sequence (at most the model's context). Default: ${DEFAULT-VALUE}.")
    int seq;
    @Option(names = "--lr", defaultValue = "1e-3", converter = OptionChecks.PositiveReal.class,
            description = "Peak learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;
    @Option(names = "--schedule", defaultValue = "cosine", converter = OptionChecks.PretrainSchedule.class,
            description = "constant or cosine (from --lr down to --min-lr-fraction x --lr). Default: ${DEFAULT-VALUE}.")
    String schedule;
    @Option(names = "--warmup", defaultValue = "50", converter = OptionChecks.NonNegative.class,
            description = "Warm-up steps (the learning rate rises linearly to --lr). Default: ${DEFAULT-VALUE}.")
    int warmup;
    @Option(names = "--min-lr-fraction", defaultValue = "0.1", converter = OptionChecks.Fraction.class,
            description = "Cosine floor as a fraction of --lr, within [0, 1]. Default: ${DEFAULT-VALUE}.")
    double minLrFraction;
    @Option(names = "--weight-decay", defaultValue = "0.1", converter = OptionChecks.NonNegativeReal.class,
            description = "AdamW decoupled weight decay on matrices. Default: ${DEFAULT-VALUE}.")
    double weightDecay;
    @Option(names = "--beta1", defaultValue = "0.9", converter = OptionChecks.Beta.class,
            description = "AdamW's decay of the first moment (the gradient's running mean), within [0, 1). "
                    + "Default: ${DEFAULT-VALUE}.")
    double beta1;
    @Option(names = "--beta2", defaultValue = "0.95", converter = OptionChecks.Beta.class,
            description = "AdamW's decay of the second moment (the squared gradient's running mean), within "
                    + "[0, 1). Default: ${DEFAULT-VALUE}.")
    double beta2;
    @Option(names = "--adam-eps", defaultValue = "1e-8", converter = OptionChecks.PositiveReal.class,
            description = "AdamW's epsilon, added to the second moment's square root. Default: ${DEFAULT-VALUE}.")
    double adamEps;
    @Option(names = "--grad-clip", defaultValue = "1.0", converter = OptionChecks.NonNegativeReal.class,
            description = "Clip the global gradient norm to this (0: off). Default: ${DEFAULT-VALUE}.")
    double gradClip;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of initialisation and batches. "
            + "Default: ${DEFAULT-VALUE}.")
    long seed;
    @Option(names = "--eval-every", defaultValue = "100", converter = OptionChecks.Positive.class,
            description = "Held-out evaluation interval (steps). Default: ${DEFAULT-VALUE}.")
    int evalEvery;
    @Option(names = "--eval-batches", defaultValue = "8", converter = OptionChecks.Positive.class,
            description = "Held-out batches per evaluation. Default: ${DEFAULT-VALUE}.")
    int evalBatches;
    @Option(names = "--checkpoint-every", defaultValue = "200", converter = OptionChecks.Positive.class,
            description = "Checkpoint interval (steps). Default: ${DEFAULT-VALUE}.")
    int checkpointEvery;
    @Option(names = "--checkpoint-minutes", defaultValue = "10", converter = OptionChecks.NonNegativeReal.class,
            description = "Also save a checkpoint when this many minutes have passed since the last (0: by steps "
                    + "only). SIGINT (Ctrl-C) and SIGTERM save one too. Default: ${DEFAULT-VALUE}.")
    double checkpointMinutes;
    @Option(names = "--val-fraction", defaultValue = "0.05", converter = OptionChecks.OpenFraction.class,
            description = "Tail of the corpus held out for evaluation, within (0, 1). Default: ${DEFAULT-VALUE}.")
    double valFraction;
    @Option(names = "--stop-after", converter = OptionChecks.Positive.class,
            description = "Stop after this step with a checkpoint (continue later with --resume).")
    Integer stopAfter;
    @Option(names = "--tokenizer", description = "byte (UTF-8 bytes, 256 ids) or bpe:<vocab size> (a byte-level BPE "
            + "trained on the corpus when the run starts, saved as tokenizer.json in each checkpoint; the model's "
            + "vocabulary becomes <vocab size>; 257..65536). Ignored with --resume, which keeps the run's tokenizer. "
            + "Default: byte.")
    String tokenizer;
    @Option(names = "--no-progress", description = "Print a line per evaluation instead of a progress bar. "
            + "Default: a bar on a terminal.")
    boolean noProgress;
    @Mixin
    EngineOptions engineOptions;
    @Spec
    CommandSpec spec;

    /** The options that a run keeps from its start: given with --resume, they are ignored. */
    private static final List<String> RUN_SETTINGS = List.of("--model", "--batch", "--seq", "--lr", "--schedule",
            "--warmup", "--min-lr-fraction", "--weight-decay", "--beta1", "--beta2", "--adam-eps", "--grad-clip",
            "--seed", "--eval-every", "--eval-batches", "--checkpoint-every", "--val-fraction", "--tokenizer");

    @Override
    public Integer call() throws Exception {
        if (!resume && corpus == null) {
            throw new org.likra.util.UserError("pretrain needs --corpus <text file> (or --resume)");
        }
        PretrainOptions options = options();
        try (Engine engine = engineOptions.create()) {
            boolean progress = !noProgress && org.likra.util.Progress.onTerminal();
            Pretrainer trainer = new Pretrainer(engine, System.out, progress);
            if (stopAfter != null) {
                trainer.stopAfter(stopAfter);
            }
            trainer.checkpointEveryMinutes(checkpointMinutes);
            List<String> ignored = resume ? RUN_SETTINGS.stream()
                    .filter(o -> spec.commandLine().getParseResult().hasMatchedOption(o)).toList() : List.of();
            if (!ignored.isEmpty()) {
                System.out.println("note: " + String.join(", ", ignored) + (ignored.size() == 1 ? " is" : " are")
                        + " ignored with --resume: a resumed run keeps the settings saved in its checkpoint "
                        + "(trainer_state.json); only --steps and --corpus apply");
            }
            trainer.run(options, out, resume);
        } catch (Pretrainer.Interrupted e) {
            return 130; // the JVM exits with the signal's status; the message is printed already
        }
        return 0;
    }

    /** The options of the command line (with --resume, only --steps, 0 when not given, and --corpus are used). */
    PretrainOptions options() {
        String tokenizerValue = tokenizer == null ? PretrainOptions.BYTE_TOKENIZER : tokenizer;
        PretrainOptions.bpeVocab(tokenizerValue);
        return PretrainOptions.DEFAULTS.withModel(model).withCorpus(corpus == null ? null : corpus.toString())
                .withTokenizer(tokenizerValue)
                .withSteps(steps != null ? steps : resume ? 0 : PretrainOptions.DEFAULTS.steps())
                .withBatch(batch, seq)
                .withSeed(seed)
                .withSchedule(PretrainOptions.Schedule.DEFAULT.withKind(schedule).withLr(lr).withWarmup(warmup)
                        .withMinLrFraction(minLrFraction))
                .withOptimizer(AdamWSettings.PRETRAINING.withBetas((float) beta1, (float) beta2)
                        .withEps((float) adamEps).withWeightDecay((float) weightDecay)
                        .withMaxGradNorm((float) gradClip))
                .withEvaluation(PretrainOptions.Evaluation.DEFAULT.withValFraction(valFraction).withEvery(evalEvery)
                        .withBatches(evalBatches))
                .withCheckpointEvery(checkpointEvery);
    }
}
