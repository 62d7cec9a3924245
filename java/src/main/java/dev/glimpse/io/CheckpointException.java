package dev.glimpse.io;

/**
 * A model directory, checkpoint file or config file that Glimpse cannot use. The message names the
 * file (and the tensor or field) and what is wrong with it.
 */
public final class CheckpointException extends RuntimeException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
