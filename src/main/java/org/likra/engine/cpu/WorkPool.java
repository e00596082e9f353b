package org.likra.engine.cpu;

import java.util.concurrent.atomic.AtomicInteger;
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
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    // The current job; written before the volatile increment of generation, read after it.
    private Body body;
    private int total;
    private int chunk;
    private int chunks;

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
        if (n <= 0) {
            return;
        }
        int size = chunkSize(n, grain);
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
        this.chunks = count;
        this.failure = null;
        nextChunk.set(0);
        pending.set(workers.length);
        generation++; // publishes the job
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
        work(0);
        int spins = 0;
        while (pending.get() != 0) {
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

    /** Claims and runs chunks of the current job until none is left. */
    private void work(int worker) {
        Body b = body;
        int c;
        while ((c = nextChunk.getAndIncrement()) < chunks) {
            int start = c * chunk;
            int end = Math.min(total, start + chunk);
            try {
                b.run(start, end, worker);
            } catch (Throwable t) {
                failure = t;
            }
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
            work(id);
            pending.decrementAndGet();
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
