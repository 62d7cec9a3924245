package dev.glimpse.image;

import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One image ready for the vision tower: {@code rows} patches (= gridT·gridH·gridW) of {@code cols}
 * floats (channel, frame, py, px), in Qwen's merge-block row order (SPEC §2.5), as F32 in
 * {@code data}; grid_thw is (gridT, gridH, gridW) in patches.
 */
public record PixelValues(MemorySegment data, int rows, int cols, int gridT, int gridH, int gridW) {

    public PixelValues {
        if ((long) rows * cols * Float.BYTES != data.byteSize() || rows != gridT * gridH * gridW) {
            throw new IllegalArgumentException("pixel values: " + data.byteSize() + " bytes for " + rows + " x " + cols
                    + " floats, grid " + gridT + "x" + gridH + "x" + gridW);
        }
    }

    public float get(int row, int col) {
        return data.getAtIndex(ValueLayout.JAVA_FLOAT, (long) row * cols + col);
    }

    /** The same memory as a [rows, cols] F32 tensor named pixel_values. */
    public Tensor tensor() {
        return new Tensor("pixel_values", DType.F32, new long[] {rows, cols}, data);
    }

    /** The number of LLM tokens this image becomes after the 2×2 (merge²) patch merger. */
    public int mergedTokens(int mergeSize) {
        return rows / (mergeSize * mergeSize);
    }
}
