package dev.glimpse.model;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.Tensor;

/**
 * Keys (after RoPE) and values of every layer for one conversation, preallocated to a fixed capacity.
 * Row r of a layer holds the token at cache index r; its rotary position is fixed when it is written,
 * so rows can be dropped ({@link #evict}) without touching the others.
 */
public final class KvCache implements AutoCloseable {

    private final Tensor[] keys;
    private final Tensor[] values;
    private final int capacity;
    private final int rowFloats;
    private final Backend backend;
    private int length;
    private boolean closed;

    public KvCache(Backend backend, TextConfig config, int capacity) {
        this.backend = backend;
        this.capacity = capacity;
        this.rowFloats = config.kvHeads() * config.headDim();
        this.keys = new Tensor[config.layers()];
        this.values = new Tensor[config.layers()];
        for (int l = 0; l < config.layers(); l++) {
            keys[l] = backend.allocate("kv.k." + l, capacity, rowFloats);
            values[l] = backend.allocate("kv.v." + l, capacity, rowFloats);
        }
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public int layers() {
        return keys.length;
    }

    /** Bytes held per cached token over all layers (keys and values, F32). */
    public long bytesPerToken() {
        return 2L * keys.length * rowFloats * Float.BYTES;
    }

    /** Keys of a layer for cache rows [0, rows). */
    public Tensor keys(int layer, int rows) {
        return keys[layer].rows(0, rows);
    }

    public Tensor values(int layer, int rows) {
        return values[layer].rows(0, rows);
    }

    /** Stores n new rows of a layer at the end of the cache (the length advances with {@link #advance}). */
    public void append(int layer, Tensor k, Tensor v) {
        int n = k.rows();
        backend.copy(keys[layer].rows(length, n), k);
        backend.copy(values[layer].rows(length, n), v);
    }

    /** Commits n rows written by {@link #append} in every layer. */
    public void advance(int n) {
        length += n;
    }

    /** Remaining room in tokens. */
    public int free() {
        return capacity - length;
    }

    /** Drops rows [from, from + count), moving later rows down; positions of the rest are unchanged. */
    public void evict(int from, int count) {
        if (from < 0 || count < 0 || from + count > length) {
            throw new IllegalArgumentException("evict [" + from + ", " + (from + count) + ") outside cache of " + length);
        }
        int tail = length - from - count;
        // Move the tail down in blocks of at most `count` rows: each block's source and target never overlap.
        for (int moved = 0; moved < tail; moved += count) {
            int rows = Math.min(count, tail - moved);
            for (int l = 0; l < keys.length; l++) {
                backend.copy(keys[l].rows(from + moved, rows), keys[l].rows(from + count + moved, rows));
                backend.copy(values[l].rows(from + moved, rows), values[l].rows(from + count + moved, rows));
            }
        }
        length -= count;
    }

    /** Frees the cache's memory. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int l = 0; l < keys.length; l++) {
            backend.release(keys[l]);
            backend.release(values[l]);
        }
    }

    /** Forgets every row at index ≥ newLength (for rewinding a conversation). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("truncate to " + newLength + " of " + length);
        }
        length = newLength;
    }
}
