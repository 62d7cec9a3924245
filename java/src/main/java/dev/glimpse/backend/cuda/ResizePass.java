package dev.glimpse.backend.cuda;

import dev.glimpse.image.ResampleFilter;
import java.util.ArrayList;
import java.util.List;

/** One separable pass of a Pillow resize: the axis, the sizes before and after, and its tables. */
public record ResizePass(boolean vertical, int inWidth, int inHeight, int outWidth, int outHeight,
        ResampleTables tables) {

    /**
     * The passes Pillow 12.3 makes (SPEC §2.3): horizontal then vertical, except vertical first when
     * inHeight > 100·inWidth and the image shrinks vertically; an unchanged axis is skipped (no pass
     * at all means a plain copy).
     */
    public static List<ResizePass> plan(int inWidth, int inHeight, int outWidth, int outHeight,
            ResampleFilter filter) {
        boolean verticalFirst = inHeight > 100L * inWidth && outHeight < inHeight;
        List<ResizePass> passes = new ArrayList<>();
        int width = inWidth;
        int height = inHeight;
        for (boolean vertical : verticalFirst ? new boolean[] {true, false} : new boolean[] {false, true}) {
            if (vertical && height != outHeight) {
                passes.add(new ResizePass(true, width, height, width, outHeight,
                        ResampleTables.compute(height, outHeight, filter)));
                height = outHeight;
            } else if (!vertical && width != outWidth) {
                passes.add(new ResizePass(false, width, height, outWidth, height,
                        ResampleTables.compute(width, outWidth, filter)));
                width = outWidth;
            }
        }
        return passes;
    }
}
