package dev.glimpse.backend.cpu;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Scaled dot-product attention with grouped KV heads.
 *
 * <p>Blocked (prefill, the vision tower): the (query, head) pairs of each KV head are taken
 * {@link VectorKernels#TILE_ROWS} at a time, and both products run on the GEMM micro-tile
 * ({@link VectorKernels#gemmTile}). Each KV head's keys are packed once per call into strips, token-minor
 * (Kᵀ: a k step is one dimension of S keys), and its values into strips of S dimensions (a k step is one key),
 * so the keys and values are read once per group of pairs rather than once per pair. Scores of a group go
 * to a per-worker block [pair][key]; after the softmax, with the causal mask applied per pair, the same block
 * serves as the weight rows of P·V.
 *
 * <p>Per pair (decode, and fewer query rows than a tile holds), in parallel over (query row, head) pairs: each
 * pair computes its visible scores into a per-worker scratch row, applies a softmax with the maximum
 * subtracted, and accumulates the weighted value rows. Scratch grows to the longest key count seen and is then
 * reused, so decoding allocates nothing.
 */
final class VectorAttention {

    private static final int ROWS = VectorKernels.TILE_ROWS;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final VectorKernels kernels;
    private final WorkerPool pool;
    private final int strip;
    private final float[][] scores;
    private final float[][] sums;
    private final float[][] queries;
    private final float[][] weighted;
    private float[] packedKeys = new float[0];
    private float[] packedValues = new float[0];

    VectorAttention(VectorKernels kernels, WorkerPool pool) {
        this.kernels = kernels;
        this.pool = pool;
        this.strip = kernels.stripTokens();
        int threads = pool.threads();
        this.scores = new float[threads][0];
        this.sums = new float[threads][0];
        this.queries = new float[threads][0];
        this.weighted = new float[threads][0];
    }

    void run(Tensor out, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int headDim, float scale,
            int causalOffset) {
        if (q.rows() >= ROWS) {
            blocked(out, q, k, v, heads, kvHeads, headDim, scale, causalOffset);
        } else {
            perPair(out, q, k, v, heads, kvHeads, headDim, scale, causalOffset);
        }
    }

    private void blocked(Tensor out, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int headDim, float scale,
            int causalOffset) {
        int m = k.rows();
        int keyStrips = (m + strip - 1) / strip;
        int dimStrips = (headDim + strip - 1) / strip;
        int keysPacked = keyStrips * strip * headDim;
        int valuesPacked = dimStrips * strip * m;
        float[] kp = packedKeys = grow(packedKeys, Math.multiplyExact(kvHeads, keysPacked));
        float[] vp = packedValues = grow(packedValues, Math.multiplyExact(kvHeads, valuesPacked));
        pool.parallelFor(kvHeads, (worker, from, to) -> {
            for (int h = from; h < to; h++) {
                packKeys(k, h, headDim, kp, h * keysPacked);
                packValues(v, h, headDim, vp, h * valuesPacked);
            }
        });
        int perKv = heads / kvHeads;
        int pairs = q.rows() * perKv;
        int groups = (pairs + ROWS - 1) / ROWS;
        pool.parallelFor(kvHeads * groups, (worker, from, to) -> {
            for (int item = from; item < to; item++) {
                int kvHead = item / groups;
                int first = item % groups * ROWS;
                group(out, q, m, perKv, headDim, scale, causalOffset, kvHead, first, Math.min(pairs, first + ROWS),
                        kp, kvHead * keysPacked, vp, kvHead * valuesPacked, worker);
            }
        });
    }

    /**
     * Pairs [from, to) of KV head kvHead (pair p is query row p / perKv of head kvHead·perKv + p % perKv), with
     * that head's keys packed at kp[kAt …] and values at vp[vAt …].
     */
    private void group(Tensor out, Tensor q, int m, int perKv, int headDim, float scale, int causalOffset,
            int kvHead, int from, int to, float[] kp, int kAt, float[] vp, int vAt, int worker) {
        int rows = to - from;
        int keysPadded = (m + strip - 1) / strip * strip;
        int dimsPadded = (headDim + strip - 1) / strip * strip;
        float[] qs = queries[worker] = grow(queries[worker], ROWS * headDim);
        float[] s = scores[worker] = grow(scores[worker], ROWS * keysPadded);
        float[] o = weighted[worker] = grow(weighted[worker], ROWS * dimsPadded);
        float[] totals = sums[worker] = grow(sums[worker], ROWS);
        // The queries, pre-scaled, as the tile's weight rows; the longest visible key range of the group.
        int visibleMax = 0;
        MemorySegment qData = q.data();
        for (int r = 0; r < rows; r++) {
            int p = from + r;
            int i = p / perKv;
            long qAt = (long) i * q.cols() + (long) (kvHead * perKv + p % perKv) * headDim;
            for (int d = 0; d < headDim; d++) {
                qs[r * headDim + d] = scale * qData.getAtIndex(F32, qAt + d);
            }
            visibleMax = Math.max(visibleMax, visible(causalOffset, i, m));
        }
        int keyStrips = (visibleMax + strip - 1) / strip;
        Arrays.fill(s, 0, ROWS * keysPadded, 0f);
        for (int ks = 0; ks < keyStrips; ks++) {
            kernels.gemmTile(kp, kAt + ks * headDim * strip, qs, 0, headDim, rows, headDim, s, ks * strip, keysPadded);
        }
        for (int r = 0; r < rows; r++) {
            int visible = visible(causalOffset, (from + r) / perKv, m);
            int rowAt = r * keysPadded;
            totals[r] = kernels.expMinusMax(s, rowAt, visible, kernels.maxOf(s, rowAt, visible));
            Arrays.fill(s, rowAt + visible, rowAt + visibleMax, 0f);
        }
        Arrays.fill(o, 0, ROWS * dimsPadded, 0f);
        for (int ds = 0; ds < dimsPadded / strip; ds++) {
            kernels.gemmTile(vp, vAt + ds * m * strip, s, 0, keysPadded, rows, visibleMax, o, ds * strip, dimsPadded);
        }
        MemorySegment os = out.data();
        for (int r = 0; r < rows; r++) {
            int p = from + r;
            long outAt = (long) (p / perKv) * out.cols() + (long) (kvHead * perKv + p % perKv) * headDim;
            float inverse = 1 / totals[r];
            for (int d = 0; d < headDim; d++) {
                os.setAtIndex(F32, outAt + d, o[r * dimsPadded + d] * inverse);
            }
        }
    }

    private static int visible(int causalOffset, int i, int m) {
        return causalOffset == Backend.NON_CAUSAL ? m : Math.min(m, causalOffset + i + 1);
    }

    /**
     * Keys of KV head h as Kᵀ strips, zero past key m:
     * kp[at + (j / S · headDim + d) · S + j % S] = k[j][h·headDim + d].
     */
    private void packKeys(Tensor k, int h, int headDim, float[] kp, int at) {
        int m = k.rows();
        int keyStrips = (m + strip - 1) / strip;
        Arrays.fill(kp, at + (keyStrips - 1) * headDim * strip, at + keyStrips * headDim * strip, 0f);
        MemorySegment ks = k.data();
        for (int j = 0; j < m; j++) {
            long rowAt = (long) j * k.cols() + (long) h * headDim;
            int stripAt = at + j / strip * headDim * strip + j % strip;
            for (int d = 0; d < headDim; d++) {
                kp[stripAt + d * strip] = ks.getAtIndex(F32, rowAt + d);
            }
        }
    }

    /** Values of KV head h in strips of S dimensions: vp[at + (d / S · m + j) · S + d % S] = v[j][h·headDim + d]. */
    private void packValues(Tensor v, int h, int headDim, float[] vp, int at) {
        int m = v.rows();
        int dimStrips = (headDim + strip - 1) / strip;
        Arrays.fill(vp, at + (dimStrips - 1) * m * strip, at + dimStrips * m * strip, 0f);
        MemorySegment vs = v.data();
        for (int j = 0; j < m; j++) {
            long rowAt = (long) j * v.cols() + (long) h * headDim;
            for (int d = 0; d < headDim; d++) {
                vp[at + (d / strip * m + j) * strip + d % strip] = vs.getAtIndex(F32, rowAt + d);
            }
        }
    }

    private static float[] grow(float[] buffer, int length) {
        return buffer.length >= length ? buffer : new float[Math.max(length, buffer.length * 3 / 2)];
    }

    private void perPair(Tensor out, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int headDim, float scale,
            int causalOffset) {
        int n = q.rows();
        pool.parallelFor(n * heads, (worker, from, to) -> {
            float[] rowScores = scores[worker] = grow(scores[worker], k.rows());
            float[] rowSums = weighted[worker] = grow(weighted[worker], headDim);
            for (int item = from; item < to; item++) {
                int i = item / heads;
                int h = item % heads;
                head(out, q, k, v, i, h, h / (heads / kvHeads), headDim, scale, visible(causalOffset, i, k.rows()),
                        rowScores, rowSums);
            }
        });
    }

    /** Output row i of head h, attending to keys [0, visible) of KV head kvHead. */
    private void head(Tensor out, Tensor q, Tensor k, Tensor v, int i, int h, int kvHead, int headDim, float scale,
            int visible, float[] s, float[] rowSums) {
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
        float total = kernels.expMinusMax(s, 0, visible, max);
        Arrays.fill(rowSums, 0, headDim, 0f);
        for (int j = 0; j < visible; j++) {
            kernels.addScaled(rowSums, s[j], vs, j * kvRowBytes + kvAt, headDim);
        }
        float inverse = 1 / total;
        MemorySegment os = out.data();
        for (int d = 0; d < headDim; d++) {
            os.setAtIndex(F32, qAt / Float.BYTES + d, rowSums[d] * inverse);
        }
    }
}
