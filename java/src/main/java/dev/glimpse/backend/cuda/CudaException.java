package dev.glimpse.backend.cuda;

/** A CUDA driver call failed, or no usable driver or kernels are there; the message names the call. */
public final class CudaException extends RuntimeException {

    public CudaException(String message) {
        super(message);
    }
}
