package dev.glimpse.backend.cuda;

import static dev.glimpse.backend.cuda.ScalarOracles.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glimpse.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every kernel of cuda/ run on the CPU through the shim, launched by {@link CudaKernels} with the
 * geometry it computes for the GPU, against {@link ScalarOracles}. Outputs start as NaN so an
 * unwritten element fails. Tolerance: ‖got − want‖ / ‖want‖ ≤ 1e-5 for float32 arithmetic (the
 * oracles accumulate in double); gathers, argmax and patchify must match exactly.
 */
class CudaKernelsShimTest {

    private static final double F32_TOLERANCE = 1e-5;
    private final Random random = new Random(42);
    private CudaKernels kernels;
    private ShimMemory memory;

    @BeforeEach
    void setUp() {
        kernels = new CudaKernels(ShimRunner.load());
        memory = new ShimMemory();
    }

    @AfterEach
    void tearDown() {
        if (memory != null) {
            memory.close();
        }
    }

    private static void assertClose(String what, float[] got, float[] want, double tolerance) {
        double error = relativeError(got, want);
        assertTrue(error <= tolerance, what + ": relative error " + error + " > " + tolerance);
    }

    @Test
    void embedGathersF32AndBf16Rows() {
        int rows = 50;
        int cols = 300;  // two column blocks, the second partial
        float[] table = ShimMemory.bf16Exact(random, rows * cols);
        int[] ids = {3, 0, 49, 3, 17};
        float[] want = ScalarOracles.embed(table, cols, ids);
        MemorySegment out = memory.poisoned(ids.length * cols);
        kernels.embed(out, memory.floats(table), DType.F32, memory.ints(ids), ids.length, cols);
        assertArrayEquals(want, ShimMemory.read(out));
        MemorySegment outBf16 = memory.poisoned(ids.length * cols);
        kernels.embed(outBf16, memory.bf16(table), DType.BF16, memory.ints(ids), ids.length, cols);
        assertArrayEquals(want, ShimMemory.read(outBf16));
    }

    private void checkGemm(String kernel, int n, int k, int o, boolean withBias) {
        boolean bf16 = kernel.startsWith("gemm_bf16");
        float[] x = ShimMemory.random(random, n * k);
        float[] w = ShimMemory.bf16Exact(random, o * k);
        float[] bias = withBias ? ShimMemory.random(random, o) : null;
        // The BF16 kernels stage x in bf16: the oracle sees the same rounded x, so only summation order differs.
        float[] want = ScalarOracles.matmul(bf16 ? ScalarOracles.roundToBf16(x) : x, w, bias, n, k, o);
        MemorySegment out = memory.poisoned(n * o);
        kernels.gemm(kernel, out, memory.floats(x), bf16 ? memory.bf16(w) : memory.floats(w),
                withBias ? memory.floats(bias) : MemorySegment.NULL, n, k, o);
        assertClose(kernel + " " + n + "x" + k + "x" + o, ShimMemory.read(out), want, F32_TOLERANCE);
    }

    @Test
    void gemmBf16MatchesOracleOnVectorAndScalarLoadPaths() {
        checkGemm("gemm_bf16", 70, 72, 130, true);   // k % 8 == 0: 16-byte loads; tails in n and o
        checkGemm("gemm_bf16", 5, 37, 9, false);     // k % 8 != 0: element loads, one partial tile
    }

    /**
     * The pipelined tensor-core GEMM (mma, ldmatrix, cp.async emulated by the shim): on bf16-rounded x,
     * or with split activations on x itself (hi + lo carry x to ~2^-16; tolerance 1e-5 holds).
     */
    private void checkTensorCoreGemm(String kernel, int n, int k, int o, boolean withBias, boolean split) {
        float[] x = ShimMemory.random(random, n * k);
        float[] w = ShimMemory.bf16Exact(random, o * k);
        float[] bias = withBias ? ShimMemory.random(random, o) : null;
        float[] want = ScalarOracles.matmul(split ? x : ScalarOracles.roundToBf16(x), w, bias, n, k, o);
        MemorySegment out = memory.poisoned(n * o);
        kernels.gemmTensorCores(kernel, out, memory.floats(x),
                memory.garbage(CudaKernels.activationScratchBytes(n, k, split)), memory.bf16(w),
                withBias ? memory.floats(bias) : MemorySegment.NULL, n, k, o, split);
        assertClose(kernel + " " + n + "x" + k + "x" + o + (split ? " split" : ""), ShimMemory.read(out), want,
                F32_TOLERANCE);
    }

    @Test
    void tensorCoreGemmTilesMatchOracle() {
        checkTensorCoreGemm("gemm_tc_64x128", 70, 200, 130, true, false);      // tails in n, o, k (200 = 3 x 64 + 8)
        checkTensorCoreGemm("gemm_tc_128x128", 130, 136, 260, false, false);   // three stages of the copy ring in use
        checkTensorCoreGemm("gemm_tc_128x256", 129, 72, 257, true, false);     // o odd: element stores, no pairs
        checkTensorCoreGemm("gemm_tc_128x128_w8", 60, 132, 150, true, false);  // k % 8 == 4: 8-byte weight copies
        checkTensorCoreGemm("gemm_tc_64x128", 40, 72, 130, true, true);        // second pass accumulates, pairs
        checkTensorCoreGemm("gemm_tc_64x128", 40, 72, 129, false, true);       // and element by element
    }

    @Test
    void matmulTakesTheTensorCoreGemmForBf16Batches() {
        int n = 33;
        int k = 96;
        int o = 40;
        float[] x = ShimMemory.random(random, n * k);
        float[] w = ShimMemory.bf16Exact(random, o * k);
        MemorySegment out = memory.poisoned(n * o);
        kernels.matmul(out, memory.floats(x), memory.bf16(w), DType.BF16, MemorySegment.NULL, n, k, o,
                memory.garbage(CudaKernels.activationScratchBytes(n, k, false)), false);
        assertClose("matmul BF16 n=33", ShimMemory.read(out),
                ScalarOracles.matmul(ScalarOracles.roundToBf16(x), w, null, n, k, o), F32_TOLERANCE);
    }

    @Test
    void tensorCoreTilesFillTheMultiprocessors() {
        CudaKernels h100 = new CudaKernels(ShimRunner.load(), 132, 227 * 1024);
        MemorySegment aligned = MemorySegment.ofAddress(1L << 20);
        assertEquals("gemm_tc_128x256", h100.tensorCoreKernel(2048, 3584, 18944, aligned));
        assertEquals("gemm_tc_128x256", h100.tensorCoreKernel(2048, 18944, 3584, aligned));  // 224 blocks
        assertEquals("gemm_tc_128x128", h100.tensorCoreKernel(1024, 1280, 3420, aligned));   // 216 blocks
        assertEquals("gemm_tc_64x128", h100.tensorCoreKernel(300, 18944, 3584, aligned));    // 140 blocks
        assertEquals("gemm_tc_64x128", h100.tensorCoreKernel(2048, 3584, 512, aligned));     // the smallest
        assertEquals("gemm_tc_128x128_w8", h100.tensorCoreKernel(1024, 3420, 1280, aligned));
        assertEquals("gemm_tc_128x128_w8", h100.tensorCoreKernel(64, 64, 64, MemorySegment.ofAddress(8)));
        assertNull(h100.tensorCoreKernel(64, 37, 64, aligned));
        // sm_86 and sm_89 give a block at most 99 KiB: the 144 KiB tile is never chosen there.
        CudaKernels ada = new CudaKernels(ShimRunner.load(), 128, 99 * 1024);
        assertEquals("gemm_tc_128x128", ada.tensorCoreKernel(2048, 3584, 18944, aligned));
    }

    @Test
    void gemmBf16SimtMatchesOracle() {
        checkGemm("gemm_bf16_simt", 66, 48, 65, true);
    }

    @Test
    void gemmF32MatchesOracle() {
        checkGemm("gemm_f32", 65, 36, 66, true);
        checkGemm("gemm_f32", 3, 33, 7, false);
    }

    private void checkGemv(DType type, int n, int k, int o, boolean withBias, int xOffsetFloats) {
        float[] xPadded = ShimMemory.random(random, n * k + xOffsetFloats);
        float[] x = java.util.Arrays.copyOfRange(xPadded, xOffsetFloats, xPadded.length);
        float[] w = ShimMemory.bf16Exact(random, o * k);
        float[] bias = withBias ? ShimMemory.random(random, o) : null;
        float[] want = ScalarOracles.matmul(x, w, bias, n, k, o);
        MemorySegment out = memory.poisoned(n * o);
        MemorySegment xSegment = memory.floats(xPadded).asSlice(4L * xOffsetFloats);
        kernels.gemv(out, xSegment, type == DType.BF16 ? memory.bf16(w) : memory.floats(w), type,
                withBias ? memory.floats(bias) : MemorySegment.NULL, n, k, o);
        assertClose("gemv " + type + " " + n + "x" + k + "x" + o, ShimMemory.read(out), want, F32_TOLERANCE);
    }

    @Test
    void gemvBf16MatchesOracleOnAllLoadPaths() {
        checkGemv(DType.BF16, 1, 520, 19, true, 0);   // 16-byte loads, two in flight and a tail chunk
        checkGemv(DType.BF16, 1, 37, 9, false, 0);    // k % 8 != 0: element loads
        checkGemv(DType.BF16, 2, 64, 11, true, 1);    // x not 16-byte aligned: element loads; two rows
    }

    @Test
    void gemvBf16VariantsSplitRowsAcrossWarps() {
        for (int rows : new int[] {8, 4, 2, 1}) {
            // 65 chunks of 8: the unrolled loads run past the row's end on some lanes; o = 7 leaves a partial block
            int k = 520;
            int o = 7;
            float[] x = ShimMemory.random(random, 2 * k);
            float[] w = ShimMemory.bf16Exact(random, o * k);
            float[] bias = ShimMemory.random(random, o);
            MemorySegment out = memory.poisoned(2 * o);
            kernels.gemvBf16(rows, out, memory.floats(x), memory.bf16(w), memory.floats(bias), 2, k, o);
            assertClose("gemv_bf16 " + rows + " rows per block", ShimMemory.read(out),
                    ScalarOracles.matmul(x, w, bias, 2, k, o), F32_TOLERANCE);
            float[] odd = ShimMemory.random(random, 37);
            float[] wOdd = ShimMemory.bf16Exact(random, 3 * 37);
            MemorySegment outOdd = memory.poisoned(3);
            kernels.gemvBf16(rows, outOdd, memory.floats(odd), memory.bf16(wOdd), MemorySegment.NULL, 1, 37, 3);
            assertClose("gemv_bf16 " + rows + " rows per block, element loads", ShimMemory.read(outOdd),
                    ScalarOracles.matmul(odd, wOdd, null, 1, 37, 3), F32_TOLERANCE);
        }
    }

    @Test
    void gemvF32MatchesOracleOnAllLoadPaths() {
        checkGemv(DType.F32, 1, 300, 17, true, 0);
        checkGemv(DType.F32, 1, 30, 5, false, 0);
        checkGemv(DType.F32, 2, 64, 9, false, 2);
    }

    @Test
    void matmulPicksGemvForOneRowAndGemmOtherwise() {
        for (int n : new int[] {1, 4}) {
            int k = 40;
            int o = 24;
            float[] x = ShimMemory.random(random, n * k);
            float[] w = ShimMemory.random(random, o * k);
            MemorySegment out = memory.poisoned(n * o);
            kernels.matmul(out, memory.floats(x), memory.floats(w), DType.F32, MemorySegment.NULL, n, k, o,
                    MemorySegment.NULL, false);
            assertClose("matmul n=" + n, ShimMemory.read(out), ScalarOracles.matmul(x, w, null, n, k, o),
                    F32_TOLERANCE);
        }
    }

    @Test
    void rmsNormMatchesOracle() {
        for (int[] shape : new int[][] {{3, 300}, {1, 7}}) {
            int rows = shape[0];
            int cols = shape[1];
            float[] x = ShimMemory.random(random, rows * cols);
            float[] w = ShimMemory.random(random, cols);
            MemorySegment out = memory.poisoned(rows * cols);
            kernels.rmsNorm(out, memory.floats(x), memory.floats(w), rows, cols, 1e-6f);
            assertClose("rms_norm " + rows + "x" + cols, ShimMemory.read(out),
                    ScalarOracles.rmsNorm(x, w, rows, cols, 1e-6f), F32_TOLERANCE);
        }
    }

    @Test
    void ropeRotatesEveryHeadInPlace() {
        int rows = 5;
        int heads = 3;
        int headDim = 80;
        float[] x = ShimMemory.random(random, rows * heads * headDim);
        float[] cos = ShimMemory.random(random, rows * headDim);
        float[] sin = ShimMemory.random(random, rows * headDim);
        MemorySegment xs = memory.floats(x);
        kernels.rope(xs, memory.floats(cos), memory.floats(sin), rows, heads, headDim);
        assertClose("rope", ShimMemory.read(xs), ScalarOracles.rope(x, cos, sin, rows, heads, headDim), 1e-6);
    }

    @Test
    void elementwiseKernelsMatchOracles() {
        int count = 1000;  // not a multiple of the block size
        float[] a = ShimMemory.random(random, count);
        float[] b = ShimMemory.random(random, count);
        MemorySegment out = memory.poisoned(count);
        kernels.swiglu(out, memory.floats(a), memory.floats(b), count);
        assertClose("swiglu", ShimMemory.read(out), ScalarOracles.swiglu(a, b), 1e-6);

        float[] wide = new float[count];
        for (int i = 0; i < count; i++) {
            wide[i] = a[i] * 3;  // reach the erf tails
        }
        MemorySegment g = memory.floats(wide);
        kernels.gelu(g, count);
        assertClose("gelu", ShimMemory.read(g), ScalarOracles.gelu(wide), 1e-6);

        MemorySegment x = memory.floats(a);
        kernels.add(x, memory.floats(b), count);
        assertArrayEquals(ScalarOracles.add(a, b), ShimMemory.read(x));
    }

    @Test
    void softmaxNormalisesEachRow() {
        for (int[] shape : new int[][] {{3, 1000}, {2, 5}}) {
            float[] x = ShimMemory.random(random, shape[0] * shape[1]);
            for (int i = 0; i < x.length; i++) {
                x[i] *= 4;
            }
            MemorySegment xs = memory.floats(x);
            kernels.softmax(xs, shape[0], shape[1]);
            assertClose("softmax", ShimMemory.read(xs), ScalarOracles.softmax(x, shape[0], shape[1]), 1e-6);
        }
    }

    @Test
    void argmaxFindsLowestIndexOfMaximum() {
        int rows = 3;
        int cols = 3001;
        float[] x = ShimMemory.random(random, rows * cols);
        x[1234] = 9f;
        x[2000] = 9f;           // tie in row 0: 1234 wins
        x[cols + 3000] = 9f;    // last column
        x[2 * cols] = 9f;       // first column
        MemorySegment out = memory.ints(new int[] {-1, -1, -1});
        kernels.argmax(out, memory.floats(x), rows, cols);
        assertArrayEquals(new int[] {1234, 3000, 0}, out.toArray(ValueLayout.JAVA_INT));
        assertArrayEquals(ScalarOracles.argmax(x, rows, cols), out.toArray(ValueLayout.JAVA_INT));
    }

    private void checkAttention(boolean decode, int n, int m, int heads, int kvHeads, int headDim, int offset) {
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] q = ShimMemory.random(random, n * heads * headDim);
        float[] k = ShimMemory.random(random, m * kvHeads * headDim);
        float[] v = ShimMemory.random(random, m * kvHeads * headDim);
        for (int i = 0; i < q.length; i++) {
            q[i] *= 2;  // peakier scores than unit noise
        }
        float[] want = ScalarOracles.attention(q, k, v, n, m, heads, kvHeads, headDim, scale, offset);
        MemorySegment out = memory.poisoned(n * heads * headDim);
        if (decode) {
            MemorySegment scratch = memory.poisoned((int) CudaKernels.decodeScratchFloats(n, heads, headDim, m));
            kernels.attentionDecode(out, memory.floats(q), memory.floats(k), memory.floats(v), n, m, heads, kvHeads,
                    headDim, scale, offset, scratch);
        } else {
            kernels.attentionPrefill(out, memory.floats(q), memory.floats(k), memory.floats(v), n, m, heads, kvHeads,
                    headDim, scale, offset);
        }
        assertClose((decode ? "decode" : "prefill") + " attention n=" + n + " m=" + m + " hd=" + headDim
                + " offset=" + offset, ShimMemory.read(out), want, F32_TOLERANCE);
    }

    @Test
    void decodeAttentionSplitsAndCombines() {
        checkAttention(true, 1, 600, 4, 2, 80, 599);   // three splits, head_dim not a multiple of 32
        checkAttention(true, 2, 300, 2, 1, 128, 298);  // two rows see 299 and 300 keys
        checkAttention(true, 1, 513, 2, 2, 64, Backend.NON_CAUSAL);
        checkAttention(true, 2, 520, 2, 1, 32, 100);   // the later splits are empty for both rows
        checkAttention(true, 1, 300, 14, 2, 64, 299);  // 7 query heads per KV head, as Qwen2.5's
        checkAttention(true, 1, 200, 16, 1, 32, Backend.NON_CAUSAL);  // 16 on one: two blocks per KV head
        checkAttention(true, 1, 70, 2, 1, 30, 69);     // head_dim % 4 != 0: element loads
    }

    @Test
    void prefillAttentionIsCausalWithOffsetOrBidirectional() {
        checkAttention(false, 37, 42, 4, 2, 80, 5);
        checkAttention(false, 50, 50, 2, 2, 64, Backend.NON_CAUSAL);
        checkAttention(false, 17, 17, 1, 1, 128, 0);
    }

    /**
     * Flash attention on tensor cores (mma, ldmatrix and ldmatrix.trans emulated by the shim). Inputs
     * are bf16-exact and the scale a power of two, so only P's rounding to bf16 separates it from
     * the F32 oracle: about 2^-9 relative per probability. Tolerance 5e-3.
     */
    private void checkTensorCoreAttention(int n, int m, int heads, int kvHeads, int headDim, int offset) {
        float scale = headDim == 64 ? 0.125f : 0.0625f;
        float[] q = ShimMemory.bf16Exact(random, n * heads * headDim);
        float[] k = ShimMemory.bf16Exact(random, m * kvHeads * headDim);
        float[] v = ShimMemory.bf16Exact(random, m * kvHeads * headDim);
        for (int i = 0; i < q.length; i++) {
            q[i] *= 4;  // peaky scores (still bf16-exact)
        }
        float[] want = ScalarOracles.attention(q, k, v, n, m, heads, kvHeads, headDim, scale, offset);
        MemorySegment out = memory.poisoned(n * heads * headDim);
        kernels.attentionPrefillTensorCores(out, memory.floats(q), memory.floats(k), memory.floats(v), n, m, heads,
                kvHeads, headDim, scale, offset);
        assertClose("tensor-core attention n=" + n + " m=" + m + " hd=" + headDim + " offset=" + offset,
                ShimMemory.read(out), want, 5e-3);
    }

    @Test
    void tensorCoreAttentionMasksAndRescalesAcrossKeyTiles() {
        checkTensorCoreAttention(70, 150, 2, 1, 128, 80);                 // 2 query blocks, 3 key tiles, GQA, offset
        checkTensorCoreAttention(64, 64, 1, 1, 80, Backend.NON_CAUSAL);   // vision's head_dim, one tile each
        checkTensorCoreAttention(20, 20, 2, 2, 64, 0);                    // causal from 0: rows see 1 .. 20 keys
    }

    @Test
    void normalizePatchifyMatchesSpecLayout() {
        int width = 56;
        int height = 84;
        byte[] image = new byte[width * height * 3];
        random.nextBytes(image);
        float[] want = ScalarOracles.normalizePatchify(image, width, height, 3, 14, 2, 2, NormalizeTable.CLIP_MEAN,
                NormalizeTable.CLIP_STD);
        MemorySegment out = memory.poisoned(want.length);
        kernels.normalizePatchify(out, memory.bytes(image),
                memory.floats(NormalizeTable.compute(NormalizeTable.CLIP_MEAN, NormalizeTable.CLIP_STD)), width,
                height, 3, 14, 2, 2);
        assertArrayEquals(want, ShimMemory.read(out));
    }

    @Test
    void launcherRejectsShapesTheKernelsCannotTake() {
        MemorySegment any = memory.poisoned(16);
        assertThrows(IllegalArgumentException.class,
                () -> kernels.attentionPrefill(any, any, any, any, 4, 4, 2, 2, 160, 1f, 0));
        assertThrows(IllegalArgumentException.class,
                () -> kernels.attentionPrefill(any, any, any, any, 4, 4, 3, 2, 64, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> CudaKernels.gemvLaunch(70_000, 16));
    }

    private interface Backend {
        int NON_CAUSAL = dev.glimpse.backend.Backend.NON_CAUSAL;
    }
}
