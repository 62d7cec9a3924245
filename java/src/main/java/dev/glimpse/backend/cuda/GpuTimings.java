package dev.glimpse.backend.cuda;

import dev.glimpse.image.ResampleFilter;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Random;

/**
 * The timing half of the GPU suite: the card's copy bandwidth, each kernel at Qwen2.5-VL-7B shapes
 * (median of CUDA-event timings after warm-up, on random data), and decode tokens/s of the 7B
 * decoder chain on random bf16 weights. Bandwidth counts bytes read plus bytes written once.
 */
final class GpuTimings {

    private static final int WARMUP = 3;
    private static final int RUNS = 9;
    private static final int HIDDEN = 3584;
    private static final int MLP = 18944;
    private static final int HEADS = 28;
    private static final int KV_HEADS = 4;
    private static final int HEAD_DIM = 128;
    private static final int VOCAB = 152_064;

    private final CudaBackend gpu;
    private final double gemmPeakTflops;
    private final MemorySegment noise;  // random bytes, copied over every buffer before timing
    private double copyGbps;

    GpuTimings(CudaBackend gpu, double gemmPeakTflops) {
        this.gpu = gpu;
        this.gemmPeakTflops = gemmPeakTflops;
        Random random = new Random(99);
        byte[] bytes = new byte[64 << 20];
        random.nextBytes(bytes);
        for (int i = 1; i < bytes.length; i += 2) {
            bytes[i] = (byte) ((bytes[i] & 0x8F) | 0x30);  // bf16/f32 high bytes: moderate magnitudes, no NaN
        }
        noise = Arena.ofAuto().allocateFrom(ValueLayout.JAVA_BYTE, bytes);
    }

    private void fill(MemorySegment device) {
        for (long done = 0; done < device.byteSize(); done += noise.byteSize()) {
            long n = Math.min(noise.byteSize(), device.byteSize() - done);
            gpu.writeBytes(device.asSlice(done, n), noise.asSlice(0, n));
        }
    }

    private Tensor random(DType type, long... shape) {
        MemorySegment memory = gpu.allocateBytes(Tensor.numel(shape) * type.bytes());
        fill(memory);
        return new Tensor("bench", type, shape, memory);
    }

    /** Activations: F32 in [-2, 2). */
    private Tensor activations(long... shape) {
        float[] values = new float[Math.toIntExact(Tensor.numel(shape))];
        Random random = new Random(shape.length + values.length);
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() * 4 - 2;
        }
        Tensor t = gpu.allocate("act", shape);
        gpu.write(t, values);
        return t;
    }

    private void row(String name, double ms, double bytes, double flops) {
        double gbps = bytes / ms / 1e6;
        double tflops = flops / ms / 1e9;
        String limit = flops > 0 && !Double.isNaN(gemmPeakTflops)
                ? String.format(Locale.ROOT, "%5.1f%% of bf16 peak", 100 * tflops / gemmPeakTflops)
                : bytes > 0 ? String.format(Locale.ROOT, "%5.1f%% of copy BW", 100 * gbps / copyGbps) : "";
        System.out.printf(Locale.ROOT, "%-52s %9.3f ms %8.1f GB/s %8.2f TFLOP/s  %s%n", name, ms, gbps, tflops, limit);
    }

    private void time(String name, double bytes, double flops, Runnable work) {
        try {
            row(name, gpu.medianMillis(WARMUP, RUNS, work), bytes, flops);
        } catch (RuntimeException e) {
            System.out.printf("%-52s FAILED: %s%n", name, e);
        }
    }

    void run(int layers) {
        System.out.println();
        System.out.println("== limits ==");
        long copyBytes = 1L << 30;
        Tensor a = random(DType.F32, copyBytes / 4);
        Tensor b = random(DType.F32, copyBytes / 4);
        double copyMs = gpu.medianMillis(WARMUP, RUNS, () -> gpu.copy(b, a));
        copyGbps = 2.0 * copyBytes / copyMs / 1e6;
        System.out.printf(Locale.ROOT, "device-to-device copy (1 GiB): %.1f GB/s (read + write)%n", copyGbps);
        System.out.println(Double.isNaN(gemmPeakTflops) ? "bf16 GEMM peak: not measured (no torch on this machine)"
                : String.format(Locale.ROOT, "bf16 GEMM peak (torch.matmul 8192^3, random): %.1f TFLOP/s",
                        gemmPeakTflops));
        gpu.free(a.data());
        gpu.free(b.data());

        System.out.println();
        System.out.println("== kernels at 7B shapes (median of " + RUNS + ") ==");
        try {
            kernels();
        } catch (RuntimeException e) {
            System.out.println("kernel timings stopped: " + e);
        }
        System.out.println();
        System.out.println("== decode: " + layers + " layers of 7B on random bf16 weights ==");
        try {
            new DecodeChain(layers).run();
        } catch (RuntimeException e) {
            System.out.println("decode chain FAILED: " + e);
        }
    }

    private void kernels() {
        CudaKernels k = gpu.kernels();
        launchGap();
        for (int[] shape : new int[][] {{HIDDEN, MLP}, {MLP, HIDDEN}, {HIDDEN, HIDDEN + 2 * 512}, {HIDDEN, HIDDEN},
                {HIDDEN, VOCAB}}) {
            int in = shape[0];
            int out = shape[1];
            Tensor w = random(DType.BF16, out, in);
            Tensor x = activations(1, in);
            Tensor y = gpu.allocate("y", 1, out);
            for (int rows : new int[] {8, 4, 2, 1}) {
                String chosen = rows == CudaKernels.gemvRowsPerBlock(out) ? " (matmul's)" : "";
                time("gemv_bf16 " + rows + " rows/block " + in + " -> " + out + chosen, 2.0 * in * out + 4.0 * (in + out),
                        2.0 * in * out, () -> gpu.onCudaThread(
                                () -> k.gemvBf16(rows, y.data(), x.data(), w.data(), MemorySegment.NULL, 1, in, out)));
            }
            gpu.free(w.data());
            gpu.free(x.data());
            gpu.free(y.data());
        }
        {
            Tensor w = random(DType.F32, 4608, HIDDEN);
            Tensor x = activations(1, HIDDEN);
            Tensor y = gpu.allocate("y", 1, 4608);
            time("gemv_f32 3584 -> 4608", 4.0 * HIDDEN * 4608, 2.0 * HIDDEN * 4608, () -> gpu.matmul(y, x, w, null));
            gpu.free(w.data());
            gpu.free(x.data());
            gpu.free(y.data());
        }
        // matmul as the model calls it (x converted to bf16, then the tile it picks), then each tile forced.
        for (int[] s : new int[][] {{2048, HIDDEN, MLP}, {2048, MLP, HIDDEN}, {2048, HIDDEN, HIDDEN}, {2048, HIDDEN, 512},
                {300, HIDDEN, MLP}, {300, MLP, HIDDEN}, {1024, 1280, 3420}, {1024, 3420, 1280}, {4096, 4096, 4096}}) {
            int n = s[0];
            int in = s[1];
            int out = s[2];
            Tensor w = random(DType.BF16, out, in);
            Tensor x = activations(n, in);
            Tensor y = gpu.allocate("y", n, out);
            double bytes = 2.0 * out * in + 4.0 * n * (in + out);
            double flops = 2.0 * n * in * out;
            String shape = n + "x" + in + "x" + out;
            String picked = k.tensorCoreKernel(n, in, out, w.data());
            time("matmul bf16 " + shape + " (" + picked + ")", bytes, flops, () -> gpu.matmul(y, x, w, null));
            if (n == 2048 && out >= HIDDEN || n == 4096) {
                for (CudaKernels.GemmTile tile : CudaKernels.GemmTile.values()) {
                    if (!tile.kernel().equals(picked)) {
                        time("  " + tile.kernel() + " " + shape, bytes, flops, () -> gpu.onCudaThread(
                                () -> k.gemmTensorCores(tile.kernel(), y.data(), x.data(),
                                        gpu.activationScratch(CudaKernels.activationScratchBytes(n, in, false)), w.data(),
                                        MemorySegment.NULL, n, in, out, false)));
                    }
                }
            }
            if (n == 4096) {
                time("  convert_bf16 only " + n + "x" + in, 6.0 * n * in, 0, () -> gpu.onCudaThread(() -> {
                    MemorySegment scratch = gpu.activationScratch(CudaKernels.activationScratchBytes(n, in, false));
                    gpu.kernels().gemmTensorCoresConvertOnly(x.data(), scratch, n, in, false);
                }));
                time("  gemm_bf16 (v1: 64x64 tiles, no pipeline) " + shape, bytes, flops, () -> k.gemm("gemm_bf16",
                        y.data(), x.data(), w.data(), MemorySegment.NULL, n, in, out));
            }
            if (n == 1024 && in == 1280) {
                Tensor wf = random(DType.F32, out, in);
                time("gemm_f32 " + shape, 4.0 * out * in + 4.0 * n * (in + out), flops,
                        () -> gpu.matmul(y, x, wf, null));
                gpu.free(wf.data());
            }
            gpu.free(w.data());
            gpu.free(x.data());
            gpu.free(y.data());
        }
        for (int m : new int[] {4096, 32768}) {
            Tensor q = activations(1, HEADS * HEAD_DIM);
            Tensor kc = random(DType.F32, m, KV_HEADS * HEAD_DIM);
            Tensor vc = random(DType.F32, m, KV_HEADS * HEAD_DIM);
            Tensor out = gpu.allocate("o", 1, HEADS * HEAD_DIM);
            time("attention decode m=" + m + " 28/4x128", 2.0 * m * KV_HEADS * HEAD_DIM * 4,
                    4.0 * m * HEADS * HEAD_DIM, () -> gpu.attention(out, q, kc, vc, HEADS, KV_HEADS, HEAD_DIM, 0.088f, m - 1));
            gpu.free(kc.data());
            gpu.free(vc.data());
        }
        {
            int n = 2048;
            Tensor q = activations(n, HEADS * HEAD_DIM);
            Tensor kv = activations(n, KV_HEADS * HEAD_DIM);
            Tensor out = gpu.allocate("o", n, HEADS * HEAD_DIM);
            double bytes = 4.0 * n * (2 * HEADS + 2 * KV_HEADS) * HEAD_DIM;
            double flops = 2.0 * n * n * HEADS * HEAD_DIM;
            time("attention prefill causal n=2048 28/4x128 (tensor cores)", bytes, flops,
                    () -> gpu.attention(out, q, kv, kv, HEADS, KV_HEADS, HEAD_DIM, 0.088f, 0));
            time("  SIMT (F32) kernel", bytes, flops, () -> gpu.onCudaThread(() -> k.attentionPrefill(out.data(),
                    q.data(), kv.data(), kv.data(), n, n, HEADS, KV_HEADS, HEAD_DIM, 0.088f, 0)));
            int v = 4096;
            Tensor qv = activations(v, 16 * 80);
            Tensor outv = gpu.allocate("o", v, 16 * 80);
            time("attention prefill non-causal n=4096 16x80 (vision, tensor cores)", 4.0 * v * 4 * 16 * 80,
                    4.0 * v * v * 16 * 80, () -> gpu.attention(outv, qv, qv, qv, 16, 16, 80, 0.11f, -1));
            time("  SIMT (F32) kernel", 4.0 * v * 4 * 16 * 80, 4.0 * v * v * 16 * 80, () -> gpu.onCudaThread(
                    () -> k.attentionPrefill(outv.data(), qv.data(), qv.data(), qv.data(), v, v, 16, 16, 80, 0.11f, -1)));
            Tensor qw = activations(64, 16 * 80);
            Tensor outw = gpu.allocate("o", 64, 16 * 80);
            time("attention vision window n=64 16x80 x 16 windows", 16 * 4.0 * 64 * 4 * 16 * 80,
                    16 * 4.0 * 64 * 64 * 16 * 80, () -> {
                        for (int w = 0; w < 16; w++) {
                            gpu.attention(outw, qw, qw, qw, 16, 16, 80, 0.11f, -1);
                        }
                    });
        }
        int rows = 2048;
        Tensor x = activations(rows, HIDDEN);
        Tensor y = gpu.allocate("y", rows, HIDDEN);
        Tensor norm = activations(HIDDEN);
        time("rms_norm 2048x3584", 8.0 * rows * HIDDEN, 0, () -> gpu.rmsNorm(y, x, norm, 1e-6f));
        Tensor q = activations(rows, HEADS * HEAD_DIM);
        Tensor cos = activations(rows, HEAD_DIM);
        time("rope 2048 x 28x128", 8.0 * rows * HEADS * HEAD_DIM + 8.0 * rows * HEAD_DIM, 0,
                () -> gpu.rope(q, cos, cos, HEAD_DIM));
        Tensor gate = activations(rows, MLP);
        Tensor up = activations(rows, MLP);
        Tensor act = gpu.allocate("a", rows, MLP);
        long count = (long) rows * MLP;
        time("swiglu 2048x18944", 12.0 * count, 0, () -> gpu.swiglu(act, gate, up));
        time("gelu 2048x18944 (in place)", 8.0 * count, 0, () -> gpu.gelu(act));
        time("add 2048x18944", 12.0 * count, 0, () -> gpu.add(act, up));
        Tensor logits = activations(1, VOCAB);
        time("argmax 1x152064", 4.0 * VOCAB, 0, () -> gpu.onCudaThread(
                () -> k.argmax(gpu.allocateScratchInts(1), logits.data(), 1, VOCAB)));
        time("sample_nucleus 1x152064 (top-k 50, top-p 0.9)", 4.0 * VOCAB, 0, () -> gpu.onCudaThread(
                () -> k.sampleNucleus(gpu.allocateScratchInts(1), logits.data(), 1, VOCAB, 0.8f, 50, 0.9f, 0.5f)));
        Tensor scores = activations(HEADS * 64, 4096);
        time("softmax 1792x4096 (in place)", 8.0 * HEADS * 64 * 4096, 0, () -> gpu.softmax(scores));
        Tensor table = random(DType.BF16, VOCAB, HIDDEN);
        int[] ids = new int[rows];
        for (int i = 0; i < rows; i++) {
            ids[i] = (i * 7919) % VOCAB;
        }
        Tensor embedded = gpu.allocate("e", rows, HIDDEN);
        time("embed bf16 2048 tokens x 3584 (with id upload)", 6.0 * rows * HIDDEN, 0, () -> gpu.embed(embedded, table, ids));
        gpu.free(table.data());

        MemorySegment image = gpu.allocateBytes(2048L * 2048 * 3);
        fill(image);
        MemorySegment half = gpu.allocateBytes(1024L * 1024 * 3);
        time("resize bicubic 2048^2 -> 1024^2 (end to end)", 3.0 * (2048 * 2048 + 2048 * 1024 + 1024 * 1024 * 2), 0,
                () -> gpu.resize(half, image, 2048, 2048, 1024, 1024, 3, ResampleFilter.BICUBIC));
        MemorySegment photo = gpu.allocateBytes(4032L * 3024 * 3);
        fill(photo);
        MemorySegment photoHalf = gpu.allocateBytes(2016L * 1512 * 3);
        time("resize lanczos 4032x3024 -> 2016x1512 (end to end)", 3.0 * (4032 * 3024 + 2016 * 3024 * 2 + 2016 * 1512),
                0, () -> gpu.resize(photoHalf, photo, 4032, 3024, 2016, 1512, 3, ResampleFilter.LANCZOS));
        Tensor pixels = gpu.allocate("p", (1008 / 14) * (1008 / 14), 1176);
        MemorySegment square = gpu.allocateBytes(1008L * 1008 * 3);
        fill(square);
        time("normalize_patchify 1008x1008 (with table upload)", 3.0 * 1008 * 1008 + 4.0 * pixels.numel(), 0,
                () -> gpu.normalizePatchify(pixels, square, 1008, 1008, 3, 14, 2, 2, NormalizeTable.CLIP_MEAN,
                        NormalizeTable.CLIP_STD));
    }

    /**
     * What one launch costs the GPU between dependent kernels (the decode step has ~15 per layer):
     * 1000 back-to-back launches of a one-element kernel, issued on the CUDA thread.
     */
    private void launchGap() {
        Tensor one = activations(1);
        CudaKernels k = gpu.kernels();
        double ms = gpu.medianMillis(WARMUP, RUNS, () -> {
            for (int i = 0; i < 1000; i++) {
                k.add(one.data(), one.data(), 1);
            }
        });
        System.out.printf(Locale.ROOT, "%-52s %9.3f us per launch (x 420 launches of a 28-layer decode step = %.2f ms)%n",
                "launch gap: 1000 dependent one-element kernels", ms, ms * 0.42);
    }

    /** The decoder's per-token work at 7B shapes, through the Backend API. */
    private final class DecodeChain {
        private final int layers;

        DecodeChain(int layers) {
            this.layers = layers;
        }

        void run() {
            long perLayer = 2L * HIDDEN * (HIDDEN + 2 * 512 + HIDDEN + 3L * MLP);
            long weightBytes = layers * perLayer + 2L * VOCAB * HIDDEN;
            if (gpu.freeMemory() < weightBytes + (4L << 30)) {
                System.out.println("skipped: " + (weightBytes >> 20) + " MiB of weights do not fit; rerun with --layers N");
                return;
            }
            int context = 1024;
            Tensor[] qkv = new Tensor[layers];
            Tensor[] qkvBias = new Tensor[layers];
            Tensor[] o = new Tensor[layers];
            Tensor[] gateW = new Tensor[layers];
            Tensor[] upW = new Tensor[layers];
            Tensor[] downW = new Tensor[layers];
            Tensor[] kCache = new Tensor[layers];
            Tensor[] vCache = new Tensor[layers];
            Tensor norm = activations(HIDDEN);
            for (int l = 0; l < layers; l++) {
                qkv[l] = random(DType.BF16, HIDDEN + 2 * 512, HIDDEN);
                qkvBias[l] = activations(HIDDEN + 2 * 512);
                o[l] = random(DType.BF16, HIDDEN, HIDDEN);
                gateW[l] = random(DType.BF16, MLP, HIDDEN);
                upW[l] = random(DType.BF16, MLP, HIDDEN);
                downW[l] = random(DType.BF16, HIDDEN, MLP);
                kCache[l] = activations(context, 512);
                vCache[l] = activations(context, 512);
            }
            Tensor lmHead = random(DType.BF16, VOCAB, HIDDEN);
            Tensor x = gpu.allocate("x", 1, HIDDEN);
            Tensor h = gpu.allocate("h", 1, HIDDEN);
            Tensor qkvOut = gpu.allocate("qkv", 1, HIDDEN + 1024);
            Tensor q = new Tensor("q", DType.F32, new long[] {1, HIDDEN}, qkvOut.data().asSlice(0, 4L * HIDDEN));
            Tensor k = new Tensor("k", DType.F32, new long[] {1, 512}, qkvOut.data().asSlice(4L * HIDDEN, 2048));
            Tensor v = new Tensor("v", DType.F32, new long[] {1, 512}, qkvOut.data().asSlice(4L * HIDDEN + 2048, 2048));
            Tensor attn = gpu.allocate("attn", 1, HIDDEN);
            Tensor proj = gpu.allocate("proj", 1, HIDDEN);
            Tensor gate = gpu.allocate("gate", 1, MLP);
            Tensor up = gpu.allocate("up", 1, MLP);
            Tensor logits = gpu.allocate("logits", 1, VOCAB);
            Tensor cos = activations(1, HEAD_DIM);
            Tensor sin = activations(1, HEAD_DIM);
            int[] token = {11};
            int start = 512;
            Runnable[] step = new Runnable[1];
            int[] position = {start};
            step[0] = () -> {
                int pos = position[0]++;
                if (position[0] >= context) {
                    position[0] = start;
                }
                gpu.embed(x, lmHead, token);
                for (int l = 0; l < layers; l++) {
                    gpu.rmsNorm(h, x, norm, 1e-6f);
                    gpu.matmul(qkvOut, h, qkv[l], qkvBias[l]);
                    gpu.rope(q, cos, sin, HEAD_DIM);
                    gpu.rope(k, cos, sin, HEAD_DIM);
                    gpu.copy(kCache[l].rows(pos, 1), k);
                    gpu.copy(vCache[l].rows(pos, 1), v);
                    gpu.attention(attn, q, kCache[l].rows(0, pos + 1), vCache[l].rows(0, pos + 1), HEADS, KV_HEADS,
                            HEAD_DIM, 0.088f, pos);
                    gpu.matmul(proj, attn, o[l], null);
                    gpu.add(x, proj);
                    gpu.rmsNorm(h, x, norm, 1e-6f);
                    gpu.matmul(gate, h, gateW[l], null);
                    gpu.matmul(up, h, upW[l], null);
                    gpu.swiglu(gate, gate, up);
                    gpu.matmul(proj, gate, downW[l], null);
                    gpu.add(x, proj);
                }
                gpu.rmsNorm(h, x, norm, 1e-6f);
                gpu.matmul(logits, h, lmHead, null);
                token[0] = gpu.argmax(logits);
            };
            int tokens = 16;
            for (int i = 0; i < 3; i++) {
                step[0].run();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                step[0].run();
            }
            double handoffMs = (System.nanoTime() - t0) / 1e6 / tokens;
            t0 = System.nanoTime();
            gpu.onCudaThread(() -> {
                for (int i = 0; i < tokens; i++) {
                    step[0].run();
                }
            });
            double directMs = (System.nanoTime() - t0) / 1e6 / tokens;
            double floorMs = weightBytes / copyGbps / 1e6;
            System.out.printf(Locale.ROOT, "weights per token: %.2f GB; bandwidth floor %.2f ms/token (%.1f tok/s)%n",
                    weightBytes / 1e9, floorMs, 1000 / floorMs);
            System.out.printf(Locale.ROOT, "Backend calls from the caller's thread: %.2f ms/token = %.1f tok/s (%.1f GB/s)%n",
                    handoffMs, 1000 / handoffMs, weightBytes / handoffMs / 1e6);
            System.out.printf(Locale.ROOT, "same chain issued on the CUDA thread:   %.2f ms/token = %.1f tok/s (%.1f GB/s)%n",
                    directMs, 1000 / directMs, weightBytes / directMs / 1e6);
            // Where the rest goes: the same matrix-vector products alone (the floor for this GEMV), timed on the GPU.
            double gemvMs = gpu.medianMillis(1, 5, () -> {
                for (int l = 0; l < layers; l++) {
                    gpu.matmul(qkvOut, h, qkv[l], qkvBias[l]);
                    gpu.matmul(proj, attn, o[l], null);
                    gpu.matmul(gate, h, gateW[l], null);
                    gpu.matmul(up, h, upW[l], null);
                    gpu.matmul(proj, gate, downW[l], null);
                }
                gpu.matmul(logits, h, lmHead, null);
            });
            System.out.printf(Locale.ROOT, "its matrix-vector products alone:       %.2f ms/token (%.1f GB/s); the other "
                    + "%d launches per step cost %.2f ms%n", gemvMs, weightBytes / gemvMs / 1e6, layers * 11 + 3,
                    directMs - gemvMs);
        }
    }
}
