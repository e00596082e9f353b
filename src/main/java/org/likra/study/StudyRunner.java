package org.likra.study;

import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engines.Engines;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a study's cells: for each base model (in this shard) its pretraining and scoring, the choice of head settings
 * on the validation split, then for each head seed the positive head, the negative head of every arm and the DPO
 * baselines. A cell whose output file exists is skipped, so a killed study resumes where it stopped (a pretraining
 * run resumes from its last checkpoint). Up to {@code workers} cells run at once, each on its own cpu engine with
 * an equal share of the cores; a cell starts when the cells it reads from are done.
 */
public final class StudyRunner {
    /** One unit of work. */
    record Cell(String id, Path output, List<String> after, Work work) {
    }

    @FunctionalInterface
    interface Work {
        void run(Engine engine) throws IOException;
    }

    private final StudyPlan plan;
    private final StudyLayout layout;
    private final PrintStream log;
    private final int workers;
    private final int shard;
    private final int shards;
    private final String engineName;

    public StudyRunner(StudyPlan plan, Path dir, PrintStream log, int workers, int shard, int shards,
                       String engineName) {
        if (workers < 1 || workers > 64) {
            throw new UserError("--workers must be within 1..64, got " + workers);
        }
        if (shards < 1 || shard < 0 || shard >= shards) {
            throw new UserError("--shard must be i/n with 0 <= i < n, got " + shard + "/" + shards);
        }
        this.plan = plan;
        this.layout = new StudyLayout(dir);
        this.log = log;
        this.workers = workers;
        this.shard = shard;
        this.shards = shards;
        this.engineName = engineName;
    }

    /** The bases of this shard: the i-th of every n in the plan's order (a base and all its heads stay together). */
    List<String[]> basesOfShard() {
        List<String[]> out = new ArrayList<>();
        int index = 0;
        for (StudyPlan.Base b : plan.bases()) {
            for (long seed : b.seeds()) {
                if (index++ % shards == shard) {
                    out.add(new String[] {b.model(), Long.toString(seed)});
                }
            }
        }
        return out;
    }

    /** Every cell of this shard, in dependency order. */
    List<Cell> cells(StudyCells work, boolean bars) {
        List<Cell> cells = new ArrayList<>();
        int index = 0;
        for (StudyPlan.Base b : plan.bases()) {
            for (long seed : b.seeds()) {
                String id = StudyPlan.baseId(b, seed);
                if (index++ % shards != shard) {
                    continue; // another shard's base (the rule of basesOfShard)
                }
                cells.add(new Cell("base " + id, layout.baseScores(id), List.of(),
                        engine -> work.base(engine, b, seed, bars)));
                cells.add(new Cell("selection " + id, layout.selection(id), List.of("base " + id),
                        engine -> work.selection(engine, id)));
                for (long h : plan.heads().seeds()) {
                    List<String[]> heads = new ArrayList<>();
                    heads.add(new String[] {"positive", "positive"});
                    heads.add(new String[] {"negative", plan.main().name()});
                    if (b.ablations()) {
                        plan.arms().forEach(a -> heads.add(new String[] {"negative", a.name()}));
                    }
                    for (StudyPlan.Dpo d : plan.dpo()) {
                        if (!d.ablation() || b.ablations()) {
                            heads.add(new String[] {"dpo", d.name()});
                        }
                    }
                    for (String[] k : heads) {
                        cells.add(new Cell(k[0] + " " + k[1] + " " + id + " h" + h,
                                layout.head(id, h, k[0], k[1]), List.of("selection " + id),
                                engine -> work.head(engine, id, h, k[0], k[1])));
                    }
                }
            }
        }
        return cells;
    }

    /** Runs every unfinished cell of this shard; returns the number of cells that failed. */
    @SuppressWarnings("try") // the lock is held for the block, not used in it
    public int run() throws IOException {
        Files.createDirectories(layout.root());
        try (FileChannel lockFile = FileChannel.open(layout.lock(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = tryLock(lockFile)) {
            checkPlan();
            StudyWorld world = StudyWorld.generate(plan);
            world.writeTo(layout.world());
            StudyCells work = new StudyCells(plan, world, layout, log);
            List<Cell> cells = cells(work, workers == 1 && System.console() != null);
            long done = cells.stream().filter(c -> Files.exists(c.output())).count();
            log.printf("likra study %s: %d cells in shard %d/%d (%d done, %d to run), %d worker%s; %d test, %d "
                            + "validation and %d training questions; N = %s%n", plan.name(), cells.size(), shard,
                    shards, done, cells.size() - done, workers, workers == 1 ? "" : "s", world.test().size(),
                    world.validation().size(), world.train().size(), java.util.Arrays.toString(work.ns()));
            if (done == cells.size()) {
                return 0; // nothing to run, so no compute to record
            }
            StudyCompute compute = new StudyCompute(layout, shard, shards, workers);
            try {
                return execute(cells, done, compute);
            } finally {
                compute.save();
            }
        }
    }

    private FileLock tryLock(FileChannel channel) throws IOException {
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new UserError(layout.root() + " is in use by another likra study run; wait for it to end or "
                        + "choose another --out");
            }
            return lock;
        } catch (OverlappingFileLockException e) {
            throw new UserError(layout.root() + " is in use by another likra study run in this process");
        }
    }

    /** Saves the plan, or checks that the folder holds the same one. */
    private void checkPlan() throws IOException {
        String json = plan.toJson();
        if (Files.exists(layout.plan())) {
            String existing = Files.readString(layout.plan(), StandardCharsets.UTF_8);
            if (!existing.equals(json)) {
                throw new UserError(layout.plan() + " holds another plan than the one given; a study folder keeps "
                        + "one plan (choose another --out, or delete the folder to start over)");
            }
        } else {
            AtomicFiles.writeString(layout.plan(), json);
        }
    }

    private int execute(List<Cell> cells, long alreadyDone, StudyCompute compute) {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / workers);
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "study-worker");
            t.setDaemon(true);
            return t;
        });
        Map<String, CompletableFuture<Void>> futures = new LinkedHashMap<>();
        AtomicInteger finished = new AtomicInteger((int) alreadyDone);
        AtomicInteger failed = new AtomicInteger();
        long start = System.nanoTime();
        for (Cell cell : cells) {
            CompletableFuture<?>[] deps = cell.after().stream().map(futures::get).toArray(CompletableFuture[]::new);
            CompletableFuture<Void> f = CompletableFuture.allOf(deps).thenRunAsync(() -> {
                if (Files.exists(cell.output())) {
                    return;
                }
                long t0 = System.nanoTime();
                synchronized (log) {
                    log.printf("[%s] start  %s%n", clock(start), cell.id());
                }
                try (Engine engine = Engines.create(engineName, threads, Precision.F32)) {
                    cell.work().run(engine);
                    compute.cellFinished();
                } catch (IOException e) {
                    throw new UserError(cell.id() + ": " + e);
                }
                synchronized (log) {
                    log.printf("[%s] done   %s in %.1f s (%d/%d cells)%n", clock(start), cell.id(),
                            (System.nanoTime() - t0) / 1e9, finished.incrementAndGet(), cells.size());
                }
            }, pool).whenComplete((v, e) -> {
                Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
                if (cause != null && !(cause instanceof SkippedException)) {
                    failed.incrementAndGet();
                    synchronized (log) {
                        log.printf("[%s] FAILED %s: %s%n", clock(start), cell.id(), cause instanceof UserError
                                ? cause.getMessage() : cause.toString());
                    }
                }
            });
            futures.put(cell.id(), f.exceptionallyCompose(e -> CompletableFuture.failedFuture(
                    new SkippedException())));
        }
        CompletableFuture.allOf(futures.values().toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
        pool.shutdownNow();
        return failed.get();
    }

    /** Marks cells not run because a cell they read from failed. */
    private static final class SkippedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SkippedException() {
            super("skipped: an earlier cell failed", null, false, false);
        }
    }

    private static String clock(long start) {
        long s = (System.nanoTime() - start) / 1_000_000_000L;
        return String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
