package dev.glimpse.backend.cpu;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Scaled dot-product attention with grouped KV heads, parallel over (query row, head) pairs. For each pair
 * it computes the visible scores into a per-worker scratch row, applies a softmax with the maximum
 * subtracted, and accumulates the weighted value rows. Scratch grows to the longest key count seen and is
 * then reused, so decoding allocates nothing.
 */
final class VectorAttention {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final VectorLoads loads;
    private final WorkerPool pool;
    private final float[][] scores;
    private final float[][] sums;

    VectorAttention(VectorLoads loads, WorkerPool pool) {
        this.loads = loads;
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
            s[j] = scale * dot(qs, qAt, ks, j * kvRowBytes + kvAt, headDim);
            max = Math.max(max, s[j]);
        }
        float total = expMinusMax(s, visible, max);

        Arrays.fill(weighted, 0, headDim, 0f);
        int lanes = loads.lanes();
        int bound = headDim - headDim % lanes;
        for (int j = 0; j < visible; j++) {
            FloatVector p = FloatVector.broadcast(loads.floats(), s[j]);
            long vAt = j * kvRowBytes + kvAt;
            int d = 0;
            for (; d < bound; d += lanes) {
                loads.f32(vs, vAt + (long) d * Float.BYTES).fma(p, FloatVector.fromArray(loads.floats(), weighted, d))
                        .intoArray(weighted, d);
            }
            for (; d < headDim; d++) {
                weighted[d] += s[j] * vs.get(F32, vAt + (long) d * Float.BYTES);
            }
        }
        float inverse = 1 / total;
        MemorySegment os = out.data();
        for (int d = 0; d < headDim; d++) {
            os.set(F32, qAt + (long) d * Float.BYTES, weighted[d] * inverse);
        }
    }

    /** s[j] = exp(s[j] − max) for j < length; returns their sum. */
    private float expMinusMax(float[] s, int length, float max) {
        int lanes = loads.lanes();
        FloatVector sum = FloatVector.zero(loads.floats());
        int j = 0;
        for (int bound = length - length % lanes; j < bound; j += lanes) {
            FloatVector e = FloatVector.fromArray(loads.floats(), s, j).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(s, j);
            sum = sum.add(e);
        }
        float total = sum.reduceLanes(VectorOperators.ADD);
        for (; j < length; j++) {
            s[j] = (float) Math.exp(s[j] - max);
            total += s[j];
        }
        return total;
    }

    private float dot(MemorySegment a, long aAt, MemorySegment b, long bAt, int length) {
        int lanes = loads.lanes();
        FloatVector acc = FloatVector.zero(loads.floats());
        int d = 0;
        for (int bound = length - length % lanes; d < bound; d += lanes) {
            acc = loads.f32(a, aAt + (long) d * Float.BYTES).fma(loads.f32(b, bAt + (long) d * Float.BYTES), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; d < length; d++) {
            sum += a.get(F32, aAt + (long) d * Float.BYTES) * b.get(F32, bAt + (long) d * Float.BYTES);
        }
        return sum;
    }
}
