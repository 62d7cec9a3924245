package dev.glimpse.image;

/** An image Glimpse cannot use; the message names the image and says what was wrong. */
public final class ImageException extends RuntimeException {

    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
