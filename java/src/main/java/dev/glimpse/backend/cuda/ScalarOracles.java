package dev.glimpse.backend.cuda;

/**
 * Plain-loop references for the CUDA kernels, in double where it matters, written straight from
 * the Backend contract and SPEC: the shim tests and the GPU suite compare the kernels with these.
 */
public final class ScalarOracles {

    private ScalarOracles() {}

    public static float[] embed(float[] table, int cols, int[] ids) {
        float[] out = new float[ids.length * cols];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(table, ids[i] * cols, out, i * cols, cols);
        }
        return out;
    }

    /** out[n, o] = x[n, k] · w[o, k]ᵀ + bias (bias may be null). */
    public static float[] matmul(float[] x, float[] w, float[] bias, int n, int k, int o) {
        float[] out = new float[n * o];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < o; j++) {
                double sum = bias == null ? 0 : bias[j];
                for (int i = 0; i < k; i++) {
                    sum += (double) x[r * k + i] * w[j * k + i];
                }
                out[r * o + j] = (float) sum;
            }
        }
        return out;
    }

    public static float[] rmsNorm(float[] x, float[] weight, int rows, int cols, float eps) {
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            double squares = 0;
            for (int c = 0; c < cols; c++) {
                squares += (double) x[r * cols + c] * x[r * cols + c];
            }
            double scale = 1.0 / Math.sqrt(squares / cols + eps);
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = (float) (x[r * cols + c] * scale * weight[c]);
            }
        }
        return out;
    }

    /** x' = x·cos + rotate_half(x)·sin per head; returns a new array. */
    public static float[] rope(float[] x, float[] cos, float[] sin, int rows, int heads, int headDim) {
        float[] out = x.clone();
        int half = headDim / 2;
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                int base = (r * heads + h) * headDim;
                for (int d = 0; d < headDim; d++) {
                    double rotated = d < half ? -x[base + d + half] : x[base + d - half];
                    out[base + d] = (float) (x[base + d] * (double) cos[r * headDim + d]
                            + rotated * sin[r * headDim + d]);
                }
            }
        }
        return out;
    }

    public static float[] swiglu(float[] gate, float[] up) {
        float[] out = new float[gate.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (gate[i] / (1.0 + Math.exp(-gate[i])) * up[i]);
        }
        return out;
    }

    public static float[] gelu(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (x[i] * (1.0 + erf(x[i] / Math.sqrt(2.0))) / 2.0);
        }
        return out;
    }

    /** erf to about 1e-13: Taylor series near zero, Lentz-free continued fraction for erfc beyond. */
    public static double erf(double x) {
        double a = Math.abs(x);
        double result;
        if (a < 3.0) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 100 && Math.abs(term) > 1e-17; n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            result = 2.0 / Math.sqrt(Math.PI) * sum;
        } else {
            double fraction = a;
            for (int n = 60; n >= 1; n--) {
                fraction = a + (n / 2.0) / fraction;
            }
            result = 1.0 - Math.exp(-a * a) / Math.sqrt(Math.PI) / fraction;
        }
        return x < 0 ? -result : result;
    }

    public static float[] add(float[] x, float[] y) {
        float[] out = new float[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = x[i] + y[i];
        }
        return out;
    }

    public static float[] softmax(float[] x, int rows, int cols) {
        float[] out = new float[x.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, x[r * cols + c]);
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(x[r * cols + c] - max);
            }
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = (float) (Math.exp(x[r * cols + c] - max) / sum);
            }
        }
        return out;
    }

    public static int[] argmax(float[] x, int rows, int cols) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int c = 1; c < cols; c++) {
                if (x[r * cols + c] > x[r * cols + best]) {
                    best = c;
                }
            }
            out[r] = best;
        }
        return out;
    }

    /** Backend.attention: causalOffset >= 0 lets query i see keys 0..causalOffset+i, else all m. */
    public static float[] attention(float[] q, float[] k, float[] v, int n, int m, int heads, int kvHeads,
            int headDim, float scale, int causalOffset) {
        float[] out = new float[n * heads * headDim];
        double[] scores = new double[m];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < heads; h++) {
                int g = h / (heads / kvHeads);
                int keys = causalOffset < 0 ? m : Math.min(m, causalOffset + i + 1);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < keys; j++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) q[(i * heads + h) * headDim + d] * k[(j * kvHeads + g) * headDim + d];
                    }
                    scores[j] = dot * scale;
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < keys; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int d = 0; d < headDim; d++) {
                    double acc = 0;
                    for (int j = 0; j < keys; j++) {
                        acc += scores[j] * v[(j * kvHeads + g) * headDim + d];
                    }
                    out[(i * heads + h) * headDim + d] = (float) (acc / sum);
                }
            }
        }
        return out;
    }

    /**
     * pixel_values of an interleaved u8 image (SPEC §2.4-2.5), built by walking merge blocks in raster
     * order and the patches inside them, columns (channel, frame, py, px).
     */
    public static float[] normalizePatchify(byte[] image, int width, int height, int channels, int patch,
            int merge, int temporal, double[] mean, double[] std) {
        int columns = channels * temporal * patch * patch;
        float[] out = new float[(width / patch) * (height / patch) * columns];
        int row = 0;
        for (int bh = 0; bh < height / patch / merge; bh++) {
            for (int bw = 0; bw < width / patch / merge; bw++) {
                for (int mh = 0; mh < merge; mh++) {
                    for (int mw = 0; mw < merge; mw++) {
                        int col = 0;
                        for (int c = 0; c < channels; c++) {
                            for (int t = 0; t < temporal; t++) {
                                for (int py = 0; py < patch; py++) {
                                    for (int px = 0; px < patch; px++) {
                                        int y = (bh * merge + mh) * patch + py;
                                        int x = (bw * merge + mw) * patch + px;
                                        int value = image[(y * width + x) * channels + c] & 0xFF;
                                        float scaled = (float) (value / 255.0);
                                        out[row * columns + col++] = (scaled - (float) mean[c]) / (float) std[c];
                                    }
                                }
                            }
                        }
                        row++;
                    }
                }
            }
        }
        return out;
    }

    /** One resize pass over an interleaved u8 image with Pillow's fixed-point tables (SPEC §2.3). */
    public static byte[] resample(byte[] in, ResizePass pass, int channels) {
        ResampleTables t = pass.tables();
        byte[] out = new byte[pass.outWidth() * pass.outHeight() * channels];
        for (int y = 0; y < pass.outHeight(); y++) {
            for (int x = 0; x < pass.outWidth(); x++) {
                int i = pass.vertical() ? y : x;
                for (int c = 0; c < channels; c++) {
                    int accumulator = 1 << 21;
                    for (int tap = 0; tap < t.bounds()[2 * i + 1]; tap++) {
                        int source = t.bounds()[2 * i] + tap;
                        int sx = pass.vertical() ? x : source;
                        int sy = pass.vertical() ? source : y;
                        accumulator += (in[(sy * pass.inWidth() + sx) * channels + c] & 0xFF)
                                * t.coeffs()[i * t.ksize() + tap];
                    }
                    out[(y * pass.outWidth() + x) * channels + c] = (byte) Math.clamp(accumulator >> 22, 0, 255);
                }
            }
        }
        return out;
    }

    /** Rounds each value to the nearest bf16 (ties to even), as the tensor-core GEMM stages x. */
    public static float[] roundToBf16(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int bits = Float.floatToRawIntBits(x[i]);
            bits += 0x7FFF + ((bits >>> 16) & 1);
            out[i] = Float.intBitsToFloat(bits & 0xFFFF0000);
        }
        return out;
    }

    /** ‖got − want‖₂ / ‖want‖₂ (NaN anywhere gives NaN, which fails every tolerance). */
    public static double relativeError(float[] got, float[] want) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < want.length; i++) {
            double d = (double) got[i] - want[i];
            diff += d * d;
            norm += (double) want[i] * want[i];
        }
        return Math.sqrt(diff / Math.max(norm, 1e-30));
    }
}
