package dev.glimpse.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glimpse.backend.cpu.VectorBackend;
import dev.glimpse.backend.cuda.CudaBackend;
import dev.glimpse.backend.cuda.CudaException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** --device resolution on a machine without a usable GPU (CI): auto falls back to the CPU, cuda says why not. */
class BackendsTest {

    @Test
    void cpuIsTheVectorBackendWithTheAskedThreads() {
        try (Backend backend = Backends.open("cpu", 3)) {
            assertTrue(backend instanceof VectorBackend v && v.threads() == 3, backend.name());
        }
    }

    @Test
    void autoFallsBackToTheCpuWithoutAGpu() {
        Assumptions.assumeFalse(CudaBackend.isAvailable(), "a GPU is usable here");
        try (Backend backend = Backends.open("auto", 2)) {
            assertTrue(backend.name().startsWith("cpu"), backend.name());
        }
    }

    @Test
    void cudaWithoutAGpuFailsWithTheReason() {
        Assumptions.assumeFalse(CudaBackend.isAvailable(), "a GPU is usable here");
        CudaException e = assertThrows(CudaException.class, () -> Backends.open("cuda", 0));
        assertTrue(e.getMessage().startsWith("--device cuda:"), e.getMessage());
    }

    @Test
    void anUnknownDeviceIsAUsageError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.open("tpu", 0));
        assertEquals("--device must be cpu, cuda or auto, got 'tpu'", e.getMessage());
    }
}
