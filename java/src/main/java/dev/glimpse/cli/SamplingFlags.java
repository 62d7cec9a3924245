package dev.glimpse.cli;

import dev.glimpse.generate.SamplingOptions;
import picocli.CommandLine.Option;

/** Sampling flags; with none of them decoding is greedy. */
final class SamplingFlags {

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens (0 = off).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass (1 = off).")
    float topP;

    @Option(names = "--repetition-penalty", defaultValue = "1", description = "transformers-style penalty (1 = off).")
    float repetitionPenalty;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed for sampling.")
    long seed;

    /** The options, or a usage error naming the bad flag. */
    SamplingOptions options() {
        try {
            return new SamplingOptions(temperature, topK, topP, repetitionPenalty, seed);
        } catch (IllegalArgumentException e) {
            throw new Cli.UsageError(e.getMessage());
        }
    }
}
