package dev.glimpse.backend.cuda;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The one platform thread that makes every CUDA call; the context is current on it alone. Work is
 * queued in order: {@link #call} waits for its result, {@link #post} does not (kernel launches are
 * asynchronous anyway, so the caller need not wait for the launch call itself). A failure of posted
 * work is thrown by the next {@link #call}.
 */
final class CudaThread implements AutoCloseable {

    private final ExecutorService executor;
    private volatile Thread thread;
    private volatile RuntimeException deferred;

    CudaThread() {
        executor = Executors.newSingleThreadExecutor(work -> {
            Thread t = Thread.ofPlatform().name("glimpse-cuda").daemon(true).unstarted(work);
            thread = t;
            return t;
        });
    }

    <T> T call(Callable<T> work) {
        if (Thread.currentThread() == thread) {
            rethrowDeferred();
            try {
                return work.call();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new CudaException(e.toString());
            }
        }
        Future<T> result = executor.submit(() -> {
            rethrowDeferred();
            return work.call();
        });
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CudaException("interrupted while waiting for the CUDA thread");
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case RuntimeException r -> throw r;
                case Error r -> throw r;
                default -> throw new CudaException(e.getCause().toString());
            }
        }
    }

    void run(Runnable work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    /** Queues work without waiting; it must capture only values that stay valid (no caller-owned arrays). */
    void post(Runnable work) {
        if (Thread.currentThread() == thread) {
            run(work);
            return;
        }
        executor.execute(() -> {
            if (deferred != null) {
                return;  // the queue after a failure is skipped until the error is reported
            }
            try {
                work.run();
            } catch (RuntimeException e) {
                deferred = e;
            }
        });
    }

    private void rethrowDeferred() {
        RuntimeException e = deferred;
        if (e != null) {
            deferred = null;
            throw e;
        }
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
