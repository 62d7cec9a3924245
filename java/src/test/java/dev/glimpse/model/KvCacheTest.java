package dev.glimpse.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.glimpse.backend.cpu.ReferenceBackend;
import dev.glimpse.tensor.Tensor;
import org.junit.jupiter.api.Test;

class KvCacheTest {

    private static final TextConfig CONFIG = new TextConfig(8, 2, 2, 1, 4, 16, 10, 1e6, null, 1e-6, false, 64);

    /** Row r of layer l holds r + 100·l (+0.5 for values), so every move is visible. */
    private static KvCache filled(ReferenceBackend backend, int rows) {
        KvCache cache = new KvCache(backend, CONFIG, 16);
        for (int l = 0; l < 2; l++) {
            Tensor k = backend.allocate("k", rows, 4);
            Tensor v = backend.allocate("v", rows, 4);
            float[] kh = new float[rows * 4];
            float[] vh = new float[rows * 4];
            for (int i = 0; i < kh.length; i++) {
                kh[i] = i / 4 + 100 * l;
                vh[i] = kh[i] + 0.5f;
            }
            backend.write(k, kh);
            backend.write(v, vh);
            cache.append(l, k, v);
        }
        cache.advance(rows);
        return cache;
    }

    @Test
    void evictMovesLaterRowsDownAndKeepsTheRest() {
        try (var backend = new ReferenceBackend()) {
            KvCache cache = filled(backend, 7);
            cache.evict(2, 3);
            assertEquals(4, cache.length());
            for (int l = 0; l < 2; l++) {
                float[] keys = new float[16];
                float[] values = new float[16];
                backend.read(cache.keys(l, 4), keys);
                backend.read(cache.values(l, 4), values);
                int[] expectedRows = {0, 1, 5, 6};
                for (int r = 0; r < 4; r++) {
                    for (int c = 0; c < 4; c++) {
                        assertEquals(expectedRows[r] + 100 * l, keys[r * 4 + c], "layer " + l + " row " + r);
                        assertEquals(expectedRows[r] + 100 * l + 0.5f, values[r * 4 + c]);
                    }
                }
            }
        }
    }

    @Test
    void bookkeeping() {
        try (var backend = new ReferenceBackend()) {
            KvCache cache = filled(backend, 5);
            assertEquals(2L * 2 * 4 * Float.BYTES, cache.bytesPerToken());
            assertEquals(11, cache.free());
            assertThrows(IllegalArgumentException.class, () -> cache.evict(4, 2));
            cache.truncate(2);
            assertEquals(2, cache.length());
            float[] keys = new float[8];
            backend.read(cache.keys(0, 2), keys);
            assertArrayEquals(new float[] {0, 0, 0, 0, 1, 1, 1, 1}, keys);
            cache.close();
        }
    }
}
