package dev.glimpse.backend.cuda;

/**
 * The normalisation of SPEC §2.4 for every 8-bit value, as normalize_patchify reads it:
 * lut[c·256 + v] = (float(v / 255.0) − float(mean[c])) / float(std[c]), in float arithmetic like
 * the reference (Java float operations round as the GPU's do, so the table is exact).
 */
public final class NormalizeTable {

    public static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    public static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    private NormalizeTable() {}

    public static float[] compute(double[] mean, double[] std) {
        float[] lut = new float[mean.length * 256];
        for (int c = 0; c < mean.length; c++) {
            float m = (float) mean[c];
            float s = (float) std[c];
            for (int v = 0; v < 256; v++) {
                lut[c * 256 + v] = ((float) (v / 255.0) - m) / s;
            }
        }
        return lut;
    }
}
