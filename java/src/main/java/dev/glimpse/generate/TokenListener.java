package dev.glimpse.generate;

/** Receives each generated token as soon as it is chosen (for streaming output). */
@FunctionalInterface
public interface TokenListener {

    TokenListener NONE = id -> { };

    void onToken(int id);
}
