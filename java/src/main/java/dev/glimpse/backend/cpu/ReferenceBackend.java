package dev.glimpse.backend.cpu;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;

/**
 * Plain scalar Java, one thread, one element at a time: the oracle the fast backends are tested against,
 * kept forever. Reductions (dot products, sums of squares, softmax sums) and the element functions are
 * computed in double and rounded to F32 once, so this is always the more accurate side of a comparison.
 * Weights of every dtype are read as they are (F16 included), so {@link #upload} copies nothing.
 */
public final class ReferenceBackend implements Backend {

    private final Arena arena = Arena.ofShared();
    private final HostAllocations allocations = new HostAllocations();

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Tensor allocate(String name, long... shape) {
        return allocations.allocate(name, shape);
    }

    @Override
    public void release(Tensor allocated) {
        allocations.release(allocated);
    }

    @Override
    public Tensor upload(Tensor hostWeight) {
        return hostWeight;
    }

    @Override
    public void write(Tensor dst, float[] src) {
        OpChecks.f32("write", dst);
        OpChecks.vector("write", dst, src.length);
        for (int i = 0; i < src.length; i++) {
            dst.setFloat(i, src[i]);
        }
    }

    @Override
    public void read(Tensor src, float[] dst) {
        OpChecks.f32("read", src);
        OpChecks.vector("read", src, dst.length);
        for (int i = 0; i < dst.length; i++) {
            dst[i] = src.getFloat(i);
        }
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        OpChecks.f32("copy", dst);
        OpChecks.f32("copy", src);
        OpChecks.sameNumel("copy", dst, src);
        for (long i = 0; i < src.numel(); i++) {
            dst.setFloat(i, src.getFloat(i));
        }
    }

    @Override
    public void embed(Tensor out, Tensor table, int[] ids) {
        OpChecks.embed(out, table, ids);
        long cols = table.cols();
        for (int i = 0; i < ids.length; i++) {
            for (long c = 0; c < cols; c++) {
                out.setFloat(i * cols + c, table.getFloat(ids[i] * cols + c));
            }
        }
    }

    @Override
    public void matmul(Tensor out, Tensor x, Tensor w, Tensor bias) {
        OpChecks.matmul(out, x, w, bias);
        long n = x.rows();
        long k = x.cols();
        long outDim = w.rows();
        for (long r = 0; r < n; r++) {
            for (long o = 0; o < outDim; o++) {
                double sum = bias == null ? 0 : bias.getFloat(o);
                for (long i = 0; i < k; i++) {
                    sum += (double) x.getFloat(r * k + i) * w.getFloat(o * k + i);
                }
                out.setFloat(r * outDim + o, (float) sum);
            }
        }
    }

    @Override
    public void rmsNorm(Tensor out, Tensor x, Tensor weight, float eps) {
        OpChecks.rmsNorm(out, x, weight);
        long cols = x.cols();
        for (long r = 0; r < x.rows(); r++) {
            double squares = 0;
            for (long c = 0; c < cols; c++) {
                double v = x.getFloat(r * cols + c);
                squares += v * v;
            }
            double scale = 1 / Math.sqrt(squares / cols + eps);
            for (long c = 0; c < cols; c++) {
                out.setFloat(r * cols + c, (float) (x.getFloat(r * cols + c) * scale * weight.getFloat(c)));
            }
        }
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, int headDim) {
        OpChecks.rope(x, cos, sin, headDim);
        int half = headDim / 2;
        long cols = x.cols();
        for (long r = 0; r < x.rows(); r++) {
            for (long head = r * cols; head < (r + 1) * cols; head += headDim) {
                for (int d = 0; d < half; d++) {
                    double first = x.getFloat(head + d);
                    double second = x.getFloat(head + d + half);
                    // rotate_half(x) is [−second, first]
                    double newFirst = first * cos.getFloat(r * headDim + d) - second * sin.getFloat(r * headDim + d);
                    double newSecond = second * cos.getFloat(r * headDim + d + half)
                            + first * sin.getFloat(r * headDim + d + half);
                    x.setFloat(head + d, (float) newFirst);
                    x.setFloat(head + d + half, (float) newSecond);
                }
            }
        }
    }

    @Override
    public void swiglu(Tensor out, Tensor gate, Tensor up) {
        OpChecks.f32("swiglu", out);
        OpChecks.sameNumel("swiglu", out, gate);
        OpChecks.sameNumel("swiglu", out, up);
        for (long i = 0; i < out.numel(); i++) {
            double g = gate.getFloat(i);
            out.setFloat(i, (float) (g / (1 + Math.exp(-g)) * up.getFloat(i)));
        }
    }

    @Override
    public void gelu(Tensor x) {
        OpChecks.f32("gelu", x);
        for (long i = 0; i < x.numel(); i++) {
            double v = x.getFloat(i);
            // x·(1 + erf(x/√2))/2 written with erfc, which stays accurate where 1 + erf cancels (x ≪ 0).
            x.setFloat(i, (float) (0.5 * v * Erf.erfc(-v / Math.sqrt(2))));
        }
    }

    @Override
    public void add(Tensor x, Tensor y) {
        OpChecks.f32("add", x);
        OpChecks.sameNumel("add", x, y);
        for (long i = 0; i < x.numel(); i++) {
            x.setFloat(i, x.getFloat(i) + y.getFloat(i));
        }
    }

    @Override
    public void softmax(Tensor x) {
        OpChecks.f32("softmax", x);
        long cols = x.cols();
        double[] row = new double[x.cols()];
        for (long r = 0; r < x.rows(); r++) {
            for (int c = 0; c < cols; c++) {
                row[c] = x.getFloat(r * cols + c);
            }
            softmaxInPlace(row, row.length);
            for (int c = 0; c < cols; c++) {
                x.setFloat(r * cols + c, (float) row[c]);
            }
        }
    }

    @Override
    public int argmax(Tensor x) {
        OpChecks.argmax(x);
        int best = 0;
        for (long i = 1; i < x.numel(); i++) {
            if (x.getFloat(i) > x.getFloat(best)) {
                best = Math.toIntExact(i);
            }
        }
        return best;
    }

    @Override
    public void attention(Tensor out, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int headDim, float scale,
            int causalOffset) {
        OpChecks.attention(out, q, k, v, heads, kvHeads, headDim, causalOffset);
        int n = q.rows();
        int m = k.rows();
        int group = heads / kvHeads;
        long qCols = (long) heads * headDim;
        long kvCols = (long) kvHeads * headDim;
        double[] scores = new double[m];
        for (int i = 0; i < n; i++) {
            int visible = causalOffset == NON_CAUSAL ? m : causalOffset + i + 1;
            for (int h = 0; h < heads; h++) {
                long qBase = i * qCols + (long) h * headDim;
                long kvBase = (long) (h / group) * headDim;
                for (int j = 0; j < visible; j++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) q.getFloat(qBase + d) * k.getFloat(j * kvCols + kvBase + d);
                    }
                    scores[j] = dot * scale;
                }
                softmaxInPlace(scores, visible);
                for (int d = 0; d < headDim; d++) {
                    double sum = 0;
                    for (int j = 0; j < visible; j++) {
                        sum += scores[j] * v.getFloat(j * kvCols + kvBase + d);
                    }
                    out.setFloat(qBase + d, (float) sum);
                }
            }
        }
    }

    /** Softmax of values[0, length) in place, with the maximum subtracted first so exp cannot overflow. */
    private static void softmaxInPlace(double[] values, int length) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            max = Math.max(max, values[i]);
        }
        double sum = 0;
        for (int i = 0; i < length; i++) {
            values[i] = Math.exp(values[i] - max);
            sum += values[i];
        }
        for (int i = 0; i < length; i++) {
            values[i] /= sum;
        }
    }

    @Override
    public void close() {
        allocations.close();
        arena.close();
    }
}
