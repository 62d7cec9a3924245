package dev.glimpse.image;

import static dev.glimpse.image.ResampleCoefficients.HALF;
import static dev.glimpse.image.ResampleCoefficients.clip8;

/** The plain loops of Pillow's 8-bit resample: the oracle the fast path is tested against. */
final class ScalarResamplePass implements ResamplePass {

    @Override
    public void horizontal(byte[] src, int srcWidth, byte[] dst, ResampleCoefficients c, int y0, int y1) {
        int outWidth = c.outSize();
        int[] w = c.weights();
        for (int y = y0; y < y1; y++) {
            int srcRow = y * srcWidth * 3;
            int dstRow = y * outWidth * 3;
            for (int x = 0; x < outWidth; x++) {
                int r = HALF, g = HALF, b = HALF;
                int p = srcRow + c.first()[x] * 3;
                int k = x * c.taps();
                for (int t = 0; t < c.count()[x]; t++, p += 3) {
                    r += (src[p] & 0xFF) * w[k + t];
                    g += (src[p + 1] & 0xFF) * w[k + t];
                    b += (src[p + 2] & 0xFF) * w[k + t];
                }
                dst[dstRow + x * 3] = (byte) clip8(r);
                dst[dstRow + x * 3 + 1] = (byte) clip8(g);
                dst[dstRow + x * 3 + 2] = (byte) clip8(b);
            }
        }
    }

    @Override
    public void vertical(byte[] src, byte[] dst, int width, ResampleCoefficients c, int y0, int y1) {
        int rowBytes = width * 3;
        int[] w = c.weights();
        for (int y = y0; y < y1; y++) {
            int first = c.first()[y] * rowBytes;
            int k = y * c.taps();
            for (int i = 0; i < rowBytes; i++) {
                int sum = HALF;
                for (int t = 0, p = first + i; t < c.count()[y]; t++, p += rowBytes) {
                    sum += (src[p] & 0xFF) * w[k + t];
                }
                dst[y * rowBytes + i] = (byte) clip8(sum);
            }
        }
    }
}
