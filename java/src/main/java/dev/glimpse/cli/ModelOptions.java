package dev.glimpse.cli;

import dev.glimpse.backend.Backends;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.Model;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares. */
final class ModelOptions {

    @Option(names = "--model", paramLabel = "DIR", description = "Checkpoint directory (config.json, *.safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "cpu|cuda|auto", description = "Where to compute (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "CPU worker threads (default: all cores).")
    int threads;

    @Option(names = "--ctx", defaultValue = "0", paramLabel = "TOKENS", description = "KV-cache capacity per conversation (default: 8192 or the model's max_position_embeddings if smaller).")
    int contextTokens;

    /** Loads the model after checking the flags that need no model (bad usage exits 2 before any loading). */
    Model load() {
        if (model == null) {
            throw new Cli.UsageError("--model DIR is required (a checkpoint folder)");
        }
        if (!java.util.List.of("cpu", "cuda", "auto").contains(device)) {
            throw new Cli.UsageError("--device must be cpu, cuda or auto, got '" + device + "'");
        }
        if (contextTokens < 0) {
            throw new Cli.UsageError("--ctx must be positive, got " + contextTokens);
        }
        Model loaded = Model.loadOwning(model, Backends.open(device, threads), LoadProgress.stderrBar());
        int max = loaded.config().text().maxPositionEmbeddings();
        if (max > 0 && contextTokens > max) {
            loaded.close();
            throw new Cli.UsageError("--ctx " + contextTokens + " exceeds the model's max_position_embeddings " + max);
        }
        return loaded;
    }
}
