package dev.glimpse.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The vision tower's window layout for one image (SPEC §3): merged tokens reordered window by window
 * (windows row-major over the merged grid padded to whole windows, tokens row-major inside a window,
 * empty windows dropped), and the window boundaries in patch rows.
 *
 * @param order           order[i] = raster index of the merged token placed at position i
 * @param cuWindowSeqlens cumulative patch counts at window boundaries, starting at 0
 */
public record WindowIndex(int[] order, int[] cuWindowSeqlens) {

    /**
     * @param mergedH merged-grid rows (patch rows / merge size)
     * @param mergedW merged-grid columns
     * @param window  window side in merged tokens (window_size / merge / patch, 4 for Qwen2.5-VL)
     * @param unit    patches per merged token (merge²)
     */
    public static WindowIndex of(int mergedH, int mergedW, int window, int unit) {
        // transformers pads by (window − h % window): a whole extra window row/column when already aligned.
        int windowsH = (mergedH + window - mergedH % window) / window;
        int windowsW = (mergedW + window - mergedW % window) / window;
        int[] order = new int[mergedH * mergedW];
        List<Integer> bounds = new ArrayList<>();
        bounds.add(0);
        int placed = 0;
        for (int wy = 0; wy < windowsH; wy++) {
            for (int wx = 0; wx < windowsW; wx++) {
                int before = placed;
                for (int y = wy * window; y < Math.min((wy + 1) * window, mergedH); y++) {
                    for (int x = wx * window; x < Math.min((wx + 1) * window, mergedW); x++) {
                        order[placed++] = y * mergedW + x;
                    }
                }
                if (placed > before) {
                    bounds.add(placed * unit);
                }
            }
        }
        return new WindowIndex(order, bounds.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The inverse permutation: position of raster token r in window order. */
    public int[] inverse() {
        int[] inv = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            inv[order[i]] = i;
        }
        return inv;
    }
}
