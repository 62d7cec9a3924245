package dev.glimpse.backend.cuda;

import dev.glimpse.image.ResampleFilter;
import static dev.glimpse.backend.cuda.ScalarOracles.relativeError;

import dev.glimpse.backend.Backend;
import dev.glimpse.backend.NucleusDraw;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.SplittableRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The GPU suite (bench/gpu/run.sh): every kernel on random inputs against {@link ScalarOracles}
 * ("N passed, N failed"), then timings with CUDA events against the card's measured limits, then
 * decode tokens/s of a 7B-shaped GEMV chain on random weights.
 * Usage: GpuSuite [--gemm-peak-tflops X] [--skip-timing] [--layers N]
 */
public final class GpuSuite {

    private final CudaBackend gpu;
    private final Random random = new Random(1234);
    private final List<String> failures = new ArrayList<>();
    private int passed;

    private GpuSuite(CudaBackend gpu) {
        this.gpu = gpu;
    }

    public static void main(String[] args) {
        double gemmPeak = Double.NaN;
        boolean timing = true;
        int layers = 28;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--gemm-peak-tflops" -> gemmPeak = Double.parseDouble(args[++i]);
                case "--skip-timing" -> timing = false;
                case "--layers" -> layers = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        int failed;
        CudaBackend opened;
        try {
            opened = CudaBackend.open();
        } catch (CudaException e) {
            System.out.println("GPU suite cannot start: " + e.getMessage());
            System.out.println("0 passed, 1 failed");
            System.exit(1);
            return;
        }
        try (CudaBackend gpu = opened) {
            System.out.println("device: " + gpu.describeDevice());
            GpuSuite suite = new GpuSuite(gpu);
            suite.checks();
            failed = suite.failures.size();
            System.out.printf("%d passed, %d failed%n", suite.passed, failed);
            if (timing) {
                new GpuTimings(gpu, gemmPeak).run(layers);
            }
            System.out.printf("%nsummary: %d passed, %d failed%s%n", suite.passed, failed,
                    failed == 0 ? "" : " " + suite.failures);
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    private void report(String name, double error, double tolerance) {
        boolean ok = error <= tolerance;  // NaN fails
        System.out.printf(Locale.ROOT, "%-4s %-58s rel.err %.2e (tol %.0e)%n", ok ? "ok" : "FAIL", name, error,
                tolerance);
        if (ok) {
            passed++;
        } else {
            failures.add(name);
        }
    }

    private void check(String name, Runnable body) {
        try {
            body.run();
            gpu.synchronize();
        } catch (RuntimeException e) {
            System.out.println("FAIL " + name + ": " + e);
            failures.add(name);
        }
    }

    private float[] gaussian(int count, double scale) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
        }
        return v;
    }

    private Tensor device(float[] values, long... shape) {
        Tensor t = gpu.allocate("t", shape);
        gpu.write(t, values);
        return t;
    }

    private Tensor poisoned(long... shape) {
        float[] nan = new float[Math.toIntExact(Tensor.numel(shape))];
        Arrays.fill(nan, Float.NaN);
        return device(nan, shape);
    }

    /** Uploads values (bf16-exact when type is BF16) as a weight of the given type. */
    private Tensor weight(float[] values, DType type, long... shape) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment host = arena.allocate(values.length * (long) type.bytes());
            for (int i = 0; i < values.length; i++) {
                switch (type) {
                    case F32 -> host.setAtIndex(ValueLayout.JAVA_FLOAT, i, values[i]);
                    case BF16 -> host.setAtIndex(ValueLayout.JAVA_SHORT, i,
                            (short) (Float.floatToRawIntBits(values[i]) >>> 16));
                    case F16 -> host.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(values[i]));
                }
            }
            return gpu.upload(new Tensor("w", type, shape, host));
        }
    }

    private float[] read(Tensor t) {
        float[] out = new float[Math.toIntExact(t.numel())];
        gpu.read(t, out);
        return out;
    }

    private void checks() {
        check("transfers", () -> {
            float[] v = gaussian(1_000_003, 1);
            report("write/read round trip", relativeError(read(device(v, v.length)), v), 0);
            Tensor copy = poisoned(v.length);
            gpu.copy(copy, device(v, v.length));
            report("copy", relativeError(read(copy), v), 0);
            float[] h = new float[777];
            for (int i = 0; i < h.length; i++) {
                h[i] = Float.float16ToFloat(Float.floatToFloat16((float) random.nextGaussian()));
            }
            report("upload F16 vector widened to F32", relativeError(read(weight(h, DType.F16, h.length)), h), 0);
        });
        check("embed", () -> {
            int rows = 1000;
            int cols = 3584;
            float[] table = ScalarOracles.roundToBf16(gaussian(rows * cols, 1));
            int[] ids = {5, 999, 0, 5, 123, 777, 42};
            float[] want = ScalarOracles.embed(table, cols, ids);
            for (DType type : new DType[] {DType.BF16, DType.F32}) {
                Tensor out = poisoned(ids.length, cols);
                gpu.embed(out, weight(table, type, rows, cols), ids);
                report("embed " + type + " [1000, 3584]", relativeError(read(out), want), 0);
            }
        });
        check("matmul", () -> {
            checkMatmul(DType.BF16, 1, 3584, 4608, true, "gemv_bf16 (matmul n=1)");
            checkMatmul(DType.F32, 1, 3584, 1000, false, "gemv_f32 (matmul n=1)");
            checkMatmul(DType.F32, 130, 1000, 300, true, "gemm_f32 (matmul n=130)");
            checkTensorCoreGemm(200, 3584, 700);
        });
        check("row ops", () -> {
            int rows = 64;
            int cols = 3584;
            float[] x = gaussian(rows * cols, 1);
            float[] w = gaussian(cols, 1);
            Tensor out = poisoned(rows, cols);
            gpu.rmsNorm(out, device(x, rows, cols), weight(w, DType.F32, cols), 1e-6f);
            report("rms_norm [64, 3584]", relativeError(read(out), ScalarOracles.rmsNorm(x, w, rows, cols, 1e-6f)),
                    1e-5);

            int heads = 28;
            int headDim = 128;
            float[] q = gaussian(rows * heads * headDim, 1);
            float[] cos = gaussian(rows * headDim, 1);
            float[] sin = gaussian(rows * headDim, 1);
            Tensor qt = device(q, rows, heads * headDim);
            gpu.rope(qt, device(cos, rows, headDim), device(sin, rows, headDim), headDim);
            report("rope [64, 28x128]", relativeError(read(qt), ScalarOracles.rope(q, cos, sin, rows, heads, headDim)),
                    1e-6);

            int vocab = 152_064;
            float[] logits = gaussian(4 * vocab, 3);
            logits[77_777] = 40;
            logits[vocab + 151_999] = 40;
            Tensor lt = device(logits, 4, vocab);
            int[] got = gpu.argmaxRows(lt);
            int[] want = ScalarOracles.argmax(logits, 4, vocab);
            report("argmax [4, 152064]", Arrays.equals(got, want) ? 0 : 1, 0);
            // Sampling on the device against the host draw, 20 random numbers; a mismatch could only
            // come from u landing within float rounding of an interval's edge (about 1e-7 per draw).
            Tensor row = lt.rows(0, 1);
            NucleusDraw nucleus = new NucleusDraw(0.8f, 50, 0.9f);
            SplittableRandom uniform = new SplittableRandom(5);
            int mismatches = 0;
            for (int i = 0; i < 20; i++) {
                double u = uniform.nextDouble();
                mismatches += gpu.draw(row, nucleus, u) == nucleus.pick(Arrays.copyOf(logits, vocab), vocab, u) ? 0 : 1;
            }
            report("sample_nucleus [1, 152064] T 0.8 top-k 50 top-p 0.9, 20 draws", mismatches, 0);
            gpu.softmax(lt);
            report("softmax [4, 152064]", relativeError(read(lt), ScalarOracles.softmax(logits, 4, vocab)), 1e-5);
        });
        check("elementwise", () -> {
            int count = 64 * 18944 + 17;
            float[] a = gaussian(count, 2);
            float[] b = gaussian(count, 1);
            Tensor out = poisoned(count);
            gpu.swiglu(out, device(a, count), device(b, count));
            report("swiglu [1212433]", relativeError(read(out), ScalarOracles.swiglu(a, b)), 1e-6);
            Tensor g = device(a, count);
            gpu.gelu(g);
            report("gelu [1212433]", relativeError(read(g), ScalarOracles.gelu(a)), 1e-6);
            Tensor x = device(a, count);
            gpu.add(x, device(b, count));
            report("add [1212433]", relativeError(read(x), ScalarOracles.add(a, b)), 0);
        });
        check("attention", () -> {
            checkAttention(1, 5000, 28, 4, 128, 4999, "decode n=1 m=5000 28/4x128");
            checkAttention(2, 3000, 28, 4, 128, 2998, "decode n=2 m=3000 28/4x128");
            checkAttention(1, 700, 16, 16, 80, Backend.NON_CAUSAL, "decode n=1 m=700 16x80 non-causal");
            checkAttention(300, 300, 28, 4, 128, 0, "prefill n=300 causal 28/4x128");
            checkAttention(100, 612, 28, 4, 128, 512, "prefill n=100 m=612 offset 512");
            checkAttention(512, 512, 16, 16, 80, Backend.NON_CAUSAL, "prefill n=512 non-causal 16x80 (vision)");
        });
        check("image", () -> {
            for (ResampleFilter filter : ResampleFilter.values()) {
                checkResize(640, 480, 321, 239, filter);
                checkResize(300, 400, 448, 448, filter);
                checkResize(4, 500, 28, 56, filter);
            }
            checkPatchify(448, 336);
        });
        check("gemm_bf16_simt", () -> checkGemmVariant("gemm_bf16_simt", 130, 520, 200));
        check("gemm_bf16 v1", () -> checkGemmVariant("gemm_bf16", 200, 3584, 700));
        check("gemm_tc tiles", () -> {
            for (CudaKernels.GemmTile tile : CudaKernels.GemmTile.values()) {
                checkTensorCoreTile(tile.kernel(), 300, 1032, 700, false);  // k: 16 steps of 64 and a tail of 8
            }
            checkTensorCoreTile(CudaKernels.GEMM_TC_W8, 300, 1020, 700, false);
            checkTensorCoreTile("gemm_tc_128x256", 520, 512, 600, false);
            checkTensorCoreTile("gemm_tc_64x128", 300, 1032, 700, true);
        });
        check("gemv_bf16 variants", () -> {
            for (int rows : new int[] {8, 4, 2, 1}) {
                checkGemvVariant(rows, 2, 3584, 4608);
                checkGemvVariant(rows, 1, 18944, 3584);
            }
        });
    }

    private void checkMatmul(DType type, int n, int k, int o, boolean withBias, String name) {
        float[] x = gaussian(n * k, 1);
        float[] w = ScalarOracles.roundToBf16(gaussian(o * k, 0.05));
        float[] bias = withBias ? gaussian(o, 1) : null;
        Tensor out = poisoned(n, o);
        gpu.matmul(out, device(x, n, k), weight(w, type, o, k), withBias ? weight(bias, DType.F32, o) : null);
        report(name + " [" + n + "x" + k + "x" + o + "]", relativeError(read(out), ScalarOracles.matmul(x, w, bias, n, k, o)),
                1e-5);
    }

    /** gemm_bf16 on tensor cores: tight against the oracle on bf16-rounded x, bf16-loose against plain x. */
    private void checkTensorCoreGemm(int n, int k, int o) {
        float[] x = gaussian(n * k, 1);
        float[] w = ScalarOracles.roundToBf16(gaussian(o * k, 0.05));
        float[] bias = gaussian(o, 1);
        Tensor out = poisoned(n, o);
        gpu.matmul(out, device(x, n, k), weight(w, DType.BF16, o, k), weight(bias, DType.F32, o));
        float[] got = read(out);
        String shape = " [" + n + "x" + k + "x" + o + "]";
        report("gemm_bf16 tensor cores vs bf16-rounded x" + shape,
                relativeError(got, ScalarOracles.matmul(ScalarOracles.roundToBf16(x), w, bias, n, k, o)), 1e-4);
        report("gemm_bf16 tensor cores vs f32 x" + shape, relativeError(got, ScalarOracles.matmul(x, w, bias, n, k, o)),
                1e-2);
    }

    private void checkGemmVariant(String kernel, int n, int k, int o) {
        float[] x = gaussian(n * k, 1);
        float[] w = ScalarOracles.roundToBf16(gaussian(o * k, 0.05));
        Tensor xt = device(x, n, k);
        Tensor wt = weight(w, DType.BF16, o, k);
        Tensor out = poisoned(n, o);
        gpu.onCudaThread(() -> gpu.kernels().gemm(kernel, out.data(), xt.data(), wt.data(), MemorySegment.NULL, n, k, o));
        report(kernel + " [" + n + "x" + k + "x" + o + "]",
                relativeError(read(out), ScalarOracles.matmul(ScalarOracles.roundToBf16(x), w, null, n, k, o)), 1e-4);
    }

    /** A gemm_tc tile against the oracle on bf16-rounded x (1e-4), or with split activations on x itself (1e-5). */
    private void checkTensorCoreTile(String kernel, int n, int k, int o, boolean split) {
        float[] x = gaussian(n * k, 1);
        float[] w = ScalarOracles.roundToBf16(gaussian(o * k, 0.05));
        float[] bias = gaussian(o, 1);
        Tensor xt = device(x, n, k);
        Tensor wt = weight(w, DType.BF16, o, k);
        Tensor bt = weight(bias, DType.F32, o);
        Tensor out = poisoned(n, o);
        gpu.onCudaThread(() -> gpu.kernels().gemmTensorCores(kernel, out.data(), xt.data(),
                gpu.activationScratch(CudaKernels.activationScratchBytes(n, k, split)), wt.data(), bt.data(), n, k, o,
                split));
        String shape = " [" + n + "x" + k + "x" + o + "]";
        if (split) {
            report(kernel + " split activations vs f32 x" + shape,
                    relativeError(read(out), ScalarOracles.matmul(x, w, bias, n, k, o)), 1e-5);
        } else {
            report(kernel + " vs bf16-rounded x" + shape,
                    relativeError(read(out), ScalarOracles.matmul(ScalarOracles.roundToBf16(x), w, bias, n, k, o)), 1e-4);
        }
    }

    private void checkGemvVariant(int rows, int n, int k, int o) {
        float[] x = gaussian(n * k, 1);
        float[] w = ScalarOracles.roundToBf16(gaussian(o * k, 0.05));
        Tensor xt = device(x, n, k);
        Tensor wt = weight(w, DType.BF16, o, k);
        Tensor out = poisoned(n, o);
        gpu.onCudaThread(() -> gpu.kernels().gemvBf16(rows, out.data(), xt.data(), wt.data(), MemorySegment.NULL, n, k,
                o));
        report("gemv_bf16 " + rows + " rows/block [" + n + "x" + k + "x" + o + "]",
                relativeError(read(out), ScalarOracles.matmul(x, w, null, n, k, o)), 1e-5);
    }

    /**
     * Attention through the Backend (decode rows, or the tensor-core prefill kernel for more: bf16
     * operands, 1e-2), and for prefill also the F32 SIMT kernel (1e-5).
     */
    private void checkAttention(int n, int m, int heads, int kvHeads, int headDim, int offset, String name) {
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] q = gaussian(n * heads * headDim, 1.5);
        float[] k = gaussian(m * kvHeads * headDim, 1);
        float[] v = gaussian(m * kvHeads * headDim, 1);
        float[] want = ScalarOracles.attention(q, k, v, n, m, heads, kvHeads, headDim, scale, offset);
        Tensor qt = device(q, n, heads * headDim);
        Tensor kt = device(k, m, kvHeads * headDim);
        Tensor vt = device(v, m, kvHeads * headDim);
        Tensor out = poisoned(n, heads * headDim);
        gpu.attention(out, qt, kt, vt, heads, kvHeads, headDim, scale, offset);
        boolean decode = n <= CudaKernels.DECODE_MAX_ROWS;
        report("attention " + name + (decode ? "" : " (tensor cores)"), relativeError(read(out), want),
                decode ? 1e-5 : 1e-2);
        if (!decode) {
            Tensor simt = poisoned(n, heads * headDim);
            gpu.onCudaThread(() -> gpu.kernels().attentionPrefill(simt.data(), qt.data(), kt.data(), vt.data(), n, m,
                    heads, kvHeads, headDim, scale, offset));
            report("attention " + name + " (SIMT, F32)", relativeError(read(simt), want), 1e-5);
        }
    }

    private void checkResize(int inW, int inH, int outW, int outH, ResampleFilter filter) {
        byte[] image = new byte[inW * inH * 3];
        random.nextBytes(image);
        byte[] want = image;
        for (ResizePass pass : ResizePass.plan(inW, inH, outW, outH, filter)) {
            want = ScalarOracles.resample(want, pass, 3);
        }
        MemorySegment src = gpu.allocateBytes(image.length);
        MemorySegment dst = gpu.allocateBytes(want.length);
        try (Arena arena = Arena.ofShared()) {
            gpu.writeBytes(src, arena.allocateFrom(ValueLayout.JAVA_BYTE, image));
            gpu.resize(dst, src, inW, inH, outW, outH, 3, filter);
            MemorySegment got = arena.allocate(want.length);
            gpu.readBytes(got, dst);
            int differing = 0;
            for (int i = 0; i < want.length; i++) {
                differing += got.get(ValueLayout.JAVA_BYTE, i) == want[i] ? 0 : 1;
            }
            report("resize " + filter + " " + inW + "x" + inH + "->" + outW + "x" + outH + " (bytes differing)",
                    differing, 0);
        } finally {
            gpu.free(src);
            gpu.free(dst);
        }
    }

    private void checkPatchify(int width, int height) {
        byte[] image = new byte[width * height * 3];
        random.nextBytes(image);
        float[] want = ScalarOracles.normalizePatchify(image, width, height, 3, 14, 2, 2, NormalizeTable.CLIP_MEAN,
                NormalizeTable.CLIP_STD);
        MemorySegment src = gpu.allocateBytes(image.length);
        try (Arena arena = Arena.ofShared()) {
            gpu.writeBytes(src, arena.allocateFrom(ValueLayout.JAVA_BYTE, image));
            Tensor out = poisoned(want.length / 1176, 1176);
            gpu.normalizePatchify(out, src, width, height, 3, 14, 2, 2, NormalizeTable.CLIP_MEAN,
                    NormalizeTable.CLIP_STD);
            report("normalize_patchify " + width + "x" + height, relativeError(read(out), want), 0);
        } finally {
            gpu.free(src);
        }
    }
}
