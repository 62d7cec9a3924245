package dev.glimpse.backend.cpu;

import dev.glimpse.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * out[n, o] = x[n, k] · w[o, k]ᵀ + bias[o] with the Vector API, weights F32 or BF16, parallel over output rows.
 *
 * <p>Decode (fewer than {@link #TOKENS} rows of x) is memory-bound: each weight row is streamed once and
 * dotted with every x row, with four independent accumulators to keep loads in flight. Prefill works in
 * tiles of {@link #TOKENS} x rows × 2 weight rows, so each weight vector loaded feeds four FMAs and each x
 * vector two; weight rows are taken in panels that stay in L2 while every token block passes over them.
 * The F32 and BF16 kernels differ only in how weights are loaded; they are written out twice so the
 * weight type is never tested inside a loop.
 */
final class VectorMatmul {

    /** x rows per prefill tile. */
    static final int TOKENS = 4;
    /** Weight bytes per panel: a panel is reused by every token block, so it should sit in L2. */
    private static final long PANEL_BYTES = 256 << 10;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final VectorLoads loads;
    private final WorkerPool pool;

    VectorMatmul(VectorLoads loads, WorkerPool pool) {
        this.loads = loads;
        this.pool = pool;
    }

    void run(Tensor out, Tensor x, Tensor w, Tensor bias) {
        boolean bf16 = switch (w.dtype()) {
            case F32 -> false;
            case BF16 -> true;
            case F16 -> throw new IllegalArgumentException("matmul: F16 weight " + w
                    + " must be passed through Backend.upload() first (it widens F16 to F32)");
        };
        int outDim = w.rows();
        if (x.rows() < TOKENS) {
            pool.parallelFor(outDim, (worker, from, to) -> matvec(out, x, w, bias, bf16, from, to));
        } else {
            // Parallel over pairs of rows so no thread is left with half a tile.
            pool.parallelFor((outDim + 1) / 2, (worker, from, to) ->
                    tiled(out, x, w, bias, bf16, 2 * from, Math.min(2 * to, outDim)));
        }
    }

    /** Rows [from, to) of the output for every x row, one weight row at a time. */
    private void matvec(Tensor out, Tensor x, Tensor w, Tensor bias, boolean bf16, int from, int to) {
        int n = x.rows();
        int k = x.cols();
        int outDim = w.rows();
        long wRowBytes = (long) k * w.dtype().bytes();
        for (int o = from; o < to; o++) {
            float b = bias == null ? 0 : bias.getFloat(o);
            for (int r = 0; r < n; r++) {
                out.data().setAtIndex(F32, (long) r * outDim + o, b + dot(x, r, w, o, wRowBytes, bf16));
            }
        }
    }

    private float dot(Tensor x, int r, Tensor w, int o, long wRowBytes, boolean bf16) {
        long xAt = (long) r * x.cols() * Float.BYTES;
        return bf16 ? dotBf16(x.data(), xAt, w.data(), o * wRowBytes, x.cols())
                : dotF32(x.data(), xAt, w.data(), o * wRowBytes, x.cols());
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
                        tileBf16(xs, r * xRowBytes, xRowBytes, ws, o * wRowBytes, wRowBytes, k, os, outAt, outRowBytes,
                                b0, b1);
                    } else {
                        tileF32(xs, r * xRowBytes, xRowBytes, ws, o * wRowBytes, wRowBytes, k, os, outAt, outRowBytes,
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

    private float dotF32(MemorySegment xs, long xAt, MemorySegment ws, long wAt, int k) {
        int lanes = loads.lanes();
        FloatVector a0 = FloatVector.zero(loads.floats());
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (int bound = k - k % (4 * lanes); i < bound; i += 4 * lanes) {
            long xo = xAt + (long) i * Float.BYTES;
            long wo = wAt + (long) i * Float.BYTES;
            long step = (long) lanes * Float.BYTES;
            a0 = loads.f32(ws, wo).fma(loads.f32(xs, xo), a0);
            a1 = loads.f32(ws, wo + step).fma(loads.f32(xs, xo + step), a1);
            a2 = loads.f32(ws, wo + 2 * step).fma(loads.f32(xs, xo + 2 * step), a2);
            a3 = loads.f32(ws, wo + 3 * step).fma(loads.f32(xs, xo + 3 * step), a3);
        }
        for (int bound = k - k % lanes; i < bound; i += lanes) {
            a0 = loads.f32(ws, wAt + (long) i * Float.BYTES).fma(loads.f32(xs, xAt + (long) i * Float.BYTES), a0);
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            sum += xs.getAtIndex(F32, xAt / Float.BYTES + i) * ws.getAtIndex(F32, wAt / Float.BYTES + i);
        }
        return sum;
    }

    private float dotBf16(MemorySegment xs, long xAt, MemorySegment ws, long wAt, int k) {
        int lanes = loads.lanes();
        FloatVector a0 = FloatVector.zero(loads.floats());
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (int bound = k - k % (4 * lanes); i < bound; i += 4 * lanes) {
            long xo = xAt + (long) i * Float.BYTES;
            long wo = wAt + (long) i * 2;
            long xStep = (long) lanes * Float.BYTES;
            long wStep = (long) lanes * 2;
            a0 = loads.bf16(ws, wo).fma(loads.f32(xs, xo), a0);
            a1 = loads.bf16(ws, wo + wStep).fma(loads.f32(xs, xo + xStep), a1);
            a2 = loads.bf16(ws, wo + 2 * wStep).fma(loads.f32(xs, xo + 2 * xStep), a2);
            a3 = loads.bf16(ws, wo + 3 * wStep).fma(loads.f32(xs, xo + 3 * xStep), a3);
        }
        for (int bound = k - k % lanes; i < bound; i += lanes) {
            a0 = loads.bf16(ws, wAt + (long) i * 2).fma(loads.f32(xs, xAt + (long) i * Float.BYTES), a0);
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            sum += xs.getAtIndex(F32, xAt / Float.BYTES + i) * VectorLoads.bf16At(ws, wAt / 2 + i);
        }
        return sum;
    }

    /**
     * The 4 × 2 block out[r..r+3, o..o+1]: x rows at xAt + t·xStride, weight rows at wAt and wAt + wStride
     * (byte offsets), results (plus b0, b1) at outAt + t·outStride.
     */
    private void tileF32(MemorySegment xs, long xAt, long xStride, MemorySegment ws, long wAt, long wStride, int k,
            MemorySegment os, long outAt, long outStride, float b0, float b1) {
        FloatVector c00 = FloatVector.zero(loads.floats());
        FloatVector c10 = c00, c20 = c00, c30 = c00, c01 = c00, c11 = c00, c21 = c00, c31 = c00;
        int lanes = loads.lanes();
        int i = 0;
        for (int bound = k - k % lanes; i < bound; i += lanes) {
            long xo = xAt + (long) i * Float.BYTES;
            FloatVector x0 = loads.f32(xs, xo);
            FloatVector x1 = loads.f32(xs, xo + xStride);
            FloatVector x2 = loads.f32(xs, xo + 2 * xStride);
            FloatVector x3 = loads.f32(xs, xo + 3 * xStride);
            long wo = wAt + (long) i * Float.BYTES;
            FloatVector w0 = loads.f32(ws, wo);
            c00 = w0.fma(x0, c00);
            c10 = w0.fma(x1, c10);
            c20 = w0.fma(x2, c20);
            c30 = w0.fma(x3, c30);
            FloatVector w1 = loads.f32(ws, wo + wStride);
            c01 = w1.fma(x0, c01);
            c11 = w1.fma(x1, c11);
            c21 = w1.fma(x2, c21);
            c31 = w1.fma(x3, c31);
        }
        storeTile(os, outAt, outStride, b0, b1, c00, c10, c20, c30, c01, c11, c21, c31);
        if (i < k) {
            addTail(xs, xAt, xStride, ws, wAt, wStride, false, i, k, os, outAt, outStride);
        }
    }

    /** {@link #tileF32} with BF16 weights. */
    private void tileBf16(MemorySegment xs, long xAt, long xStride, MemorySegment ws, long wAt, long wStride, int k,
            MemorySegment os, long outAt, long outStride, float b0, float b1) {
        FloatVector c00 = FloatVector.zero(loads.floats());
        FloatVector c10 = c00, c20 = c00, c30 = c00, c01 = c00, c11 = c00, c21 = c00, c31 = c00;
        int lanes = loads.lanes();
        int i = 0;
        for (int bound = k - k % lanes; i < bound; i += lanes) {
            long xo = xAt + (long) i * Float.BYTES;
            FloatVector x0 = loads.f32(xs, xo);
            FloatVector x1 = loads.f32(xs, xo + xStride);
            FloatVector x2 = loads.f32(xs, xo + 2 * xStride);
            FloatVector x3 = loads.f32(xs, xo + 3 * xStride);
            long wo = wAt + (long) i * 2;
            FloatVector w0 = loads.bf16(ws, wo);
            c00 = w0.fma(x0, c00);
            c10 = w0.fma(x1, c10);
            c20 = w0.fma(x2, c20);
            c30 = w0.fma(x3, c30);
            FloatVector w1 = loads.bf16(ws, wo + wStride);
            c01 = w1.fma(x0, c01);
            c11 = w1.fma(x1, c11);
            c21 = w1.fma(x2, c21);
            c31 = w1.fma(x3, c31);
        }
        storeTile(os, outAt, outStride, b0, b1, c00, c10, c20, c30, c01, c11, c21, c31);
        if (i < k) {
            addTail(xs, xAt, xStride, ws, wAt, wStride, true, i, k, os, outAt, outStride);
        }
    }

    private static void storeTile(MemorySegment os, long outAt, long outStride, float b0, float b1,
            FloatVector c00, FloatVector c10, FloatVector c20, FloatVector c30,
            FloatVector c01, FloatVector c11, FloatVector c21, FloatVector c31) {
        os.set(F32, outAt, b0 + c00.reduceLanes(VectorOperators.ADD));
        os.set(F32, outAt + outStride, b0 + c10.reduceLanes(VectorOperators.ADD));
        os.set(F32, outAt + 2 * outStride, b0 + c20.reduceLanes(VectorOperators.ADD));
        os.set(F32, outAt + 3 * outStride, b0 + c30.reduceLanes(VectorOperators.ADD));
        os.set(F32, outAt + Float.BYTES, b1 + c01.reduceLanes(VectorOperators.ADD));
        os.set(F32, outAt + outStride + Float.BYTES, b1 + c11.reduceLanes(VectorOperators.ADD));
        os.set(F32, outAt + 2 * outStride + Float.BYTES, b1 + c21.reduceLanes(VectorOperators.ADD));
        os.set(F32, outAt + 3 * outStride + Float.BYTES, b1 + c31.reduceLanes(VectorOperators.ADD));
    }

    /** Adds the scalar products of columns [from, k) to a stored 4 × 2 tile (k not a multiple of the lanes). */
    private static void addTail(MemorySegment xs, long xAt, long xStride, MemorySegment ws, long wAt, long wStride,
            boolean bf16, int from, int k, MemorySegment os, long outAt, long outStride) {
        for (int t = 0; t < TOKENS; t++) {
            for (int j = 0; j < 2; j++) {
                long xRow = (xAt + t * xStride) / Float.BYTES;
                long wRow = (wAt + j * wStride) / (bf16 ? 2 : Float.BYTES);
                float sum = 0;
                for (int i = from; i < k; i++) {
                    float wi = bf16 ? VectorLoads.bf16At(ws, wRow + i) : ws.getAtIndex(F32, wRow + i);
                    sum += xs.getAtIndex(F32, xRow + i) * wi;
                }
                long at = outAt + t * outStride + (long) j * Float.BYTES;
                os.set(F32, at, os.get(F32, at) + sum);
            }
        }
    }
}
