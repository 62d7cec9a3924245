package dev.glimpse.model;

/** A request needs more tokens than the KV cache holds. */
public final class ContextOverflowException extends RuntimeException {

    public ContextOverflowException(int cached, int incoming, int capacity) {
        super("context limit: " + cached + " cached + " + incoming + " new tokens exceed the context of " + capacity
                + " tokens (raise --ctx, up to the model's max_position_embeddings, or shorten the prompt)");
    }
}
