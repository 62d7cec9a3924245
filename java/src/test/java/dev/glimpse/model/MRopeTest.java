package dev.glimpse.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MRopeTest {

    private static final int PAD = 151655;

    /** SPEC §4's worked check, itself taken from transformers: a 644×476 image after the default system prompt. */
    @Test
    void specWorkedExample() {
        int[] ids = new int[416];
        Arrays.fill(ids, 1);
        Arrays.fill(ids, 15, 15 + 391, PAD);
        MRope.Positions p = MRope.ropeIndex(ids, PAD, List.of(new int[] {1, 34, 46}), 2, 0);
        assertEquals(15, p.axes()[1][15]);
        assertEquals(15, p.axes()[2][15]);
        int lastPad = 15 + 390;
        assertEquals(15 + 16, p.axes()[1][lastPad], "h runs 15..31");
        assertEquals(15 + 22, p.axes()[2][lastPad], "w runs 15..37");
        assertEquals(15, p.axes()[0][lastPad], "t stays at the image start");
        assertEquals(47, p.axes()[0][415], "last prompt position");
        assertEquals(48 - 416, p.next() - ids.length, "rope_delta");
        int textAfter = 15 + 391;
        assertEquals(38, p.axes()[0][textAfter]);
        assertEquals(38, p.axes()[1][textAfter]);
    }

    @Test
    void textOnlyIsSequentialFromStart() {
        MRope.Positions p = MRope.ropeIndex(new int[] {5, 6, 7}, PAD, List.of(), 2, 10);
        for (int axis = 0; axis < 3; axis++) {
            assertArrayEquals(new int[] {10, 11, 12}, p.axes()[axis]);
        }
        assertEquals(13, p.next());
    }

    @Test
    void padCountMismatchIsAnError() {
        int[] ids = {1, PAD, PAD, PAD, 2};
        assertThrows(IllegalArgumentException.class, () -> MRope.ropeIndex(ids, PAD, List.of(new int[] {1, 4, 4}), 2, 0));
        assertThrows(IllegalArgumentException.class, () -> MRope.ropeIndex(ids, PAD, List.of(), 2, 0));
    }

    /** Plain RoPE reference: angle = pos / theta^(2j/d) computed in double; tables must agree within float rounding. */
    @Test
    void tablesMatchTheRotaryFormula() {
        TextConfig c = new TextConfig(64, 1, 2, 1, 32, 128, 100, 1e6, new int[] {4, 6, 6}, 1e-6, false, 4096);
        MRope rope = new MRope(c);
        int[][] pos = {{3}, {7}, {11}};
        float[] cos = new float[32];
        float[] sin = new float[32];
        rope.tables(pos, 0, 1, cos, sin);
        for (int j = 0; j < 16; j++) {
            int axis = j < 4 ? 0 : j < 10 ? 1 : 2;
            double angle = pos[axis][0] / Math.pow(1e6, 2.0 * j / 32);
            assertEquals(Math.cos(angle), cos[j], 2e-6, "cos " + j);
            assertEquals(Math.cos(angle), cos[j + 16], 2e-6, "cos second half " + j);
            assertEquals(Math.sin(angle), sin[j], 2e-6, "sin " + j);
        }
    }
}
