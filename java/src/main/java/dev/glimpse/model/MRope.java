package dev.glimpse.model;

import java.util.List;

/**
 * Qwen2.5-VL's multimodal rotary embedding for the text decoder (SPEC §4): three position axes
 * (t, h, w); frequency j takes its position from the axis whose mrope_section range holds j. A model
 * without mrope_section uses the t axis for every frequency (plain RoPE).
 */
public final class MRope {

    private final int headDim;
    private final float[] invFreq;
    private final int[] axisOfFreq;

    public MRope(TextConfig config) {
        this.headDim = config.headDim();
        int half = headDim / 2;
        this.invFreq = new float[half];
        this.axisOfFreq = new int[half];
        for (int j = 0; j < half; j++) {
            // Computed in float32 as torch does: 1 / theta^(2j/d).
            float exponent = (float) (2 * j) / (float) headDim;
            invFreq[j] = 1f / (float) Math.pow(config.ropeTheta(), exponent);
        }
        int[] sections = config.mropeSection();
        if (sections != null) {
            int j = 0;
            for (int axis = 0; axis < sections.length; axis++) {
                for (int s = 0; s < sections[axis]; s++) {
                    axisOfFreq[j++] = axis;
                }
            }
        }
    }

    /**
     * Writes cos and sin rows ([n, headDim], row-major) for tokens [from, from + n) of positions,
     * positions being [3][tokens].
     */
    public void tables(int[][] positions, int from, int n, float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int i = 0; i < n; i++) {
            int base = i * headDim;
            for (int j = 0; j < half; j++) {
                float angle = (float) positions[axisOfFreq[j]][from + i] * invFreq[j];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[base + j] = c;
                cos[base + half + j] = c;
                sin[base + j] = s;
                sin[base + half + j] = s;
            }
        }
    }

    /** Positions of a token sequence and the position the next token will take. */
    public record Positions(int[][] axes, int next) {
        public int length() {
            return axes[0].length;
        }
    }

    /**
     * The rope index (SPEC §4): text tokens advance all three axes together; each run of image-pad
     * tokens is one image laid out on its merged grid (t, h, w) from the running position s, and the
     * next text token starts at the largest position so far + 1.
     *
     * @param gridsThw one {t, h, w} in patches per image, in prompt order
     * @param start    position of the first token (the conversation's next position)
     */
    public static Positions ropeIndex(int[] ids, int imageTokenId, List<int[]> gridsThw, int mergeSize, int start) {
        int[][] axes = new int[3][ids.length];
        int next = start;
        int image = 0;
        int i = 0;
        while (i < ids.length) {
            if (ids[i] != imageTokenId) {
                axes[0][i] = axes[1][i] = axes[2][i] = next++;
                i++;
                continue;
            }
            if (image >= gridsThw.size()) {
                throw new IllegalArgumentException("prompt has more image-pad runs than images (" + gridsThw.size() + ")");
            }
            int[] thw = gridsThw.get(image++);
            int h = thw[1] / mergeSize;
            int w = thw[2] / mergeSize;
            int tokens = thw[0] * h * w;
            int run = 0;
            while (i + run < ids.length && ids[i + run] == imageTokenId) {
                run++;
            }
            if (run < tokens || (run > tokens && image == gridsThw.size())) {
                throw new IllegalArgumentException("image " + image + " needs " + tokens
                        + " image-pad tokens but the prompt has a run of " + run);
            }
            int max = next;
            for (int t = 0; t < thw[0]; t++) {
                for (int r = 0; r < h; r++) {
                    for (int c = 0; c < w; c++) {
                        // Still images: the temporal axis stays at s (transformers uses second_per_grid_t = 0).
                        axes[0][i] = next;
                        axes[1][i] = next + r;
                        axes[2][i] = next + c;
                        max = Math.max(max, Math.max(next + r, next + c));
                        i++;
                    }
                }
            }
            next = max + 1;
        }
        if (image != gridsThw.size()) {
            throw new IllegalArgumentException("prompt has " + image + " image-pad runs but " + gridsThw.size() + " images");
        }
        return new Positions(axes, next);
    }
}
