package org.likra.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.engine.Engine;
import org.likra.io.FolderLock;
import org.likra.io.ModelDirectory;
import org.likra.model.Initializer;
import org.likra.model.NonFinite;
import org.likra.model.Transformer;
import org.likra.plot.BandPlot;
import org.likra.tokenize.BpeTokenizer;
import org.likra.tokenize.ByteTokenizer;
import org.likra.tokenize.Tokenizer;
import org.likra.tokenize.Tokenizers;
import org.likra.util.Progress;
import org.likra.util.UserError;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.Locale;

/**
 * Pretraining from scratch on a text corpus, with the byte tokenizer or a byte-level BPE tokenizer trained on the
 * corpus when the run starts (saved in every checkpoint and read back on resume): random-window batches, AdamW, periodic held-out evaluation,
 * crash-safe checkpoints, exact resume, metrics.jsonl and a loss-curve PNG in the run directory.
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

    /** The folder, inside a run, of the model with the lowest held-out loss so far (with {@link #stopWhenNoBetter}). */
    public static final String BEST = "best";
    /** The file in {@link #BEST} that records its step and held-out loss. */
    public static final String BEST_STATE = "best.json";

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
        PretrainOptions options = requested;
        TrainerState resumeState = null;
        Path checkpoint = RunCheckpoint.find(runDir);
        if (resume) {
            if (checkpoint == null) {
                throw new UserError(runDir + ": no checkpoint to resume from; start a new run without --resume");
            }
            resumeState = RunCheckpoint.readState(checkpoint);
            Path stateFile = checkpoint.resolve(RunCheckpoint.STATE);
            if (resumeState.options() == null) {
                throw new UserError(stateFile + " has no \"options\" field, so the run's settings are unknown; the "
                        + "checkpoint is incomplete: start a new run");
            }
            if (resumeState.corpusSha256() == null) {
                throw new UserError(stateFile + " has no \"corpus_sha256\" field, so the corpus cannot be checked "
                        + "against the one the run was trained on; the checkpoint is incomplete: start a new run");
            }
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
        ModelConfig preset = resumeState == null ? Presets.load(options.model()) : null;

        String text = readText(Path.of(options.corpus()));
        int bpeVocab = PretrainOptions.bpeVocab(options.tokenizer());
        Tokenizer tokenizer;
        String tokenizerNote = "";
        if (resumeState != null) {
            tokenizer = Tokenizers.load(ModelDirectory.readConfig(checkpoint).tokenizer(), checkpoint);
        } else if (bpeVocab > 0) {
            long t0 = System.nanoTime();
            tokenizer = BpeTokenizer.train(bpeTrainingText(text, options.valFraction()), bpeVocab);
            tokenizerNote = String.format(", trained in %.1f s", (System.nanoTime() - t0) / 1e9);
        } else {
            tokenizer = new ByteTokenizer();
        }
        int[] tokens = tokenizer.encode(text);
        double tokensPerByte = tokens.length / (double) text.getBytes(StandardCharsets.UTF_8).length;
        String sha = sha256(tokens);
        if (resumeState != null && !sha.equals(resumeState.corpusSha256())) {
            throw new UserError(options.corpus() + ": the corpus differs from the one this run was trained on "
                    + "(sha256 of its tokens changed); resume with the original corpus");
        }
        TokenDataset data = new TokenDataset(tokens, options.valFraction(), options.seq(), options.corpus());

        ModelConfig config;
        Transformer model;
        if (resumeState != null) {
            ModelDirectory.Loaded loaded = ModelDirectory.load(checkpoint, engine);
            model = loaded.model();
            config = model.config();
        } else {
            config = bpeVocab > 0 ? preset.withVocab(bpeVocab) : preset;
            model = new Transformer(config, engine);
            Initializer.initialize(model, options.seed());
        }
        if (tokenizer.vocabSize() > config.vocab()) {
            throw new UserError("model " + config.name() + " has a vocabulary of " + config.vocab() + " but the "
                    + options.tokenizer() + " tokenizer needs " + tokenizer.vocabSize());
        }
        if (options.seq() > config.context()) {
            throw new UserError("--seq " + options.seq() + " is longer than the context of " + config.name() + " ("
                    + config.context() + ")");
        }
        AdamW optimizer = new AdamW(engine, model.parameters(), model.gradients(), model.layout().decayedCount(),
                (float) options.beta1(), (float) options.beta2(), (float) options.adamEps(),
                (float) options.weightDecay(), (float) options.gradClip());
        int startStep = 0;
        double elapsedBefore = 0;
        if (resumeState != null) {
            startStep = resumeState.step();
            elapsedBefore = resumeState.elapsedSeconds();
            RunCheckpoint.loadOptimizer(checkpoint, model, optimizer, startStep);
        }

        double unigram = data.unigramEntropy(config.vocab());
        try (StopOnSignal signal = StopOnSignal.install()) {
            log.printf("likra pretrain: %s (%,d parameters) on %s: %,d tokens (%,d train, %,d held out), "
                            + "tokenizer %s (%,d ids, %.4f tokens/byte%s), unigram entropy %.4f nats/token%n",
                    config.name(), model.layout().total(), options.corpus(), data.size(), data.trainTokens(),
                    data.validationTokens(), options.tokenizer(), tokenizer.vocabSize(), tokensPerByte, tokenizerNote,
                    unigram);
            log.printf("  engine %s, batch %d x %d tokens, %s lr %.2e (warm-up %d), steps %d%s%n", engine.name(),
                    options.batch(), options.seq(), options.schedule(), options.lr(), options.warmup(),
                    options.steps(), resumeState != null ? ", resuming after step " + startStep : "");
            return loop(new Run(options, runDir, model, tokenizer, optimizer, data, sha, unigram, startStep,
                    elapsedBefore), signal);
        }
    }

    /** What the training loop works on. */
    private record Run(PretrainOptions options, Path runDir, Transformer model, Tokenizer tokenizer,
                       AdamW optimizer, TokenDataset data, String sha, double unigram, int startStep,
                       double elapsedBefore) {
    }

    private Result loop(Run run, StopOnSignal signal) throws IOException {
        PretrainOptions options = run.options();
        Path runDir = run.runDir();
        Transformer model = run.model();
        AdamW optimizer = run.optimizer();
        int startStep = run.startStep();
        LearningRateSchedule schedule = options.learningRate();
        Path metricsFile = runDir.resolve("metrics.jsonl");
        double lastLoss = Double.NaN;
        double lastVal = Double.NaN;
        long tokensPerStep = (long) options.batch() * options.seq();
        double[] stepTokensPerSecond = new double[Math.max(0, options.steps() - startStep)];
        long runStart = System.nanoTime();
        long lastCheckpointAt = clock.getAsLong();
        int lastGoodStep = run.startStep() > 0 ? run.startStep() : -1;
        BestModel best = patience > 0 ? BestModel.read(runDir) : null;
        try (MetricsLog metrics = new MetricsLog(metricsFile, startStep > 0 ? startStep : -1);
             Progress progress = showProgress ? new Progress(log, true) : Progress.silent()) {
            progress.stage("pretrain", options.steps(), "steps", startStep);
            for (int step = startStep + 1; step <= options.steps(); step++) {
                long t0 = System.nanoTime();
                TokenDataset.Batch batch = run.data().trainingBatch(options.seed(), step, options.batch(),
                        options.seq());
                model.setInputs(batch.inputs(), batch.targets(), null, batch.batch(), batch.time());
                model.forward();
                model.backward();
                float lr = (float) schedule.at(step);
                double loss = model.loss();
                double gradNorm = optimizer.gradientNorm();
                if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
                    // Checked before the update, so that nothing non-finite reaches the parameters.
                    throw diverged(step, lr, (Double.isFinite(loss) ? "the gradient norm became " + gradNorm
                            + " (loss " + loss + ")" : "the training loss became " + loss) + "; the step was not "
                            + "applied", runDir, lastGoodStep);
                }
                optimizer.update(step, lr);
                long t1 = System.nanoTime();
                lastLoss = loss;
                double tps = tokensPerStep / ((t1 - t0) / 1e9);
                stepTokensPerSecond[step - startStep - 1] = tps;
                ObjectNode record = MetricsLog.record(step);
                record.put("loss", loss);
                record.put("lr", lr);
                record.put("tokens_per_s", Math.round(tps * 10) / 10.0);
                record.put("grad_norm", gradNorm);
                boolean evaluate = step % options.evalEvery() == 0 || step == options.steps();
                if (evaluate) {
                    lastVal = evaluate(model, run.data(), options);
                    record.put("val_loss", lastVal);
                }
                metrics.write(record);
                // Short enough that the bar still fits 80 columns: "pretrain  42% [====] 420/1000 3.10 steps/s
                // ETA 3:05  loss 2.123 val 2.345".
                progress.stepTo(step, String.format(Locale.ROOT, "loss %.3f", loss)
                        + (Double.isNaN(lastVal) ? "" : String.format(Locale.ROOT, " val %.3f", lastVal)));
                if (evaluate && !showProgress) {
                    log.printf("  step %5d  loss %.4f  val_loss %.4f  lr %.2e  %.0f tok/s%n", step, loss, lastVal,
                            lr, tps);
                }
                boolean noBetter = false;
                if (evaluate && patience > 0) {
                    double value = criterion.value(model, run.tokenizer(), lastVal);
                    if (value < best.criterion()) {
                        best = new BestModel(step, lastVal, value, false);
                        best.save(runDir, model, run.tokenizer());
                    }
                    noBetter = step - best.step() >= (long) patience * options.evalEvery() && step < options.steps();
                }
                boolean interrupted = signal.requested() || stopRequested;
                boolean stopping = (step == stopAfter && step < options.steps()) || noBetter || interrupted;
                long now = clock.getAsLong();
                boolean byTime = checkpointNanos > 0 && now - lastCheckpointAt >= checkpointNanos;
                if (step % options.checkpointEvery() == 0 || step == options.steps() || stopping || byTime) {
                    double elapsed = run.elapsedBefore() + (System.nanoTime() - runStart) / 1e9;
                    RunCheckpoint.Snapshot values = RunCheckpoint.Snapshot.of(model, optimizer);
                    NonFinite bad = values.firstNonFinite(model.layout());
                    if (bad != null) {
                        throw diverged(step, lr, "after its update, " + bad.describe() + "; nothing of this step "
                                + "was saved", runDir, lastGoodStep);
                    }
                    RunCheckpoint.save(runDir, model, values, run.tokenizer(),
                            new TrainerState(step, options, run.data().size(), run.sha(), elapsed));
                    lastGoodStep = step;
                    if (!interrupted) {
                        // Not while the JVM shuts down: drawing may start AWT, which cannot start then.
                        plotLoss(metricsFile, runDir.resolve("loss.png"), model.config().name(), run.unigram());
                    }
                    if (byTime && !showProgress && !stopping && step % options.checkpointEvery() != 0) {
                        log.printf("  step %5d  checkpoint (%.1f minutes since the last)%n", step,
                                (now - lastCheckpointAt) / 60e9);
                    }
                    lastCheckpointAt = now;
                }
                if (noBetter) {
                    new BestModel(best.step(), best.valLoss(), best.criterion(), true).write(runDir);
                    log.printf("stopped after step %d: no evaluation has improved on step %d's (held-out loss %.4f, "
                            + "criterion %.4f) for %d evaluations; that model is in %s%n", step, best.step(),
                            best.valLoss(), best.criterion(), patience, runDir.resolve(BEST));
                    return new Result(step, lastLoss, lastVal, run.unigram(), Double.NaN, runDir);
                }
                if (interrupted) {
                    String message = "interrupted: stopped after step " + step + " with a checkpoint in "
                            + runDir.resolve(RunCheckpoint.DIR) + "; continue with --resume";
                    log.println(message);
                    log.flush();
                    throw new Interrupted(message);
                }
                if (stopping) {
                    log.printf("stopped after step %d as asked; continue with --resume%n", step);
                    return new Result(step, lastLoss, lastVal, run.unigram(), Double.NaN, runDir);
                }
            }
        }
        double median = median(stepTokensPerSecond);
        log.printf("done: step %d, loss %.4f, held-out loss %.4f (unigram entropy %.4f); %.0f tokens/s (median); "
                        + "model in %s%n", options.steps(), lastLoss, lastVal, run.unigram(), median,
                runDir.resolve(RunCheckpoint.DIR));
        return new Result(options.steps(), lastLoss, lastVal, run.unigram(), median, runDir);
    }

    /** The error of a diverged run: what became non-finite at {@code step} and where the last good checkpoint is. */
    private static UserError diverged(int step, float lr, String what, Path runDir, int lastGoodStep) {
        Path good = RunCheckpoint.find(runDir);
        String checkpoint = lastGoodStep > 0 && good != null
                ? "the last good checkpoint (step " + lastGoodStep + ") is in " + good
                : "no checkpoint was saved (a checkpoint is only saved when every value is finite)";
        return new UserError(String.format(java.util.Locale.ROOT, "the training diverged at step %d (lr %.3g): %s; "
                + "%s; lower --lr or raise --warmup and start a new run", step, lr, what, checkpoint));
    }

    /** Mean loss over the fixed held-out batches. */
    public static double evaluate(Transformer model, TokenDataset data, PretrainOptions options) {
        double sum = 0;
        for (int i = 0; i < options.evalBatches(); i++) {
            TokenDataset.Batch batch = data.validationBatch(i, options.evalBatches(), options.batch(), options.seq());
            model.setInputs(batch.inputs(), batch.targets(), null, batch.batch(), batch.time());
            model.forward();
            sum += model.loss();
        }
        return sum / options.evalBatches();
    }

    private static void validate(PretrainOptions o) {
        if (o.steps() <= 0 || o.batch() <= 0 || o.seq() <= 0 || o.evalEvery() <= 0 || o.evalBatches() <= 0
                || o.checkpointEvery() <= 0) {
            throw new UserError("--steps, --batch, --seq, --eval-every, --eval-batches and --checkpoint-every must "
                    + "be positive");
        }
        if (!(o.valFraction() > 0 && o.valFraction() < 0.5)) {
            throw new UserError("--val-fraction must be in (0, 0.5), got " + o.valFraction());
        }
        o.learningRate();
        PretrainOptions.bpeVocab(o.tokenizer());
    }

    /**
     * The text a new run's BPE tokenizer is trained on: the corpus without its held-out tail (the last
     * {@code valFraction} of its characters), so that the tokenizer does not see the text the model is evaluated on.
     */
    static String bpeTrainingText(String text, double valFraction) {
        int end = (int) Math.round(text.length() * (1 - valFraction));
        if (end > 0 && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, Math.max(0, Math.min(end, text.length())));
    }

    /** Reads a UTF-8 text corpus and tokenizes it. */
    public static int[] readCorpus(Path file, Tokenizer tokenizer) {
        return tokenizer.encode(readText(file));
    }

    /** Reads a UTF-8 text corpus; a UserError when it is missing, empty or not UTF-8. */
    public static String readText(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such corpus file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the corpus: " + e.getMessage(), e);
        }
        java.nio.charset.CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length);
        java.nio.charset.CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new UserError(file + ":" + line + ": not UTF-8 text (byte " + in.position() + "); convert the "
                    + "corpus to UTF-8");
        }
        String text = out.flip().toString();
        if (text.isEmpty()) {
            throw new UserError(file + ": the corpus is empty");
        }
        return text;
    }

    private static String sha256(int[] tokens) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(tokens.length * 4);
            buf.asIntBuffer().put(tokens);
            return HexFormat.of().formatHex(digest.digest(buf.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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

    /** Writes the loss curve of a metrics file: training loss, held-out loss, and the unigram entropy. */
    public static void plotLoss(Path metricsFile, Path png, String modelName, double unigram) throws IOException {
        List<JsonNode> records = MetricsLog.read(metricsFile);
        BandPlot plot = new BandPlot("Pretraining " + modelName, "step", "loss (nats/token)");
        for (JsonNode r : records) { // non-finite losses (a diverged step) are left out of the plot
            double step = r.get("step").asDouble();
            if (Double.isFinite(r.get("loss").asDouble())) {
                plot.add("training loss", step, r.get("loss").asDouble());
            }
            if (r.has("val_loss") && Double.isFinite(r.get("val_loss").asDouble())) {
                plot.add("held-out loss", step, r.get("val_loss").asDouble());
            }
        }
        if (Double.isFinite(unigram)) {
            plot.reference(String.format(java.util.Locale.ROOT, "unigram entropy %.2f", unigram), unigram);
        }
        plot.writePng(png);
    }

    /**
     * The best model of a run by its early-stopping criterion: its step, its held-out loss, the criterion's value
     * and whether the run stopped because no later evaluation improved on it. Saved as a model directory, {@code <run>/best/}, written atomically.
     */
    public record BestModel(int step, double valLoss, double criterion, boolean stopped) {
        /** The run's best model so far, or none (step 0, infinite loss). */
        public static BestModel read(Path runDir) throws IOException {
            Path old = runDir.resolve(BEST + ".old");
            if (!Files.exists(runDir.resolve(BEST)) && Files.isRegularFile(old.resolve(BEST_STATE))) {
                // A crash between the two renames of save(): the previous best model is the best one.
                Files.move(old, runDir.resolve(BEST));
            }
            Path f = runDir.resolve(BEST).resolve(BEST_STATE);
            if (!Files.isRegularFile(f)) {
                return new BestModel(0, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, false);
            }
            JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(f.toFile());
            return new BestModel(n.get("step").asInt(), n.get("val_loss").asDouble(), n.get("criterion").asDouble(),
                    n.path("stopped").asBoolean());
        }

        void save(Path runDir, Transformer model, Tokenizer tokenizer) throws IOException {
            Path tmp = runDir.resolve(BEST + ".tmp");
            RunCheckpoint.deleteTree(tmp);
            ModelDirectory.save(tmp, model, tokenizer);
            write(tmp);
            Path target = runDir.resolve(BEST);
            Path old = runDir.resolve(BEST + ".old");
            RunCheckpoint.deleteTree(old);
            if (Files.exists(target)) {
                Files.move(target, old);
            }
            // Between these renames only best.old/ exists, and read() takes it back.
            Files.move(tmp, target);
            RunCheckpoint.deleteTree(old);
        }

        void write(Path dir) throws IOException {
            Path target = dir.getFileName().toString().equals(BEST + ".tmp") ? dir : dir.resolve(BEST);
            org.likra.io.AtomicFiles.writeString(target.resolve(BEST_STATE), String.format(java.util.Locale.ROOT,
                    "{\"step\": %d, \"val_loss\": %.6f, \"criterion\": %.6f, \"stopped\": %b}%n", step, valLoss,
                    criterion, stopped));
        }
    }
}
