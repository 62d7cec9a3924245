package dev.glimpse.image;

/**
 * The image steps of the VisionThink protocol (VISIONTHINK.md), as its evaluation loop does them
 * with Pillow's LANCZOS: the round-1 half-size image, and the min-28 rule that both rounds apply.
 */
public final class VisionThinkImages {

    /** Images with a side under this many pixels are scaled up. */
    public static final int MIN_SIDE = 28;

    /** An image and, when Glimpse departed from the plain rule or scaled it up, a note for the trace ("" otherwise). */
    public record Adjusted(RgbImage image, String note) {

        public boolean hasNote() {
            return !note.isEmpty();
        }
    }

    private VisionThinkImages() {
    }

    /** Round 1: the original resized to (w // 2, h // 2) with LANCZOS, then {@link #minSide28}. */
    public static Adjusted halfSize(RgbImage original) {
        int w = original.width() / 2;
        int h = original.height() / 2;
        String note = "";
        if (w == 0 || h == 0) { // Pillow refuses a 0-pixel side: use 1 (VISIONTHINK.md)
            note = original.width() + "x" + original.height() + " halves to " + w + "x" + h + ": a 0-pixel side was raised to 1";
            w = Math.max(w, 1);
            h = Math.max(h, 1);
        }
        RgbImage half = PillowResampler.vector().resize(original, w, h, ResampleFilter.LANCZOS);
        Adjusted scaled = minSide28(half);
        return new Adjusted(scaled.image(), join(note, scaled.note()));
    }

    /**
     * An image with a side under 28 pixels scaled by max(28/w, 28/h), sizes truncated, with LANCZOS
     * (as VisionThink's loop does for both rounds); others returned as they are.
     */
    public static Adjusted minSide28(RgbImage image) {
        int w = image.width();
        int h = image.height();
        if (w >= MIN_SIDE && h >= MIN_SIDE) {
            return new Adjusted(image, "");
        }
        double scale = Math.max((double) MIN_SIDE / w, (double) MIN_SIDE / h);
        int newW = (int) (w * scale);
        int newH = (int) (h * scale);
        RgbImage scaled = PillowResampler.vector().resize(image, newW, newH, ResampleFilter.LANCZOS);
        return new Adjusted(scaled, w + "x" + h + " has a side under " + MIN_SIDE + " pixels: scaled up to "
                + newW + "x" + newH);
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : a + "; " + b;
    }
}
