package org.likra.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.engine.Engine;
import org.likra.io.FolderLock;
import org.likra.io.ModelDirectory;
import org.likra.io.Tokenizers;
import org.likra.model.Initializer;
import org.likra.model.NonFinite;
import org.likra.model.Transformer;
import org.likra.tokenize.BpeTokenizer;
import org.likra.tokenize.ByteTokenizer;
import org.likra.tokenize.Tokenizer;
import org.likra.util.Progress;
import org.likra.util.UserError;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.LongSupplier;
import java.util.Locale;

/**
 * Pretraining from scratch on a text corpus, with the byte tokenizer or a byte-level BPE tokenizer trained on the
 * corpus when the run starts (saved in every checkpoint and read back on resume): random-window batches, a
 * {@link TrainingStep} each, periodic held-out evaluation, crash-safe checkpoints, exact resume, metrics.jsonl and
 * a loss-curve PNG ({@link LossPlot}) in the run directory.
 */
public final class Pretrainer {
    /** What a finished run reports. */
    public record Result(int steps, double lastLoss, double lastValLoss, double unigramEntropy,
                         double medianTokensPerSecond, Path runDir) {
    }

    private final Engine engine;
    private final PrintStream log;
    private final boolean showProgress;
    private int stopAfter = Integer.MAX_VALUE;
    private long checkpointNanos = (long) (DEFAULT_CHECKPOINT_MINUTES * 60e9);
    private LongSupplier clock = System::nanoTime;
    private volatile boolean stopRequested;
    private int patience;
    private Criterion criterion = (model, tokenizer, heldOutLoss) -> heldOutLoss;

    public Pretrainer(Engine engine, PrintStream log, boolean showProgress) {
        this.engine = engine;
        this.log = log;
        this.showProgress = showProgress;
    }

    /**
     * What "better" means for {@link #stopWhenNoBetter}: a value computed at each evaluation, lower is better. The
     * default is the held-out loss itself.
     */
    @FunctionalInterface
    public interface Criterion {
        double value(Transformer model, Tokenizer tokenizer, double heldOutLoss);
    }

    /**
     * Keeps the model with the lowest held-out loss in {@code <run>/best/} (with {@code best.json}: its step, loss
     * and criterion value) and ends the run, with {@code "stopped": true} in best.json, once {@code evaluations}
     * evaluations in a row have not improved on it: pretraining "until the held-out loss stops improving". 0 (the
     * default) keeps no best model and runs every step.
     */
    public Pretrainer stopWhenNoBetter(int evaluations) {
        if (evaluations < 0) {
            throw new UserError("the early-stopping patience must be 0 (off) or positive, got " + evaluations);
        }
        this.patience = evaluations;
        return this;
    }

    /** As {@link #stopWhenNoBetter(int)}, with another criterion than the held-out loss (lower is better). */
    public Pretrainer stopWhenNoBetter(int evaluations, Criterion by) {
        this.criterion = by;
        return stopWhenNoBetter(evaluations);
    }

    /** Ends the run after step {@code step} with a checkpoint, so that --resume can continue it later. */
    public Pretrainer stopAfter(int step) {
        this.stopAfter = step;
        return this;
    }

    /**
     * Saves a checkpoint whenever {@code minutes} have passed since the last one, besides every
     * {@code checkpoint_every} steps (0: by steps only). The default is {@link #DEFAULT_CHECKPOINT_MINUTES}.
     */
    public Pretrainer checkpointEveryMinutes(double minutes) {
        if (!(minutes >= 0) || Double.isInfinite(minutes)) {
            throw new UserError("--checkpoint-minutes must be 0 (off) or positive, got " + minutes);
        }
        this.checkpointNanos = (long) (minutes * 60e9);
        return this;
    }

    /** The clock of {@link #checkpointEveryMinutes}, in nanoseconds (tests pass one that they advance). */
    Pretrainer clock(LongSupplier nanoTime) {
        this.clock = nanoTime;
        return this;
    }

    /** Stops the run after the current step with a checkpoint, as SIGINT or SIGTERM does (tests call it). */
    void requestStop() {
        this.stopRequested = true;
    }

    /** The default of {@link #checkpointEveryMinutes}. */
    public static final double DEFAULT_CHECKPOINT_MINUTES = 10;

    /**
     * Thrown when SIGINT or SIGTERM stopped the run after it saved a checkpoint; its message has already been printed
     * to the log (before the JVM was let exit).
     */
    public static final class Interrupted extends UserError {
        private static final long serialVersionUID = 1L;

        Interrupted(String message) {
            super(message);
        }
    }

    /**
     * Runs (or, with {@code resume}, continues) a pretraining run in {@code runDir}, holding its
     * {@link FolderLock} throughout. SIGINT and SIGTERM stop it after the current step with a checkpoint
     * ({@link Interrupted}); a NaN or infinite loss, gradient norm or weight stops it before anything non-finite is
     * saved (a UserError naming the last good checkpoint).
     *
     * @param requested the options of a new run; on resume only its {@code steps} (if positive) and {@code corpus}
     *                  (if given) are used
     */
    @SuppressWarnings("try") // the run folder's lock is held for the block, not used in it
    public Result run(PretrainOptions requested, Path runDir, boolean resume) throws IOException {
        if (resume) {
            if (RunCheckpoint.find(runDir) == null) {
                throw new UserError(runDir + ": no checkpoint to resume from (expected " + runDir.resolve(
                        RunCheckpoint.DIR).resolve(RunCheckpoint.STATE) + "); start a new run without --resume");
            }
        } else {
            // What can be checked before anything is written.
            validate(requested);
            Presets.load(requested.model());
        }
        try (FolderLock lock = FolderLock.acquire(runDir, "likra pretrain run")) {
            return runLocked(requested, runDir, resume);
        }
    }

    private Result runLocked(PretrainOptions requested, Path runDir, boolean resume) throws IOException {
        Path checkpoint = RunCheckpoint.find(runDir);
        TrainerState resumeState = null;
        PretrainOptions options = requested;
        if (resume) {
            if (checkpoint == null) {
                throw new UserError(runDir + ": no checkpoint to resume from; start a new run without --resume");
            }
            resumeState = readResumeState(checkpoint);
            options = resumeState.options();
            if (requested != null && requested.steps() > 0) {
                options = options.withSteps(requested.steps());
            }
            if (resumeState.step() >= options.steps()) {
                log.printf("%s: the run is already finished: its checkpoint is of step %d and the run has %d steps; "
                                + "nothing to do (give --steps with more than %d to train further)%n", runDir,
                        resumeState.step(), options.steps(), resumeState.step());
                return new Result(resumeState.step(), Double.NaN, Double.NaN, Double.NaN, Double.NaN, runDir);
            }
            if (requested != null && requested.corpus() != null && !requested.corpus().equals(options.corpus())) {
                // The run (or its corpus) was moved: read the corpus given now; its tokens must hash as before.
                log.printf("resuming with the corpus %s (the run was started with %s)%n", requested.corpus(),
                        options.corpus());
                options = options.withCorpus(requested.corpus());
            }
        } else if (checkpoint != null) {
            throw new UserError(runDir + " already holds a run (" + checkpoint + "); pass --resume to continue it or "
                    + "choose another --out");
        }
        validate(options);
        Run run = prepare(options, runDir, resume ? checkpoint : null, resumeState);
        try (StopOnSignal signal = StopOnSignal.install()) {
            log.printf("likra pretrain: %s (%,d parameters) on %s: %,d tokens (%,d train, %,d held out), "
                            + "tokenizer %s (%,d ids, %.4f tokens/byte%s), unigram entropy %.4f nats/token%n",
                    run.model().config().name(), run.model().layout().total(), options.corpus(), run.data().size(),
                    run.data().trainTokens(), run.data().validationTokens(), options.tokenizer(),
                    run.tokenizer().vocabSize(), run.corpus().tokensPerByte(), run.corpus().tokenizerNote(),
                    run.unigram());
            PretrainOptions.Schedule schedule = options.schedule();
            log.printf("  engine %s, batch %d x %d tokens, %s lr %.2e (warm-up %d), steps %d%s%n", engine.name(),
                    options.batch(), options.seq(), schedule.kind(), schedule.lr(), schedule.warmup(),
                    options.steps(), resumeState != null ? ", resuming after step " + run.startStep() : "");
            return new Loop(run, signal).run();
        }
    }

    /** A checkpoint's trainer state, refused when it lacks what a resume needs. */
    private static TrainerState readResumeState(Path checkpoint) {
        TrainerState state = RunCheckpoint.readState(checkpoint);
        Path stateFile = checkpoint.resolve(RunCheckpoint.STATE);
        if (state.options() == null) {
            throw new UserError(stateFile + " has no \"options\" field, so the run's settings are unknown; the "
                    + "checkpoint is incomplete: start a new run");
        }
        if (state.corpusSha256() == null) {
            throw new UserError(stateFile + " has no \"corpus_sha256\" field, so the corpus cannot be checked "
                    + "against the one the run was trained on; the checkpoint is incomplete: start a new run");
        }
        return state;
    }

    /** The tokenized corpus of a run: its tokenizer and tokens, their fingerprint, and how the tokenizer was made. */
    private record TokenizedCorpus(Tokenizer tokenizer, int[] tokens, String sha256, double tokensPerByte,
                                   String tokenizerNote) {
    }

    /** What the training loop works on. */
    private record Run(PretrainOptions options, Path runDir, Transformer model, AdamW optimizer,
                       TokenizedCorpus corpus, TokenDataset data, double unigram, int startStep,
                       double elapsedBefore) {
        Tokenizer tokenizer() {
            return corpus.tokenizer();
        }
    }

    /**
     * Reads the corpus and makes (or, from {@code checkpoint}, loads) the model and the optimizer; checks that the
     * corpus is the one a resumed run was trained on and that the model fits the tokenizer and the windows.
     */
    private Run prepare(PretrainOptions options, Path runDir, Path checkpoint, TrainerState resumeState)
            throws IOException {
        ModelConfig preset = checkpoint == null ? Presets.load(options.model()) : null;
        TokenizedCorpus corpus = tokenize(options, checkpoint);
        if (resumeState != null && !corpus.sha256().equals(resumeState.corpusSha256())) {
            throw new UserError(options.corpus() + ": the corpus differs from the one this run was trained on "
                    + "(sha256 of its tokens changed); resume with the original corpus");
        }
        TokenDataset data = new TokenDataset(corpus.tokens(), options.evaluation().valFraction(), options.seq(),
                options.corpus());
        Transformer model;
        if (checkpoint != null) {
            model = ModelDirectory.load(checkpoint, engine).model();
        } else {
            int bpeVocab = PretrainOptions.bpeVocab(options.tokenizer());
            model = new Transformer(bpeVocab > 0 ? preset.withVocab(bpeVocab) : preset, engine);
            Initializer.initialize(model, options.seed());
        }
        ModelConfig config = model.config();
        if (corpus.tokenizer().vocabSize() > config.vocab()) {
            throw new UserError("model " + config.name() + " has a vocabulary of " + config.vocab() + " but the "
                    + options.tokenizer() + " tokenizer needs " + corpus.tokenizer().vocabSize());
        }
        if (options.seq() > config.context()) {
            throw new UserError("--seq " + options.seq() + " is longer than the context of " + config.name() + " ("
                    + config.context() + ")");
        }
        AdamW optimizer = AdamW.of(model, options.optimizer());
        int startStep = resumeState == null ? 0 : resumeState.step();
        if (resumeState != null) {
            RunCheckpoint.loadOptimizer(checkpoint, model, optimizer, startStep);
        }
        return new Run(options, runDir, model, optimizer, corpus, data, data.unigramEntropy(config.vocab()),
                startStep, resumeState == null ? 0 : resumeState.elapsedSeconds());
    }

    /**
     * Reads and tokenizes the corpus: with the checkpoint's tokenizer on resume, else with the byte tokenizer or a
     * BPE tokenizer trained on the corpus without its held-out tail.
     */
    private static TokenizedCorpus tokenize(PretrainOptions options, Path checkpoint) {
        String text = Corpus.readText(Path.of(options.corpus()));
        int bpeVocab = PretrainOptions.bpeVocab(options.tokenizer());
        Tokenizer tokenizer;
        String note = "";
        if (checkpoint != null) {
            tokenizer = Tokenizers.load(ModelDirectory.readConfig(checkpoint).tokenizer(), checkpoint);
        } else if (bpeVocab > 0) {
            long t0 = System.nanoTime();
            tokenizer = BpeTokenizer.train(Corpus.bpeTrainingText(text, options.evaluation().valFraction()),
                    bpeVocab);
            note = String.format(", trained in %.1f s", (System.nanoTime() - t0) / 1e9);
        } else {
            tokenizer = new ByteTokenizer();
        }
        int[] tokens = tokenizer.encode(text);
        double tokensPerByte = tokens.length / (double) text.getBytes(StandardCharsets.UTF_8).length;
        return new TokenizedCorpus(tokenizer, tokens, Corpus.sha256(tokens), tokensPerByte, note);
    }

    /** The training loop of one run and what it keeps between steps. */
    private final class Loop {
        private final Run run;
        private final PretrainOptions options;
        private final StopOnSignal signal;
        private final TrainingStep step;
        private final Path metricsFile;
        private final double[] stepTokensPerSecond;
        private final long runStart = System.nanoTime();
        private long lastCheckpointAt = clock.getAsLong();
        private int lastGoodStep;
        private BestModel best;
        private double lastLoss = Double.NaN;
        private double lastVal = Double.NaN;

        Loop(Run run, StopOnSignal signal) throws IOException {
            this.run = run;
            this.options = run.options();
            this.signal = signal;
            this.step = new TrainingStep(run.model(), run.optimizer());
            this.metricsFile = run.runDir().resolve("metrics.jsonl");
            this.stepTokensPerSecond = new double[Math.max(0, options.steps() - run.startStep())];
            this.lastGoodStep = run.startStep() > 0 ? run.startStep() : -1;
            this.best = patience > 0 ? BestModel.read(run.runDir()) : null;
        }

        Result run() throws IOException {
            int startStep = run.startStep();
            LearningRateSchedule schedule = options.learningRate();
            try (MetricsLog metrics = new MetricsLog(metricsFile, startStep > 0 ? startStep : -1);
                 Progress progress = showProgress ? new Progress(log, true) : Progress.silent()) {
                progress.stage("pretrain", options.steps(), "steps", startStep);
                for (int t = startStep + 1; t <= options.steps(); t++) {
                    float lr = (float) schedule.at(t);
                    double tps = train(t, lr);
                    boolean evaluate = t % options.evaluation().every() == 0 || t == options.steps();
                    if (evaluate) {
                        lastVal = Pretrainer.evaluate(run.model(), run.data(), options);
                    }
                    metrics.write(record(t, lr, tps, evaluate));
                    // Short enough that the bar still fits 80 columns: "pretrain  42% [====] 420/1000 3.10 steps/s
                    // ETA 3:05  loss 2.123 val 2.345".
                    progress.stepTo(t, String.format(Locale.ROOT, "loss %.3f", lastLoss)
                            + (Double.isNaN(lastVal) ? "" : String.format(Locale.ROOT, " val %.3f", lastVal)));
                    if (evaluate && !showProgress) {
                        log.printf("  step %5d  loss %.4f  val_loss %.4f  lr %.2e  %.0f tok/s%n", t, lastLoss,
                                lastVal, lr, tps);
                    }
                    Result stopped = afterStep(t, lr, evaluate && patience > 0 && noBetterSince(t));
                    if (stopped != null) {
                        return stopped;
                    }
                }
            }
            double median = median(stepTokensPerSecond);
            log.printf("done: step %d, loss %.4f, held-out loss %.4f (unigram entropy %.4f); %.0f tokens/s (median); "
                            + "model in %s%n", options.steps(), lastLoss, lastVal, run.unigram(), median,
                    run.runDir().resolve(RunCheckpoint.DIR));
            return new Result(options.steps(), lastLoss, lastVal, run.unigram(), median, run.runDir());
        }

        /** Trains step t on its batch; returns its tokens per second. */
        private double train(int t, float lr) {
            long t0 = System.nanoTime();
            TokenDataset.Batch batch = run.data().trainingBatch(options.seed(), t, options.batch(), options.seq());
            try {
                lastLoss = step.run(t, lr, batch.inputs(), batch.targets(), null, batch.batch(), batch.time());
            } catch (TrainingStep.Diverged e) {
                // Checked before the update, so that nothing non-finite reaches the parameters.
                throw diverged(e.getMessage());
            }
            double tps = (long) options.batch() * options.seq() / ((System.nanoTime() - t0) / 1e9);
            stepTokensPerSecond[t - run.startStep() - 1] = tps;
            return tps;
        }

        private ObjectNode record(int t, float lr, double tps, boolean evaluated) {
            ObjectNode record = MetricsLog.record(t);
            record.put("loss", lastLoss);
            record.put("lr", lr);
            record.put("tokens_per_s", Math.round(tps * 10) / 10.0);
            record.put("grad_norm", step.gradientNorm());
            if (evaluated) {
                record.put("val_loss", lastVal);
            }
            return record;
        }

        /**
         * Keeps the model of step t when its criterion value is the best so far; whether {@code patience}
         * evaluations have passed without improvement (and the run has steps left).
         */
        private boolean noBetterSince(int t) throws IOException {
            double value = criterion.value(run.model(), run.tokenizer(), lastVal);
            if (value < best.criterion()) {
                best = new BestModel(t, lastVal, value, false);
                best.save(run.runDir(), run.model(), run.tokenizer());
            }
            return t - best.step() >= (long) patience * options.evaluation().every() && t < options.steps();
        }

        /** Saves a checkpoint when one is due and ends the run when asked to; the result when it ends. */
        private Result afterStep(int t, float lr, boolean noBetter) throws IOException {
            boolean interrupted = signal.requested() || stopRequested;
            boolean stopping = (t == stopAfter && t < options.steps()) || noBetter || interrupted;
            checkpointIfDue(t, lr, stopping, interrupted);
            if (noBetter) {
                best.asStopped().write(run.runDir());
                log.printf("stopped after step %d: no evaluation has improved on step %d's (held-out loss %.4f, "
                        + "criterion %.4f) for %d evaluations; that model is in %s%n", t, best.step(),
                        best.valLoss(), best.criterion(), patience, run.runDir().resolve(BestModel.DIR));
                return new Result(t, lastLoss, lastVal, run.unigram(), Double.NaN, run.runDir());
            }
            if (interrupted) {
                String message = "interrupted: stopped after step " + t + " with a checkpoint in "
                        + run.runDir().resolve(RunCheckpoint.DIR) + "; continue with --resume";
                log.println(message);
                log.flush();
                throw new Interrupted(message);
            }
            if (stopping) {
                log.printf("stopped after step %d as asked; continue with --resume%n", t);
                return new Result(t, lastLoss, lastVal, run.unigram(), Double.NaN, run.runDir());
            }
            return null;
        }

        /**
         * Saves step t's checkpoint every {@code checkpoint_every} steps, at the last step, when the run stops, and
         * when {@link #checkpointEveryMinutes} have passed since the last one; redraws loss.png after it.
         */
        private void checkpointIfDue(int t, float lr, boolean stopping, boolean interrupted) throws IOException {
            long now = clock.getAsLong();
            boolean byTime = checkpointNanos > 0 && now - lastCheckpointAt >= checkpointNanos;
            if (!(t % options.checkpointEvery() == 0 || t == options.steps() || stopping || byTime)) {
                return;
            }
            double elapsed = run.elapsedBefore() + (System.nanoTime() - runStart) / 1e9;
            RunCheckpoint.Snapshot values = RunCheckpoint.Snapshot.of(run.model(), run.optimizer());
            NonFinite bad = values.firstNonFinite(run.model().layout());
            if (bad != null) {
                throw diverged(String.format(Locale.ROOT, "the training diverged at step %d (lr %.3g): after its "
                        + "update, %s; nothing of this step was saved", t, lr, bad.describe()));
            }
            RunCheckpoint.save(run.runDir(), run.model(), values, run.tokenizer(),
                    new TrainerState(t, options, run.data().size(), run.corpus().sha256(), elapsed));
            lastGoodStep = t;
            if (!interrupted) {
                // Not while the JVM shuts down: drawing may start AWT, which cannot start then.
                LossPlot.write(metricsFile, run.runDir().resolve("loss.png"), run.model().config().name(),
                        run.unigram());
            }
            if (byTime && !showProgress && !stopping && t % options.checkpointEvery() != 0) {
                log.printf("  step %5d  checkpoint (%.1f minutes since the last)%n", t,
                        (now - lastCheckpointAt) / 60e9);
            }
            lastCheckpointAt = now;
        }

        /** The error of a diverged run: {@code what} happened, and where the last good checkpoint is. */
        private UserError diverged(String what) {
            Path good = RunCheckpoint.find(run.runDir());
            String checkpoint = lastGoodStep > 0 && good != null
                    ? "the last good checkpoint (step " + lastGoodStep + ") is in " + good
                    : "no checkpoint was saved (a checkpoint is only saved when every value is finite)";
            return new UserError(what + "; " + checkpoint + "; lower --lr or raise --warmup and start a new run");
        }
    }

    /** Mean loss over the fixed held-out batches. */
    public static double evaluate(Transformer model, TokenDataset data, PretrainOptions options) {
        int batches = options.evaluation().batches();
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            TokenDataset.Batch batch = data.validationBatch(i, batches, options.batch(), options.seq());
            model.setInputs(batch.inputs(), batch.targets(), null, batch.batch(), batch.time());
            model.forward();
            sum += model.loss();
        }
        return sum / batches;
    }

    private static void validate(PretrainOptions o) {
        if (o.steps() <= 0 || o.batch() <= 0 || o.seq() <= 0 || o.evaluation().every() <= 0
                || o.evaluation().batches() <= 0 || o.checkpointEvery() <= 0) {
            throw new UserError("--steps, --batch, --seq, --eval-every, --eval-batches and --checkpoint-every must "
                    + "be positive");
        }
        if (!(o.evaluation().valFraction() > 0 && o.evaluation().valFraction() < 0.5)) {
            throw new UserError("--val-fraction must be in (0, 0.5), got " + o.evaluation().valFraction());
        }
        o.learningRate();
        PretrainOptions.bpeVocab(o.tokenizer());
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
