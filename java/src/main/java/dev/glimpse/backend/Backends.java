package dev.glimpse.backend;

import dev.glimpse.backend.cpu.VectorBackend;
import dev.glimpse.backend.cuda.CudaBackend;
import jdk.incubator.vector.FloatVector;

/** Chooses and opens a backend from the --device flag; {@link Backend#name()} says which one it became. */
public final class Backends {

    private Backends() {
    }

    /**
     * @param device  "cpu", "cuda" or "auto" (cuda when a driver, a GPU and this build's kernels are all
     *                present, else cpu, silently)
     * @param threads worker threads for the CPU backend (≤ 0: all processors)
     * @throws dev.glimpse.backend.cuda.CudaException for "cuda" without a usable GPU, naming what is missing
     */
    public static Backend open(String device, int threads) {
        return switch (device) {
            case "cpu" -> cpu(threads);
            case "cuda" -> CudaBackend.open();
            case "auto" -> CudaBackend.isAvailable() ? CudaBackend.open() : cpu(threads);
            default -> throw new IllegalArgumentException("--device must be cpu, cuda or auto, got '" + device + "'");
        };
    }

    private static Backend cpu(int threads) {
        int workers = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new VectorBackend(FloatVector.SPECIES_PREFERRED, workers);
    }
}
