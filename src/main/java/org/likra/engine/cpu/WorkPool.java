package org.likra.engine.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of {@code threads - 1} worker threads plus the calling thread, created once per engine.
 * {@link #run} splits [0, n) into chunks that the participants claim one at a time (dynamic balance for uneven
 * work such as causal attention) and returns when every chunk is done. Workers spin briefly for the next job, then
 * park; nothing is allocated per job (callers pass pre-built {@link Body} objects).
 *
 * <p>The chunk boundaries depend only on n and the grain, never on the thread count, and a single-threaded pool
 * runs the same chunks in order: a body whose result for an item depends only on its chunk's boundaries gives the
 * same bits with any number of threads.
 */
final class WorkPool implements AutoCloseable {

    /** The body of a parallel loop: processes items [start, end) on participant {@code worker} (0 = caller). */
    @FunctionalInterface
    interface Body {
        void run(int start, int end, int worker);
    }

    private static final int SPINS = 20_000;

    private final int threads;
    private final Thread[] workers;
    /**
     * The claims of the current job in one word: its generation (bits 32-63), its number of chunks (16-31) and the
     * next unclaimed chunk (0-15). A participant claims a chunk by a compare-and-set of the whole word, so a worker
     * that wakes late can never take a chunk of a later job, nor read one job's count with another's claims.
     */
    private final AtomicLong claims = new AtomicLong();
    /** Chunks of the current job that have finished: the caller returns when all have, whoever ran them. */
    private final AtomicInteger completed = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    // The current job; written before the volatile increment of generation, read after it.
    private Body body;
    private int total;
    private int chunk;

    WorkPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            final int id = w + 1;
            Thread t = new Thread(() -> workerLoop(id), "likra-cpu-" + id);
            t.setDaemon(true);
            workers[w] = t;
            t.start();
        }
    }

    /** Number of participants (workers plus the caller). */
    int threads() {
        return threads;
    }

    /** Chunks per job aimed at (enough for dynamic balance on a few cores); independent of the thread count. */
    private static final int TARGET_CHUNKS = 16;

    /** The size of the chunks {@link #run} cuts [0, n) into (the last may be shorter); depends only on n and grain. */
    static int chunkSize(int n, int grain) {
        int g = Math.max(grain, 1);
        return g * Math.max(1, n / (g * TARGET_CHUNKS));
    }

    /**
     * Runs body over [0, n) in chunks whose size is a multiple of {@code grain} (at least 1): the fewest multiples
     * that give about {@link #TARGET_CHUNKS} chunks. A job of one chunk, or a single-threaded pool, runs on the caller.
     */
    void run(int n, int grain, Body body) {
        if (n > 0) {
            runChunks(n, chunkSize(n, grain), body); // at most 2 TARGET_CHUNKS chunks
        }
    }

    /** Most chunks of one job: the 16 bits the count has in {@link #claims}. */
    static final int MAX_CHUNKS = 0xFFFF;

    /**
     * Runs body over [0, n) one item per chunk (up to {@link #MAX_CHUNKS} items; beyond, in chunks of
     * ceil(n / MAX_CHUNKS)), for jobs of few, large, independent items whose results do not depend on how they are
     * grouped, such as the tiles of a matrix product: every participant can claim one, whatever the thread count. (With
     * {@link #run}'s 16-32 chunks, the 8 large tiles of one product that head a job of 208 made one chunk, so one
     * thread of 16 computed them all.)
     */
    void runEach(int n, Body body) {
        if (n > 0) {
            runChunks(n, n <= MAX_CHUNKS ? 1 : (n + MAX_CHUNKS - 1) / MAX_CHUNKS, body);
        }
    }

    private void runChunks(int n, int size, Body body) {
        int count = (n + size - 1) / size;
        if (threads == 1 || count == 1) {
            for (int c = 0; c < count; c++) {
                body.run(c * size, Math.min(n, (c + 1) * size), 0);
            }
            return;
        }
        this.body = body;
        this.total = n;
        this.chunk = size;
        this.failure = null;
        int job = generation + 1;
        completed.set(0);
        claims.set((long) job << 32 | (long) count << 16);
        generation = job; // publishes the job
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
        work(job, 0);
        // Waits for the chunks that workers claimed, not for the workers: one that wakes late (parked, or its vCPU
        // descheduled) finds nothing left to claim and holds nobody up.
        int spins = 0;
        while (completed.get() != count) {
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        this.body = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException r) {
                throw r;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(f);
        }
    }

    /**
     * Claims and runs chunks of job {@code job} until none is left (or a later job has replaced it). The claim checks
     * the job's generation, so a worker that wakes late cannot take a chunk of a later job; after a claim the job's
     * fields are still this job's (the caller writes the next job's only when every chunk of this one has completed).
     */
    private void work(int job, int worker) {
        while (true) {
            long state = claims.get();
            int c = (int) state & 0xFFFF;
            if ((int) (state >>> 32) != job || c >= ((int) state >>> 16)) {
                return;
            }
            if (!claims.compareAndSet(state, state + 1)) {
                continue;
            }
            // Claimed: the job's fields are this job's until its chunks have all completed, this one included.
            int start = c * chunk;
            try {
                body.run(start, Math.min(total, start + chunk), worker);
            } catch (Throwable t) {
                failure = t;
            }
            completed.incrementAndGet();
        }
    }

    private void workerLoop(int id) {
        int seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen) {
                if (closed) {
                    return;
                }
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 1_000_000L);
                }
            }
            seen = generation;
            work(seen, id);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
