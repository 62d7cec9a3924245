package dev.glimpse.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CUDA thread's ordering and error reporting, which need no GPU. */
class CudaThreadTest {

    @Test
    void postedWorkRunsInOrderOnOneThreadBeforeTheNextCall() {
        try (CudaThread cuda = new CudaThread()) {
            List<Integer> order = new ArrayList<>();  // touched by the CUDA thread only, read after a call
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                int value = i;
                cuda.post(() -> {
                    order.add(value);
                    threads.add(Thread.currentThread());
                });
            }
            int size = cuda.call(order::size);
            assertEquals(100, size);
            for (int i = 0; i < 100; i++) {
                assertEquals(i, order.get(i));
                assertSame(threads.get(0), threads.get(i));
            }
        }
    }

    @Test
    void aPostedFailureIsThrownByTheNextCallAndLaterWorkIsSkippedUntilThen() {
        try (CudaThread cuda = new CudaThread()) {
            List<String> ran = new ArrayList<>();
            cuda.post(() -> {
                throw new CudaException("cuLaunchKernel(add) failed: CUDA_ERROR_INVALID_VALUE (1)");
            });
            cuda.post(() -> ran.add("after the failure"));
            CudaException e = assertThrows(CudaException.class, () -> cuda.call(() -> "never"));
            assertEquals("cuLaunchKernel(add) failed: CUDA_ERROR_INVALID_VALUE (1)", e.getMessage());
            assertEquals("recovered", cuda.call(() -> "recovered"));
            assertEquals(List.of(), cuda.call(() -> List.copyOf(ran)));
        }
    }

    @Test
    void callsFromTheCudaThreadItselfRunDirectly() {
        try (CudaThread cuda = new CudaThread()) {
            assertEquals(42, cuda.call(() -> cuda.call(() -> 42)));
        }
    }
}
