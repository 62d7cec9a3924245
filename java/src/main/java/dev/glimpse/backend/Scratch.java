package dev.glimpse.backend;

import dev.glimpse.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * Named F32 work buffers whose row count varies from call to call (images of different sizes). A
 * buffer grows by half again when a larger request comes, so a run allocates O(log) times, not per call.
 */
public final class Scratch implements AutoCloseable {

    private final Backend backend;
    private final Map<String, Tensor> buffers = new HashMap<>();

    public Scratch(Backend backend) {
        this.backend = backend;
    }

    /** A [rows, cols] view of the buffer called name; its contents are unspecified. */
    public Tensor get(String name, int rows, int cols) {
        long need = (long) rows * cols;
        Tensor buf = buffers.get(name);
        if (buf == null || buf.numel() < need) {
            long size = Math.max(need, buf == null ? 0 : buf.numel() + buf.numel() / 2);
            if (buf != null) {
                backend.release(buf);
            }
            buf = backend.allocate(name, size);
            buffers.put(name, buf);
        }
        return buf.slice(0, rows, cols);
    }

    @Override
    public void close() {
        buffers.values().forEach(backend::release);
        buffers.clear();
    }
}
