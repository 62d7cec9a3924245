package dev.glimpse.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** On a machine without the NVIDIA driver (CI), the CUDA backend says so plainly. */
class CudaBackendWithoutDriverTest {

    @Test
    void openNamesTheMissingDriver() {
        Assumptions.assumeFalse(CudaDriver.libraryPresent(), "libcuda.so.1 is present here");
        assertFalse(CudaBackend.isAvailable());
        CudaException e = assertThrows(CudaException.class, CudaBackend::open);
        assertEquals("--device cuda: no NVIDIA driver (libcuda.so.1) found", e.getMessage());
    }
}
