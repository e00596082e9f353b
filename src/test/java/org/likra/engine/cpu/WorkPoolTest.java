package org.likra.engine.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkPoolTest {

    /**
     * Many short jobs in a row, of random sizes and grains: every item of every job is processed exactly once, by
     * the job's own body, before run returns (a worker that wakes late must not run a later job's chunk, or an
     * earlier body).
     */
    @Test
    void everyItemOnceAcrossManyJobs() {
        Random random = new Random(5);
        try (WorkPool pool = new WorkPool(3)) {
            for (int job = 0; job < 20_000; job++) {
                int n = 1 + random.nextInt(job % 100 == 0 ? 5_000 : 64);
                int grain = 1 + random.nextInt(8);
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                int[] wrongWorker = {0};
                pool.run(n, grain, (start, end, worker) -> {
                    if (worker < 0 || worker >= 3) {
                        wrongWorker[0]++;
                    }
                    for (int i = start; i < end; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "job " + job + " item " + i + " of " + n);
                }
                assertEquals(0, wrongWorker[0]);
            }
        }
    }

    /** Chunks are whole grains, about 16 of them, never more than 32 (a count the claims word holds). */
    @Test
    void chunksAreWholeGrainsAndAtMostThirtyTwo() {
        assertEquals(0, WorkPool.chunkSize(1000, 7) % 7);
        assertTrue(1000 / WorkPool.chunkSize(1000, 7) >= 16);
        for (int n = 1; n < 5000; n += 37) {
            for (int grain = 1; grain < 300; grain += 13) {
                int size = WorkPool.chunkSize(n, grain);
                assertTrue((n + size - 1) / size <= 32, n + " items, grain " + grain);
            }
        }
    }

    /**
     * runEach gives every item a chunk of its own (so that 16 threads can share 8 large tiles), and past
     * {@link WorkPool#MAX_CHUNKS} items the fewest equal chunks the claims word can count; every item runs once.
     */
    @Test
    void runEachGivesEveryItemItsOwnChunkUpToTheClaimsLimit() {
        try (WorkPool pool = new WorkPool(4)) {
            for (int n : new int[] {1, 2, 8, 208, WorkPool.MAX_CHUNKS, WorkPool.MAX_CHUNKS + 1, 200_000}) {
                int size = n <= WorkPool.MAX_CHUNKS ? 1 : (n + WorkPool.MAX_CHUNKS - 1) / WorkPool.MAX_CHUNKS;
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                int[] wrongChunks = {0};
                pool.runEach(n, (start, end, worker) -> {
                    if (start % size != 0 || end - start != Math.min(size, n - start)) {
                        synchronized (wrongChunks) {
                            wrongChunks[0]++;
                        }
                    }
                    for (int i = start; i < end; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                assertEquals(0, wrongChunks[0], n + " items");
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "item " + i + " of " + n);
                }
            }
        }
    }

    @Test
    void aFailureReachesTheCallerAndThePoolGoesOn() {
        try (WorkPool pool = new WorkPool(2)) {
            IllegalStateException thrown = new IllegalStateException("chunk 3 failed");
            IllegalStateException caught = assertThrows(IllegalStateException.class,
                    () -> pool.run(64, 4, (start, end, worker) -> {
                        if (start == 12) {
                            throw thrown;
                        }
                    }));
            assertSame(thrown, caught);
            AtomicIntegerArray hits = new AtomicIntegerArray(64);
            pool.run(64, 4, (start, end, worker) -> {
                for (int i = start; i < end; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 64; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }
}
