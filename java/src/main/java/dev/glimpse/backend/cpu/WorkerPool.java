package dev.glimpse.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of platform threads that run one parallel loop at a time. Decode calls it hundreds of
 * times per token, so a call creates no threads and no tasks: the caller publishes the loop, wakes the
 * workers, runs the first chunk itself and spins until the others are done. Idle workers spin briefly
 * (the next op usually follows within microseconds), then park.
 *
 * <p>One caller at a time, and a body may not call {@link #parallelFor} again (it would fail).
 */
public final class WorkerPool implements AutoCloseable {

    /** A contiguous range [from, to) of a loop, run by worker {@code worker} (0 is the caller). */
    @FunctionalInterface
    public interface IntRangeBody {
        void run(int worker, int from, int to);
    }

    /** How long an idle worker spins before it parks: about one decode op apart. */
    private static final long SPIN_NANOS = 50_000;

    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger pending = new AtomicInteger();

    // The loop being run; written by the caller before the volatile write of epoch publishes it.
    private IntRangeBody body;
    private int count;
    private int chunks;
    private volatile int epoch;
    private volatile Throwable failure;
    private volatile boolean closed;

    /** A pool running loops on {@code threads} threads in all: the caller plus threads − 1 workers. */
    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("WorkerPool needs at least 1 thread, got " + threads);
        }
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    public int threads() {
        return workers.length + 1;
    }

    /**
     * Runs body over [0, n) split into at most {@link #threads()} contiguous chunks of near-equal size,
     * one per thread, and returns when all are done. An exception thrown by any chunk is rethrown here.
     */
    public void parallelFor(int n, IntRangeBody body) {
        int used = Math.min(n, threads());
        if (used <= 1) {
            if (n > 0) {
                body.run(0, 0, n);
            }
            return;
        }
        if (closed) {
            throw new IllegalStateException("WorkerPool is closed");
        }
        if (!busy.compareAndSet(false, true)) {
            throw new IllegalStateException("WorkerPool.parallelFor called while a loop is running "
                    + "(nested or concurrent calls are not supported)");
        }
        try {
            this.body = body;
            this.count = n;
            this.chunks = used;
            this.failure = null;
            // Every worker acknowledges every loop, even one it has no chunk of, so none can lag behind
            // and read the next loop's fields under this loop's epoch.
            pending.set(workers.length);
            epoch++;
            for (Worker w : workers) {
                w.wake();
            }
            Throwable own = null;
            try {
                body.run(0, 0, chunkEnd(1, used, n));
            } catch (Throwable t) {
                own = t;
            }
            awaitWorkers();
            this.body = null;
            Throwable first = own != null ? own : failure;
            if (first != null) {
                throwUnchecked(first);
            }
        } finally {
            busy.set(false);
        }
    }

    private static int chunkEnd(int chunk, int chunks, int n) {
        return (int) ((long) n * chunk / chunks);
    }

    private void awaitWorkers() {
        long start = System.nanoTime();
        while (pending.get() != 0) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private static void throwUnchecked(Throwable t) {
        switch (t) {
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IllegalStateException("worker failed", t);
        }
    }

    /** Stops the workers; later calls that need them fail. */
    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
    }

    private final class Worker extends Thread {
        private final int index;
        private volatile boolean parked;

        Worker(int index) {
            super("glimpse-cpu-" + index);
            this.index = index;
            setDaemon(true);
        }

        void wake() {
            // Dekker-style with the volatile epoch: either the worker sees the new epoch before it
            // parks, or we see parked == true and unpark it.
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            // Not the current epoch: a loop may already have been published before this thread started.
            int seen = 0;
            while (true) {
                int now = awaitEpochChange(seen);
                if (closed) {
                    return;
                }
                seen = now;
                if (index < chunks) {
                    try {
                        body.run(index, chunkEnd(index, chunks, count), chunkEnd(index + 1, chunks, count));
                    } catch (Throwable t) {
                        failure = t;
                    }
                }
                pending.decrementAndGet();
            }
        }

        private int awaitEpochChange(int seen) {
            long start = System.nanoTime();
            while (true) {
                int now = epoch;
                if (now != seen || closed) {
                    return now;
                }
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    if (epoch == seen && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                }
            }
        }
    }
}
