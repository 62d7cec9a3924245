package dev.glimpse.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A deadlock would hang the build, so every test has a generous time limit (a hang guard, not a timing check). */
@Timeout(120)
class WorkerPoolTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void everyIndexRunsExactlyOnceInContiguousChunks(int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (int n : new int[] {0, 1, 2, 3, 4, 7, 100, 1001}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                AtomicIntegerArray workerOf = new AtomicIntegerArray(Math.max(n, 1));
                pool.parallelFor(n, (worker, from, to) -> {
                    assertTrue(worker >= 0 && worker < threads);
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                        workerOf.set(i, worker);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "index " + i + " of " + n);
                }
                // Contiguous: the worker id never decreases along the range, and chunks are near-equal.
                for (int i = 1; i < n; i++) {
                    assertTrue(workerOf.get(i) >= workerOf.get(i - 1), "chunks out of order at " + i);
                }
            }
        }
    }

    @Test
    void manyBackToBackLoopsAllComplete() {
        try (WorkerPool pool = new WorkerPool(3)) {
            AtomicLong sum = new AtomicLong();
            for (int call = 0; call < 20_000; call++) {
                int n = 1 + call % 5;
                pool.parallelFor(n, (worker, from, to) -> sum.addAndGet(to - from));
            }
            long expected = 0;
            for (int call = 0; call < 20_000; call++) {
                expected += 1 + call % 5;
            }
            assertEquals(expected, sum.get());
        }
    }

    @Test
    void anExceptionInAWorkerReachesTheCallerAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> pool.parallelFor(10, (worker, from, to) -> {
                        if (worker == 1) {
                            throw new IllegalStateException("boom");
                        }
                    }));
            assertEquals("boom", e.getMessage());
            AtomicLong count = new AtomicLong();
            pool.parallelFor(10, (worker, from, to) -> count.addAndGet(to - from));
            assertEquals(10, count.get());
        }
    }

    @Test
    void nestedLoopsAreRefused() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThrows(IllegalStateException.class,
                    () -> pool.parallelFor(4, (worker, from, to) -> pool.parallelFor(4, (w, f, t) -> { })));
        }
    }
}
