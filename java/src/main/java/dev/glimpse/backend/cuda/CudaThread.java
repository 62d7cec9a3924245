package dev.glimpse.backend.cuda;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** The one platform thread that makes every CUDA call; the context is current on it alone. */
final class CudaThread implements AutoCloseable {

    private final ExecutorService executor;
    private volatile Thread thread;

    CudaThread() {
        executor = Executors.newSingleThreadExecutor(work -> {
            Thread t = Thread.ofPlatform().name("glimpse-cuda").daemon(true).unstarted(work);
            thread = t;
            return t;
        });
    }

    <T> T call(Callable<T> work) {
        if (Thread.currentThread() == thread) {
            try {
                return work.call();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new CudaException(e.toString());
            }
        }
        Future<T> result = executor.submit(work);
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

    @Override
    public void close() {
        executor.shutdown();
    }
}
