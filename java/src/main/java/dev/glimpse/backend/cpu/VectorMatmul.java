package dev.glimpse.backend.cpu;

import dev.glimpse.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * out[n, o] = x[n, k] · w[o, k]ᵀ + bias[o] with the Vector API, weights F32 or BF16, parallel over output rows.
 *
 * <p>Decode (fewer than {@link #TOKENS} rows of x) is memory-bound: each weight row is streamed once and
 * dotted with every x row, four weight rows at a time so each x vector loaded feeds four FMAs (MatvecBench:
 * +21% to +41% over one row at a time, except BF16 rows shorter than {@link #FOUR_ROWS_MIN_BF16_K}, which
 * lost 12-14% and keep the one-row kernel). A few rows more work
 * in tiles of {@link #TOKENS} x rows × 2 weight rows, so each weight vector loaded feeds four FMAs and each x
 * vector two. From one strip of tokens on ({@link VectorGemm#minRows()}: prefill, the vision tower) the
 * blocked GEMM of {@link VectorGemm} takes over.
 */
final class VectorMatmul {

    /** x rows per prefill tile. */
    static final int TOKENS = 4;
    /** Weight bytes per panel: a panel is reused by every token block, so it should sit in L2. */
    private static final long PANEL_BYTES = 256 << 10;
    /** BF16 weight rows at least this long go four at a time in decode (measured: k 896 slower, 3584 faster). */
    private static final int FOUR_ROWS_MIN_BF16_K = 2048;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final VectorKernels kernels;
    private final WorkerPool pool;
    private final VectorGemm gemm;

    VectorMatmul(VectorKernels kernels, WorkerPool pool) {
        this.kernels = kernels;
        this.pool = pool;
        this.gemm = new VectorGemm(kernels, pool);
    }

    void run(Tensor out, Tensor x, Tensor w, Tensor bias) {
        boolean bf16 = switch (w.dtype()) {
            case F32 -> false;
            case BF16 -> true;
            case F16 -> throw new IllegalArgumentException("matmul: F16 weight " + w
                    + " must be passed through Backend.upload() first (it widens F16 to F32)");
        };
        int outDim = w.rows();
        if (x.rows() >= gemm.minRows()) {
            gemm.run(out, x, w, bias, bf16);
        } else if (x.rows() < TOKENS) {
            pool.parallelFor(outDim, (worker, from, to) -> matvec(out, x, w, bias, bf16, from, to));
        } else {
            // Parallel over pairs of rows so no thread is left with half a tile.
            pool.parallelFor((outDim + 1) / 2, (worker, from, to) ->
                    tiled(out, x, w, bias, bf16, 2 * from, Math.min(2 * to, outDim)));
        }
    }

    /** Rows [from, to) of the output for every x row, four weight rows at a time where that pays. */
    private void matvec(Tensor out, Tensor x, Tensor w, Tensor bias, boolean bf16, int from, int to) {
        int n = x.rows();
        int k = x.cols();
        int outDim = w.rows();
        long wRowBytes = (long) k * w.dtype().bytes();
        int fourRowsEnd = bf16 && k < FOUR_ROWS_MIN_BF16_K ? from : to;
        int o = from;
        for (; o + 4 <= fourRowsEnd; o += 4) {
            for (int r = 0; r < n; r++) {
                long xAt = (long) r * k * Float.BYTES;
                long outAt = ((long) r * outDim + o) * Float.BYTES;
                if (bf16) {
                    kernels.fourRowsBf16(x.data(), xAt, w.data(), o * wRowBytes, wRowBytes, k, out.data(), outAt);
                } else {
                    kernels.fourRowsF32(x.data(), xAt, w.data(), o * wRowBytes, wRowBytes, k, out.data(), outAt);
                }
                if (bias != null) {
                    for (int j = 0; j < 4; j++) {
                        long at = (long) r * outDim + o + j;
                        out.data().setAtIndex(F32, at, out.data().getAtIndex(F32, at) + bias.getFloat(o + j));
                    }
                }
            }
        }
        for (; o < to; o++) {
            float b = bias == null ? 0 : bias.getFloat(o);
            for (int r = 0; r < n; r++) {
                out.data().setAtIndex(F32, (long) r * outDim + o, b + dot(x, r, w, o, wRowBytes, bf16));
            }
        }
    }

    private float dot(Tensor x, int r, Tensor w, int o, long wRowBytes, boolean bf16) {
        long xAt = (long) r * x.cols() * Float.BYTES;
        return bf16 ? kernels.dotBf16(x.data(), xAt, w.data(), o * wRowBytes, x.cols())
                : kernels.dotF32(x.data(), xAt, w.data(), o * wRowBytes, x.cols());
    }

    /** Rows [from, to) of the output (from even), in L2-sized panels of weight rows. */
    private void tiled(Tensor out, Tensor x, Tensor w, Tensor bias, boolean bf16, int from, int to) {
        int n = x.rows();
        int k = x.cols();
        int outDim = w.rows();
        long xRowBytes = (long) k * Float.BYTES;
        long wRowBytes = (long) k * w.dtype().bytes();
        long outRowBytes = (long) outDim * Float.BYTES;
        int panel = (int) Math.max(2, Math.min(to - from, PANEL_BYTES / wRowBytes) & ~1L);
        MemorySegment xs = x.data();
        MemorySegment ws = w.data();
        MemorySegment os = out.data();
        for (int p = from; p < to; p += panel) {
            int panelEnd = Math.min(p + panel, to);
            int r = 0;
            for (; r + TOKENS <= n; r += TOKENS) {
                int o = p;
                for (; o + 2 <= panelEnd; o += 2) {
                    float b0 = bias == null ? 0 : bias.getFloat(o);
                    float b1 = bias == null ? 0 : bias.getFloat(o + 1);
                    long outAt = r * outRowBytes + (long) o * Float.BYTES;
                    if (bf16) {
                        kernels.tileBf16(xs, r * xRowBytes, xRowBytes, ws, o * wRowBytes, wRowBytes, k, os, outAt, outRowBytes,
                                b0, b1);
                    } else {
                        kernels.tileF32(xs, r * xRowBytes, xRowBytes, ws, o * wRowBytes, wRowBytes, k, os, outAt, outRowBytes,
                                b0, b1);
                    }
                }
                for (; o < panelEnd; o++) {
                    singleRow(out, x, w, bias, bf16, o, r, r + TOKENS);
                }
            }
            for (int o = p; o < panelEnd; o++) {
                singleRow(out, x, w, bias, bf16, o, r, n);
            }
        }
    }

    /** Output column o for x rows [r0, r1): the odd weight row and the tokens left over from full tiles. */
    private void singleRow(Tensor out, Tensor x, Tensor w, Tensor bias, boolean bf16, int o, int r0, int r1) {
        long wRowBytes = (long) x.cols() * w.dtype().bytes();
        float b = bias == null ? 0 : bias.getFloat(o);
        for (int r = r0; r < r1; r++) {
            out.data().setAtIndex(F32, (long) r * w.rows() + o, b + dot(x, r, w, o, wRowBytes, bf16));
        }
    }
}
