package dev.glimpse.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class WindowIndexTest {

    /** SPEC §3's example (from transformers' get_window_index): patch grid 8×12, merged 4×6. */
    @Test
    void specExample() {
        WindowIndex w = WindowIndex.of(4, 6, 4, 4);
        assertArrayEquals(new int[] {0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 18, 19, 20, 21, 4, 5, 10, 11, 16, 17, 22, 23},
                w.order());
        assertArrayEquals(new int[] {0, 64, 96}, w.cuWindowSeqlens());
    }

    @Test
    void inverseUndoesTheOrder() {
        WindowIndex w = WindowIndex.of(5, 3, 4, 4);
        int[] inv = w.inverse();
        for (int i = 0; i < w.order().length; i++) {
            assertArrayEquals(new int[] {i}, new int[] {inv[w.order()[i]]});
        }
        assertArrayEquals(new int[] {0, 48, 60}, w.cuWindowSeqlens(), "4×3 window then a 1×3 window");
    }
}
