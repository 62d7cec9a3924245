package dev.glimpse.backend.cpu;

import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;

/** Off-heap F32 buffers that can be freed one by one: each lives in its own arena. */
final class HostAllocations implements AutoCloseable {

    /** By identity: a view at offset 0 compares equal to its buffer, and must not free it. */
    private final Map<MemorySegment, Arena> live = Collections.synchronizedMap(new IdentityHashMap<>());

    Tensor allocate(String name, long[] shape) {
        Arena arena = Arena.ofShared();
        MemorySegment data = arena.allocate(Tensor.numel(shape) * Float.BYTES, 64);
        live.put(data, arena);
        return new Tensor(name, DType.F32, shape, data);
    }

    void release(Tensor tensor) {
        Arena arena = live.remove(tensor.data());
        if (arena == null) {
            throw new IllegalArgumentException("release: " + tensor + " was not allocated by this backend (or is a view)");
        }
        arena.close();
    }

    @Override
    public void close() {
        synchronized (live) {
            live.values().forEach(Arena::close);
            live.clear();
        }
    }
}
