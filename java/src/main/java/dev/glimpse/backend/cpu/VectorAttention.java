package dev.glimpse.backend.cpu;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Scaled dot-product attention with grouped KV heads, parallel over (query row, head) pairs. For each pair
 * it computes the visible scores into a per-worker scratch row, applies a softmax with the maximum
 * subtracted, and accumulates the weighted value rows. Scratch grows to the longest key count seen and is
 * then reused, so decoding allocates nothing.
 */
final class VectorAttention {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final VectorKernels kernels;
    private final WorkerPool pool;
    private final float[][] scores;
    private final float[][] sums;

    VectorAttention(VectorKernels kernels, WorkerPool pool) {
        this.kernels = kernels;
        this.pool = pool;
        this.scores = new float[pool.threads()][0];
        this.sums = new float[pool.threads()][0];
    }

    void run(Tensor out, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int headDim, float scale,
            int causalOffset) {
        int n = q.rows();
        pool.parallelFor(n * heads, (worker, from, to) -> {
            float[] rowScores = scratch(scores, worker, k.rows());
            float[] weighted = scratch(sums, worker, headDim);
            for (int item = from; item < to; item++) {
                int i = item / heads;
                int h = item % heads;
                int visible = causalOffset == Backend.NON_CAUSAL ? k.rows() : causalOffset + i + 1;
                head(out, q, k, v, i, h, h / (heads / kvHeads), headDim, scale, visible, rowScores, weighted);
            }
        });
    }

    private static float[] scratch(float[][] perWorker, int worker, int length) {
        if (perWorker[worker].length < length) {
            perWorker[worker] = new float[Math.max(length, 2 * perWorker[worker].length)];
        }
        return perWorker[worker];
    }

    /** Output row i of head h, attending to keys [0, visible) of KV head kvHead. */
    private void head(Tensor out, Tensor q, Tensor k, Tensor v, int i, int h, int kvHead, int headDim, float scale,
            int visible, float[] s, float[] weighted) {
        long qAt = ((long) i * q.cols() + (long) h * headDim) * Float.BYTES;
        long kvRowBytes = (long) k.cols() * Float.BYTES;
        long kvAt = (long) kvHead * headDim * Float.BYTES;
        MemorySegment qs = q.data();
        MemorySegment ks = k.data();
        MemorySegment vs = v.data();
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            s[j] = scale * kernels.dotF32(qs, qAt, ks, j * kvRowBytes + kvAt, headDim);
            max = Math.max(max, s[j]);
        }
        float total = kernels.expMinusMax(s, visible, max);
        Arrays.fill(weighted, 0, headDim, 0f);
        for (int j = 0; j < visible; j++) {
            kernels.addScaled(weighted, s[j], vs, j * kvRowBytes + kvAt, headDim);
        }
        float inverse = 1 / total;
        MemorySegment os = out.data();
        for (int d = 0; d < headDim; d++) {
            os.set(F32, qAt + (long) d * Float.BYTES, weighted[d] * inverse);
        }
    }
}
