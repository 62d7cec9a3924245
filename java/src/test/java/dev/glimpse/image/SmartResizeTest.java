package dev.glimpse.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** smart_resize against transformers' Python function on 223 recorded sizes (fixtures), exactly. */
class SmartResizeTest {

    @Test
    void matchesTransformers() {
        int checked = 0;
        for (JsonNode c : Fixtures.cases("smart_resize")) {
            int h = c.get("height").asInt(), w = c.get("width").asInt();
            long lo = c.get("min_pixels").asLong(), hi = c.get("max_pixels").asLong();
            String what = h + "x" + w + " in [" + lo + ", " + hi + "]";
            if (c.has("error")) {
                ImageException e = assertThrows(ImageException.class, () -> SmartResize.resize(h, w, 28, lo, hi), what);
                assertTrue(e.getMessage().endsWith(c.get("error").asText()), e.getMessage() + " vs " + c.get("error"));
            } else {
                SmartResize.Size s = SmartResize.resize(h, w, 28, lo, hi);
                assertEquals(c.get("resized").get(0).asInt(), s.height(), what);
                assertEquals(c.get("resized").get(1).asInt(), s.width(), what);
            }
            checked++;
        }
        assertTrue(checked > 200, "fixture cases: " + checked);
    }

    @Test
    void roundsHalfToEven() {
        // 70/28 = 2.5 -> 2 and 98/28 = 3.5 -> 4 (Python's round); half-up would give 84 x 112.
        assertEquals(new SmartResize.Size(56, 112), SmartResize.resize(70, 98, 28, 3136, 12845056));
        // 42/28 = 1.5 -> 2; 126/28 = 4.5 -> 4
        assertEquals(new SmartResize.Size(56, 112), SmartResize.resize(42, 126, 28, 3136, 12845056));
    }
}
