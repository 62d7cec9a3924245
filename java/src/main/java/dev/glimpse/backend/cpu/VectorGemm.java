package dev.glimpse.backend.cpu;

import dev.glimpse.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * out[n, o] = x[n, k] · w[o, k]ᵀ + bias[o] for many rows of x (prefill, the vision tower): a cache-blocked,
 * register-blocked GEMM.
 *
 * <p>x is first packed into strips of S = {@link VectorKernels#stripTokens()} tokens, token-minor, so that
 * one k step of a strip is two vectors. The micro-tile ({@link VectorKernels#gemmTile}) then holds S tokens ×
 * {@link VectorKernels#TILE_ROWS} weight rows in 12 vector accumulators: per k step it loads the two x vectors
 * and broadcasts one weight per row, 12 FMAs for 8 loads, and no horizontal sums at the end. Threads split
 * the weight rows; each takes them in panels whose K block stays in L2 while every strip passes over it, so
 * the weights are read from memory once per call. The panel block is copied (F32) or widened (BF16) once
 * into a per-thread F32 block. Tiles add into a per-thread accumulator laid out like them, which carries the
 * sums across K blocks (K over {@link #MAX_K_BLOCK}) and is transposed into out, plus bias, once per panel.
 *
 * <p>The scratch (packed x, panel block, accumulator) is on-heap float[]: C2 hoists the bounds checks of the
 * weight rows out of the micro-kernel loop for arrays, not for MemorySegment offsets.
 */
final class VectorGemm {

    private static final int ROWS = VectorKernels.TILE_ROWS;
    /** Longest K block: a panel of 48 such rows is 384 KB. */
    private static final int MAX_K_BLOCK = 2048;
    /** Floats of weights per panel block: reused by every strip, so it should stay in L2. */
    private static final int PANEL_FLOATS = 96 << 10;
    private static final int MAX_PANEL_ROWS = 96;
    /** Floats of packed x at a time (64 MB): longer inputs are packed and multiplied in chunks of strips. */
    private static final int MAX_PACKED = 16 << 20;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final VectorKernels kernels;
    private final WorkerPool pool;
    private final int strip;
    private final int maxPacked;
    private final float[][] panels;
    private final float[][] accumulators;
    private final float[][] panelBias;
    /** One token's outputs of a panel, gathered from the tiles before one bulk copy into out. */
    private final float[][] panelLine;
    private float[] packed = new float[0];

    VectorGemm(VectorKernels kernels, WorkerPool pool) {
        this(kernels, pool, MAX_PACKED);
    }

    /** With at most maxPacked floats of packed x at a time (tests use a small limit to reach the chunked case). */
    VectorGemm(VectorKernels kernels, WorkerPool pool, int maxPacked) {
        this.kernels = kernels;
        this.pool = pool;
        this.maxPacked = maxPacked;
        this.strip = kernels.stripTokens();
        int threads = pool.threads();
        this.panels = new float[threads][Math.max(PANEL_FLOATS, ROWS * MAX_K_BLOCK)];
        this.accumulators = new float[threads][0];
        this.panelBias = new float[threads][MAX_PANEL_ROWS];
        this.panelLine = new float[threads][MAX_PANEL_ROWS];
    }

    /** The fewest rows of x this path is for: one full strip. */
    int minRows() {
        return strip;
    }

    void run(Tensor out, Tensor x, Tensor w, Tensor bias, boolean bf16) {
        int n = x.rows();
        int k = x.cols();
        int outDim = w.rows();
        int strips = (n + strip - 1) / strip;
        int kBlocks = (k + MAX_K_BLOCK - 1) / MAX_K_BLOCK;
        int kc = (k + kBlocks - 1) / kBlocks;
        int panelRows = Math.clamp(PANEL_FLOATS / kc / ROWS * ROWS, ROWS, MAX_PANEL_ROWS);
        int groups = (outDim + ROWS - 1) / ROWS;
        int chunk = Math.max(1, maxPacked / (strip * k));
        for (int first = 0; first < strips; first += chunk) {
            int firstStrip = first;
            int count = Math.min(chunk, strips - first);
            float[] xp = packedScratch(Math.multiplyExact(count, strip * k));
            pool.parallelFor(count, (worker, from, to) -> {
                for (int s = from; s < to; s++) {
                    pack(x, firstStrip + s, xp, s);
                }
            });
            pool.parallelFor(groups, (worker, groupFrom, groupTo) -> {
                int end = Math.min(groupTo * ROWS, outDim);
                for (int p = groupFrom * ROWS; p < end; p += panelRows) {
                    panel(out, xp, firstStrip, count, w, bias, bf16, kc, worker, p, Math.min(p + panelRows, end));
                }
            });
        }
    }

    /** Output columns [from, to) for strips [first, first + count): all K blocks, then the store. */
    private void panel(Tensor out, float[] xp, int first, int count, Tensor w, Tensor bias, boolean bf16, int kc,
            int worker, int from, int to) {
        int k = w.cols();
        int groups = (to - from + ROWS - 1) / ROWS;
        int tile = ROWS * strip;
        float[] acc = accumulatorScratch(worker, count * groups * tile);
        float[] wp = panels[worker];
        Arrays.fill(acc, 0, count * groups * tile, 0f);
        for (int kb = 0; kb < k; kb += kc) {
            int length = Math.min(kc, k - kb);
            for (int o = from; o < to; o++) {
                long at = (long) o * k + kb;
                if (bf16) {
                    kernels.bf16ToF32(w.data(), at, wp, (o - from) * length, length);
                } else {
                    MemorySegment.copy(w.data(), F32, at * Float.BYTES, wp, (o - from) * length, length);
                }
            }
            for (int s = 0; s < count; s++) {
                int xpAt = (s * k + kb) * strip;
                for (int g = 0; g < groups; g++) {
                    int rows = Math.min(ROWS, to - from - g * ROWS);
                    kernels.gemmTile(xp, xpAt, wp, g * ROWS * length, length, rows, length, acc,
                            (s * groups + g) * tile, strip);
                }
            }
        }
        store(out, acc, first, count, groups, bias, worker, from, to);
    }

    /** Transposes the tiles of acc into out columns [from, to) of strips [first, first + count), adding the bias. */
    private void store(Tensor out, float[] acc, int first, int count, int groups, Tensor bias, int worker, int from,
            int to) {
        float[] b = panelBias[worker];
        for (int o = from; o < to; o++) {
            b[o - from] = bias == null ? 0 : bias.getFloat(o);
        }
        int outDim = out.cols();
        int end = Math.min(out.rows(), (first + count) * strip);
        int width = to - from;
        MemorySegment os = out.data();
        int tile = ROWS * strip;
        float[] line = panelLine[worker];
        for (int token = first * strip; token < end; token++) {
            int tokenAt = (token / strip - first) * groups * tile + token % strip;
            for (int g = 0, c = 0; g < groups; g++) {
                int at = tokenAt + g * tile;
                for (int r = 0; r < ROWS && c < width; r++, c++) {
                    line[c] = acc[at + r * strip] + b[c];
                }
            }
            MemorySegment.copy(line, 0, os, F32, ((long) token * outDim + from) * Float.BYTES, width);
        }
    }

    /** Strip s of x into slot slot of xp, token-minor: xp[slot][i][t] = x[s·S + t][i], zero past the last token. */
    private void pack(Tensor x, int s, float[] xp, int slot) {
        int n = x.rows();
        int k = x.cols();
        MemorySegment xs = x.data();
        int base = slot * k * strip;
        for (int t = 0; t < strip; t++) {
            int token = s * strip + t;
            if (token < n) {
                long row = (long) token * k;
                for (int i = 0; i < k; i++) {
                    xp[base + i * strip + t] = xs.getAtIndex(F32, row + i);
                }
            } else {
                for (int i = 0; i < k; i++) {
                    xp[base + i * strip + t] = 0;
                }
            }
        }
    }

    private float[] packedScratch(int length) {
        if (packed.length < length) {
            packed = new float[length];
        }
        return packed;
    }

    private float[] accumulatorScratch(int worker, int length) {
        if (accumulators[worker].length < length) {
            accumulators[worker] = new float[Math.max(length, accumulators[worker].length * 3 / 2)];
        }
        return accumulators[worker];
    }
}
