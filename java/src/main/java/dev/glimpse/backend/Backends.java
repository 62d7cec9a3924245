package dev.glimpse.backend;

import dev.glimpse.backend.cpu.VectorBackend;
import jdk.incubator.vector.FloatVector;

/** Chooses and opens a backend from the --device flag. */
public final class Backends {

    private Backends() {
    }

    /**
     * @param device  "cpu", "cuda" or "auto" (cuda when a GPU is usable, else cpu)
     * @param threads worker threads for the CPU backend (≤ 0: all processors)
     */
    public static Backend open(String device, int threads) {
        int workers = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return switch (device) {
            case "cpu", "auto" -> new VectorBackend(FloatVector.SPECIES_PREFERRED, workers);
            case "cuda" -> throw new IllegalArgumentException(
                    "--device cuda: this build has no CUDA backend yet; use --device cpu");
            default -> throw new IllegalArgumentException("--device must be cpu, cuda or auto, got '" + device + "'");
        };
    }
}
