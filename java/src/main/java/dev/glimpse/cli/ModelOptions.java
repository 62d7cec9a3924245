package dev.glimpse.cli;

import dev.glimpse.backend.Backend;
import dev.glimpse.backend.Backends;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.Model;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Checkpoint directory (config.json, *.safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "cpu|cuda|auto", description = "Where to compute (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "CPU worker threads (default: all cores).")
    int threads;

    @Option(names = "--ctx", defaultValue = "0", paramLabel = "TOKENS", description = "KV-cache capacity per conversation (default: 8192 or the model's max_position_embeddings if smaller).")
    int contextTokens;

    Model load() {
        Backend backend = Backends.open(device, threads);
        try {
            return Model.load(model, backend, LoadProgress.stderrBar());
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }
}
