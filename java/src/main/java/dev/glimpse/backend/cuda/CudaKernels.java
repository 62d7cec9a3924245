package dev.glimpse.backend.cuda;

import dev.glimpse.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * The host side of every kernel in cuda/: its launch geometry, derived from the shapes, and its
 * argument list. Pointers are MemorySegments whose address is a device pointer (host memory when
 * the runner is the CPU shim). The same code drives the GPU and the shim tests.
 */
public final class CudaKernels {

    static final int ELEMENTWISE_THREADS = 256;
    static final int ROW_THREADS = 256;
    static final int ARGMAX_THREADS = 1024;
    static final int GEMM_TILE = 64;
    static final int GEMM_THREADS = 128;
    static final int GEMV_ROWS_PER_BLOCK = 8;
    static final int ATTENTION_THREADS = 128;
    static final int ATTENTION_MAX_HEAD_DIM = 128;
    static final int PREFILL_ROWS_PER_BLOCK = 16;
    static final int PREFILL_KEYS_PER_TILE = 32;
    /** Query rows per block of attention_prefill_tc (16 per warp); its key tiles are as long. */
    static final int PREFILL_TC_ROWS = 64;
    /** Query rows up to which attention takes the split-over-keys decode kernels. */
    static final int DECODE_MAX_ROWS = 2;
    /** Keys per decode split: one tile of 32 per warp. */
    static final int DECODE_CHUNK = 128;
    /** Query heads one decode block serves (they share its KV head's rows). */
    static final int DECODE_MAX_GROUP = 8;
    static final int RESAMPLE_THREADS = 256;

    static final int GEMM_TC_THREADS = 256;
    static final int GEMM_TC_DEPTH = 64;
    static final int GEMM_TC_STAGES = 3;

    /** The pipelined tensor-core GEMM's tile shapes (gemm_tc.cu), largest first. */
    enum GemmTile {
        T128x256(128, 256), T128x128(128, 128), T64x128(64, 128);

        final int rows;
        final int cols;

        GemmTile(int rows, int cols) {
            this.rows = rows;
            this.cols = cols;
        }

        String kernel() {
            return "gemm_tc_" + rows + "x" + cols;
        }

        int sharedBytes() {
            return GEMM_TC_STAGES * (rows + cols) * GEMM_TC_DEPTH * 2;
        }

        long blocks(int n, int o) {
            return Launch.blocks(o, cols) * Launch.blocks(n, rows);
        }
    }

    /** The 8-byte-copy variant for weights whose rows are 8- but not 16-byte aligned (k % 8 == 4). */
    static final String GEMM_TC_W8 = "gemm_tc_128x128_w8";

    private final KernelRunner runner;
    private final int multiprocessors;
    private final int maxSharedBytes;

    /** For the CPU shim: tile choices as on an H100 (132 SMs, 227 KiB of shared memory per block). */
    public CudaKernels(KernelRunner runner) {
        this(runner, 132, Launch.MAX_SHARED_BYTES);
    }

    /**
     * @param multiprocessors SMs of the GPU (the GEMM picks tiles that give every SM a block)
     * @param maxSharedBytes  dynamic shared memory one block may opt into on this GPU
     */
    public CudaKernels(KernelRunner runner, int multiprocessors, int maxSharedBytes) {
        this.runner = runner;
        this.multiprocessors = multiprocessors;
        this.maxSharedBytes = Math.min(maxSharedBytes, Launch.MAX_SHARED_BYTES);
    }

    // ---- launch geometry ------------------------------------------------------------------

    public static Launch elementwise(long count) {
        return Launch.of(Launch.blocks(count, ELEMENTWISE_THREADS), 1, 1, ELEMENTWISE_THREADS, 0);
    }

    public static Launch perRow(int rows, int threads) {
        return Launch.of(rows, 1, 1, threads, 0);
    }

    public static Launch embedLaunch(int tokens, int cols) {
        return Launch.of(tokens, (int) Launch.blocks(cols, ELEMENTWISE_THREADS), 1, ELEMENTWISE_THREADS, 0);
    }

    public static Launch gemmLaunch(int n, int o) {
        return Launch.of(Launch.blocks(o, GEMM_TILE), (int) Launch.blocks(n, GEMM_TILE), 1, GEMM_THREADS, 0);
    }

    /** One block per tile, in a 1-D grid (the kernel orders the tiles itself). */
    public static Launch gemmTcLaunch(int n, int o, int rows, int cols, int sharedBytes) {
        return Launch.of(Launch.blocks(o, cols) * Launch.blocks(n, rows), 1, 1, GEMM_TC_THREADS, sharedBytes);
    }

    /** Row stride, in elements, of the bf16 copy of x the tensor-core GEMM reads (16-byte aligned rows). */
    public static int bf16Stride(int k) {
        return (k + 7) & ~7;
    }

    /** Bytes of device scratch {@link #matmul} needs for n rows of k activations (twice that when split). */
    public static long activationScratchBytes(int n, int k, boolean split) {
        return (long) n * bf16Stride(k) * 2 * (split ? 2 : 1);
    }

    public static Launch gemvLaunch(int n, int o) {
        return Launch.of(Launch.blocks(o, GEMV_ROWS_PER_BLOCK), n, 1, GEMV_ROWS_PER_BLOCK * 32, 0);
    }

    public static int decodeSplits(int keys) {
        return (int) Launch.blocks(keys, DECODE_CHUNK);
    }

    /** Floats of scratch the decode attention needs: per (row, head, split) head_dim outputs, a max and a sum. */
    public static long decodeScratchFloats(int n, int heads, int headDim, int keys) {
        return (long) n * heads * decodeSplits(keys) * (headDim + 2);
    }

    /** A block per (KV head, up to 8 of its query heads), split and query row. */
    public static Launch decodeSplitLaunch(int n, int heads, int kvHeads, int keys) {
        int headGroups = (int) Launch.blocks(heads / kvHeads, DECODE_MAX_GROUP);
        return Launch.of((long) kvHeads * headGroups, decodeSplits(keys), n, ATTENTION_THREADS, 0);
    }

    public static Launch decodeCombineLaunch(int n, int heads) {
        return Launch.of(heads, n, 1, ATTENTION_THREADS, 0);
    }

    public static Launch prefillLaunch(int n, int heads, int headDim) {
        int floats = PREFILL_ROWS_PER_BLOCK * headDim + PREFILL_KEYS_PER_TILE * (headDim + 1)
                + PREFILL_KEYS_PER_TILE * headDim;
        return Launch.of(Launch.blocks(n, PREFILL_ROWS_PER_BLOCK), heads, 1, ATTENTION_THREADS, floats * 4);
    }

    public static Launch resampleLaunch(int rowSamples, int rows) {
        return Launch.of(Launch.blocks(rowSamples, RESAMPLE_THREADS), rows, 1, RESAMPLE_THREADS, 0);
    }

    public static Launch patchifyLaunch(int patches, int columns) {
        return Launch.of(patches, (int) Launch.blocks(columns, ELEMENTWISE_THREADS), 1, ELEMENTWISE_THREADS, 0);
    }

    // ---- launches -------------------------------------------------------------------------

    /** out[i, :] = table[ids[i], :]; ids is a device int32 array of tokens entries. */
    public void embed(MemorySegment out, MemorySegment table, DType tableType, MemorySegment ids, int tokens, int cols) {
        String kernel = switch (tableType) {
            case F32 -> "embed_f32";
            case BF16 -> "embed_bf16";
            case F16 -> throw new IllegalArgumentException("embed: F16 tables are widened to F32 on upload");
        };
        runner.launch(kernel, embedLaunch(tokens, cols), out, table, ids, cols);
    }

    /**
     * out[n, o] = x[n, k] · w[o, k]ᵀ + bias (bias may be MemorySegment.NULL): GEMV for one row; for
     * more, BF16 weights take the pipelined tensor-core GEMM (x rounded to bf16 into scratch, of
     * {@link #activationScratchBytes} bytes; split: x as the sum of two bf16 terms, twice the work,
     * F32-grade results) when their rows allow its copies, else the simple one.
     */
    public void matmul(MemorySegment out, MemorySegment x, MemorySegment w, DType weightType, MemorySegment bias,
            int n, int k, int o, MemorySegment scratch, boolean split) {
        if (n == 1) {
            gemv(out, x, w, weightType, bias, n, k, o);
        } else if (weightType == DType.BF16) {
            String kernel = tensorCoreKernel(n, k, o, w);
            if (kernel != null) {
                gemmTensorCores(kernel, out, x, scratch, w, bias, n, k, o, split);
            } else {
                gemm("gemm_bf16", out, x, w, bias, n, k, o);
            }
        } else {
            gemm(gemmKernelFor(weightType), out, x, w, bias, n, k, o);
        }
    }

    /**
     * The gemm_tc kernel for this shape, or null when the weight rows do not allow 8-byte copies. The
     * largest tile that still gives every SM a block (wave quantisation costs less than idle SMs).
     */
    String tensorCoreKernel(int n, int k, int o, MemorySegment w) {
        if (k % 8 == 0 && w.address() % 16 == 0) {
            GemmTile chosen = null;
            for (GemmTile tile : GemmTile.values()) {
                if (tile.sharedBytes() <= maxSharedBytes) {
                    chosen = tile;
                    if (tile.blocks(n, o) >= multiprocessors) {
                        break;
                    }
                }
            }
            if (chosen != null) {
                return chosen.kernel();
            }
        }
        if (k % 4 == 0 && w.address() % 8 == 0 && GemmTile.T128x128.sharedBytes() <= maxSharedBytes) {
            return GEMM_TC_W8;
        }
        return null;
    }

    /**
     * The first half of {@link #gemmTensorCores}: x rounded to bf16 into scratch, rows {@link #bf16Stride}
     * apart; split: the remainders x − bf16(x), rounded again, follow as a second matrix.
     */
    void gemmTensorCoresConvertOnly(MemorySegment x, MemorySegment scratch, int n, int k, boolean split) {
        int stride = bf16Stride(k);
        long half = activationScratchBytes(n, k, false);
        if (scratch.byteSize() < activationScratchBytes(n, k, split)) {
            throw new IllegalArgumentException("matmul: activation scratch of " + scratch.byteSize() + " bytes, needs "
                    + activationScratchBytes(n, k, split));
        }
        runner.launch("convert_bf16", elementwise((long) n * stride / 4), scratch,
                split ? scratch.asSlice(half) : MemorySegment.NULL, x, n, k, stride);
    }

    /** x to bf16 in scratch, then the named gemm_tc kernel (split: once per bf16 term, the second accumulating). */
    public void gemmTensorCores(String kernel, MemorySegment out, MemorySegment x, MemorySegment scratch,
            MemorySegment w, MemorySegment bias, int n, int k, int o, boolean split) {
        gemmTensorCoresConvertOnly(x, scratch, n, k, split);
        int stride = bf16Stride(k);
        GemmTile tile = kernel.equals(GEMM_TC_W8) ? GemmTile.T128x128 : GemmTile.valueOf("T" + kernel.substring(8));
        Launch launch = gemmTcLaunch(n, o, tile.rows, tile.cols, tile.sharedBytes());
        runner.launch(kernel, launch, out, scratch, stride, w, bias, n, k, o, 0);
        if (split) {
            runner.launch(kernel, launch, out, scratch.asSlice(activationScratchBytes(n, k, false)), stride, w,
                    MemorySegment.NULL, n, k, o, 1);
        }
    }

    private static String gemmKernelFor(DType weightType) {
        if (weightType != DType.F32) {
            throw new IllegalArgumentException("matmul: " + weightType + " weights are widened to F32 on upload");
        }
        return "gemm_f32";
    }

    /** kernel: gemm_bf16 (v1: 64x64 tiles on tensor cores, no pipeline), gemm_bf16_simt, or gemm_f32. */
    public void gemm(String kernel, MemorySegment out, MemorySegment x, MemorySegment w, MemorySegment bias, int n,
            int k, int o) {
        runner.launch(kernel, gemmLaunch(n, o), out, x, w, bias, n, k, o);
    }

    public void gemv(MemorySegment out, MemorySegment x, MemorySegment w, DType weightType, MemorySegment bias, int n,
            int k, int o) {
        if (weightType == DType.BF16) {
            gemvBf16(gemvRowsPerBlock(o), out, x, w, bias, n, k, o);
        } else {
            runner.launch(gemmKernelFor(weightType).replace("gemm", "gemv"), gemvLaunch(n, o), out, x, w, bias, k, o);
        }
    }

    /**
     * Outputs per block of the BF16 GEMV: 8 (a warp per row) when there are rows enough for many
     * blocks per SM (the LM head), else 2 (four warps per row: short, evenly spread blocks).
     */
    static int gemvRowsPerBlock(int o) {
        return o >= 65_536 ? 8 : 2;
    }

    /** The BF16 GEMV variant with rowsPerBlock outputs per block (8, 4, 2 or 1; gemv.cu). */
    public void gemvBf16(int rowsPerBlock, MemorySegment out, MemorySegment x, MemorySegment w, MemorySegment bias,
            int n, int k, int o) {
        String kernel = switch (rowsPerBlock) {
            case 8 -> "gemv_bf16";
            case 4, 2, 1 -> "gemv_bf16_r" + rowsPerBlock;
            default -> throw new IllegalArgumentException("gemv: " + rowsPerBlock + " rows per block (8, 4, 2 or 1)");
        };
        runner.launch(kernel, Launch.of(Launch.blocks(o, rowsPerBlock), n, 1, GEMV_ROWS_PER_BLOCK * 32, 0), out, x, w,
                bias, k, o);
    }

    public void rmsNorm(MemorySegment out, MemorySegment x, MemorySegment weight, int rows, int cols, float eps) {
        runner.launch("rms_norm", perRow(rows, ROW_THREADS), out, x, weight, cols, eps);
    }

    public void rope(MemorySegment x, MemorySegment cos, MemorySegment sin, int rows, int heads, int headDim) {
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("rope: head_dim " + headDim + " must be even");
        }
        runner.launch("rope", elementwise((long) rows * heads * (headDim / 2)), x, cos, sin, rows, heads, headDim);
    }

    public void swiglu(MemorySegment out, MemorySegment gate, MemorySegment up, long count) {
        runner.launch("swiglu", elementwise(count), out, gate, up, count);
    }

    public void gelu(MemorySegment x, long count) {
        runner.launch("gelu", elementwise(count), x, count);
    }

    public void add(MemorySegment x, MemorySegment y, long count) {
        runner.launch("add", elementwise(count), x, y, count);
    }

    public void softmax(MemorySegment x, int rows, int cols) {
        runner.launch("softmax", perRow(rows, ROW_THREADS), x, cols);
    }

    /** out[r] = index of the largest value of row r (lowest index on ties); out is device int32. */
    public void argmax(MemorySegment out, MemorySegment x, int rows, int cols) {
        runner.launch("argmax", perRow(rows, ARGMAX_THREADS), out, x, cols);
    }

    /**
     * out[r] = the token {@code NucleusDraw} picks from row r with uniform number u in [0, 1): sampling
     * without bringing the logits back. out is device int32.
     */
    public void sampleNucleus(MemorySegment out, MemorySegment logits, int rows, int cols, float temperature, int topK,
            float topP, float u) {
        runner.launch("sample_nucleus", perRow(rows, ARGMAX_THREADS), out, logits, cols, temperature, topK, topP, u);
    }

    /**
     * Attention as {@code Backend.attention} defines it. Up to {@link #DECODE_MAX_ROWS} query rows use
     * the decode kernels (split over keys, then combine) with scratch of
     * {@link #decodeScratchFloats} floats; more rows use the tiled prefill kernel.
     */
    public void attention(MemorySegment out, MemorySegment q, MemorySegment k, MemorySegment v, int n, int m,
            int heads, int kvHeads, int headDim, float scale, int causalOffset, MemorySegment scratch,
            boolean tensorCores) {
        checkAttention(heads, kvHeads, headDim);
        if (n <= DECODE_MAX_ROWS) {
            attentionDecode(out, q, k, v, n, m, heads, kvHeads, headDim, scale, causalOffset, scratch);
        } else if (tensorCores && tensorCoreAttention(headDim, out, q, k, v)) {
            attentionPrefillTensorCores(out, q, k, v, n, m, heads, kvHeads, headDim, scale, causalOffset);
        } else {
            attentionPrefill(out, q, k, v, n, m, heads, kvHeads, headDim, scale, causalOffset);
        }
    }

    /** Whether attention_prefill_tc has this head_dim and the rows are 16-byte aligned. */
    static boolean tensorCoreAttention(int headDim, MemorySegment... tensors) {
        if (headDim != 64 && headDim != 80 && headDim != 128) {
            return false;
        }
        for (MemorySegment t : tensors) {
            if (t.address() % 16 != 0) {
                return false;
            }
        }
        return true;
    }

    public static Launch prefillTensorCoreLaunch(int n, int heads, int headDim) {
        return Launch.of(Launch.blocks(n, PREFILL_TC_ROWS), heads, 1, ATTENTION_THREADS,
                3 * PREFILL_TC_ROWS * (headDim + 8) * 2);
    }

    /** Flash attention on tensor cores (bf16 operands, ~1e-3 relative); head_dim 64, 80 or 128. */
    public void attentionPrefillTensorCores(MemorySegment out, MemorySegment q, MemorySegment k, MemorySegment v,
            int n, int m, int heads, int kvHeads, int headDim, float scale, int causalOffset) {
        checkAttention(heads, kvHeads, headDim);
        if (!tensorCoreAttention(headDim, out, q, k, v)) {
            throw new IllegalArgumentException("attention: tensor-core kernel needs head_dim 64, 80 or 128 and "
                    + "16-byte aligned rows (head_dim " + headDim + ")");
        }
        runner.launch("attention_prefill_tc_" + headDim, prefillTensorCoreLaunch(n, heads, headDim), out, q, k, v, n,
                m, heads, kvHeads, scale, causalOffset);
    }

    static void checkAttention(int heads, int kvHeads, int headDim) {
        if (headDim > ATTENTION_MAX_HEAD_DIM || headDim < 1) {
            throw new IllegalArgumentException("attention: head_dim " + headDim + " is outside 1.."
                    + ATTENTION_MAX_HEAD_DIM + " that the CUDA kernels support");
        }
        if (kvHeads < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention: " + heads + " heads are not a multiple of " + kvHeads
                    + " KV heads");
        }
    }

    public void attentionDecode(MemorySegment out, MemorySegment q, MemorySegment k, MemorySegment v, int n, int m,
            int heads, int kvHeads, int headDim, float scale, int causalOffset, MemorySegment scratch) {
        checkAttention(heads, kvHeads, headDim);
        int splits = decodeSplits(m);
        long slots = (long) n * heads * splits;
        if (scratch.byteSize() < decodeScratchFloats(n, heads, headDim, m) * 4) {
            throw new IllegalArgumentException("attention: decode scratch of " + scratch.byteSize()
                    + " bytes, needs " + decodeScratchFloats(n, heads, headDim, m) * 4);
        }
        MemorySegment partialOut = scratch.asSlice(0, slots * headDim * 4);
        MemorySegment partialMax = scratch.asSlice(slots * headDim * 4, slots * 4);
        MemorySegment partialSum = scratch.asSlice(slots * (headDim + 1) * 4, slots * 4);
        runner.launch("attention_decode_split", decodeSplitLaunch(n, heads, kvHeads, m), partialOut, partialMax,
                partialSum, q, k, v, m, heads, kvHeads, headDim, scale, causalOffset, DECODE_CHUNK);
        runner.launch("attention_decode_combine", decodeCombineLaunch(n, heads), out, partialOut, partialMax,
                partialSum, heads, headDim, splits);
    }

    public void attentionPrefill(MemorySegment out, MemorySegment q, MemorySegment k, MemorySegment v, int n, int m,
            int heads, int kvHeads, int headDim, float scale, int causalOffset) {
        checkAttention(heads, kvHeads, headDim);
        runner.launch("attention_prefill", prefillLaunch(n, heads, headDim), out, q, k, v, n, m, heads, kvHeads,
                headDim, scale, causalOffset);
    }

    /** One resize pass of an interleaved u8 image; bounds and coeffs hold pass.tables() on the device. */
    public void resample(MemorySegment out, MemorySegment in, ResizePass pass, MemorySegment bounds,
            MemorySegment coeffs, int channels) {
        ResampleTables t = pass.tables();
        if (pass.vertical()) {
            runner.launch("resample_vertical_u8", resampleLaunch(pass.inWidth() * channels, pass.outHeight()), out,
                    in, bounds, coeffs, t.ksize(), pass.inWidth(), channels);
        } else {
            runner.launch("resample_horizontal_u8", resampleLaunch(pass.outWidth() * channels, pass.inHeight()), out,
                    in, bounds, coeffs, t.ksize(), pass.inWidth(), pass.outWidth(), channels);
        }
    }

    /** pixel_values rows (SPEC §2.4-2.5) of an interleaved u8 image whose sides are multiples of patch·merge. */
    public void normalizePatchify(MemorySegment out, MemorySegment image, MemorySegment lut, int width, int height,
            int channels, int patch, int merge, int temporal) {
        if (width % (patch * merge) != 0 || height % (patch * merge) != 0) {
            throw new IllegalArgumentException("patchify: image " + width + "x" + height
                    + " is not a multiple of " + patch * merge + " on each side (smart_resize first)");
        }
        int patches = (width / patch) * (height / patch);
        int columns = channels * temporal * patch * patch;
        runner.launch("normalize_patchify", patchifyLaunch(patches, columns), out, image, lut, width, channels, patch,
                merge, temporal);
    }
}
