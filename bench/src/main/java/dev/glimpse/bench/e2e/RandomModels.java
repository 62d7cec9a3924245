package dev.glimpse.bench.e2e;

import dev.glimpse.model.TinyCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Random checkpoints of real shapes, written once under bench/target/models and reused. */
final class RandomModels {

    private RandomModels() {
    }

    static Path get(String name, TinyCheckpoint.Spec spec) throws IOException {
        Path dir = Path.of(System.getProperty("glimpse.bench.models", "bench/target/models")).resolve(name);
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
            System.err.println("writing random checkpoint " + dir + " ...");
            long t0 = System.nanoTime();
            TinyCheckpoint.write(dir, spec);
            System.err.printf("  done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        return dir;
    }
}
