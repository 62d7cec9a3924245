package dev.glimpse.backend.cuda;

import dev.glimpse.image.ResampleFilter;
import dev.glimpse.backend.Backend;
import dev.glimpse.backend.NucleusDraw;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link Backend} on an NVIDIA GPU through the CUDA driver API: kernels from the fatbin in this jar
 * (cuda/, built by cmake/), every CUDA call on one dedicated platform thread, transfers through
 * page-locked staging memory. Tensors it hands out carry device pointers
 * ({@code MemorySegment.ofAddress(ptr).reinterpret(bytes)}) that the host never dereferences; row
 * views still work. Ops that only launch kernels return without waiting for the CUDA thread (a
 * launch failure is thrown by the next call that waits: a transfer, argmax, synchronize). Uploaded weights keep F32 or BF16; F16 matrices and every vector (norm weights,
 * biases) are widened to F32.
 */
public final class CudaBackend implements Backend {

    static final String FATBIN = "glimpse.fatbin";
    private static final long STAGING_BYTES = 32L << 20;

    private final CudaThread thread = new CudaThread();
    private final CudaDriver driver;
    private final int device;
    private final String deviceName;
    private final MemorySegment module;
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final Map<String, Integer> sharedAllowed = new HashMap<>();
    private final List<Long> allocations = new ArrayList<>();
    private final CudaKernels kernels;
    private final boolean splitActivations;
    private MemorySegment staging;
    private MemorySegment scratch = MemorySegment.NULL;
    private MemorySegment ids = MemorySegment.NULL;
    private MemorySegment activations = MemorySegment.NULL;  // x in bf16 for the tensor-core GEMM
    private boolean closed;

    /** True when a driver, a GPU and this build's kernels are all present. */
    public static boolean isAvailable() {
        if (!CudaDriver.libraryPresent() || CudaBackend.class.getResource(FATBIN) == null) {
            return false;
        }
        try (CudaThread probeThread = new CudaThread()) {
            return probeThread.call(() -> {
                CudaDriver probe = new CudaDriver();
                probe.init();
                return probe.deviceCount() > 0;
            });
        } catch (CudaException e) {
            return false;
        }
    }

    /** Opens GPU 0; throws {@link CudaException} with the reason (no driver, no GPU, no kernels in this build). */
    public static CudaBackend open() {
        return new CudaBackend(0, false);
    }

    /**
     * Opens GPU 0 with matrix products whose activations keep F32 precision: each is split into two
     * bf16 terms for the tensor cores (twice their work). Results then match the CPU backend to F32
     * rounding instead of bf16's, which the GPU suite uses to check the model code end to end.
     */
    public static CudaBackend openWithSplitActivations() {
        return new CudaBackend(0, true);
    }

    private CudaBackend(int ordinal, boolean splitActivations) {
        this.splitActivations = splitActivations;
        byte[] image = readFatbin();
        try {
            CudaDriver drv = thread.call(CudaDriver::new);
            driver = drv;
            device = thread.call(() -> {
                drv.init();
                if (drv.deviceCount() <= ordinal) {
                    throw new CudaException("--device cuda: the NVIDIA driver sees no GPU " + ordinal
                            + " (" + drv.deviceCount() + " found)");
                }
                int dev = drv.device(ordinal);
                drv.retainPrimaryContext(dev);
                return dev;
            });
            deviceName = thread.call(() -> drv.deviceName(device));
            module = thread.call(() -> {
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment native_ = arena.allocate(image.length, 16);
                    MemorySegment.copy(image, 0, native_, ValueLayout.JAVA_BYTE, 0, image.length);
                    return drv.loadModule(native_);
                }
            });
            staging = thread.call(() -> drv.mallocHost(STAGING_BYTES));
        } catch (RuntimeException e) {
            thread.close();
            throw e;
        }
        KernelRunner.Arguments arguments = new KernelRunner.Arguments(Arena.ofAuto());
        int multiprocessors = thread.call(() -> driver.deviceAttribute(CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT, device));
        int maxShared = thread.call(() -> driver.deviceAttribute(
                CudaDriver.ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, device));
        kernels = new CudaKernels((name, launch, args) -> driver.launch(name, function(name, launch.sharedBytes()),
                launch, arguments.pack(name, args)), multiprocessors, maxShared);
    }

    private static byte[] readFatbin() {
        try (InputStream in = CudaBackend.class.getResourceAsStream(FATBIN)) {
            if (in == null) {
                throw new CudaException("--device cuda: this build of Glimpse has no CUDA kernels (" + FATBIN
                        + " is missing: nvcc was not found when it was built); rebuild with the CUDA toolkit or use --device cpu");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CudaException("--device cuda: cannot read " + FATBIN + ": " + e.getMessage());
        }
    }

    /** The kernel, opted in (once) to the dynamic shared memory this launch asks for beyond the default. */
    private MemorySegment function(String name, int sharedBytes) {
        MemorySegment function = functions.computeIfAbsent(name, n -> driver.function(module, n));
        if (sharedBytes > Launch.DEFAULT_SHARED_BYTES && sharedAllowed.getOrDefault(name, 0) < sharedBytes) {
            driver.allowDynamicShared(name, function, sharedBytes);
            sharedAllowed.put(name, sharedBytes);
        }
        return function;
    }

    @Override
    public String name() {
        return "cuda (" + deviceName + (splitActivations ? ", split bf16 activations" : "") + ")";
    }

    /** Large enough that a 7B layer's GEMMs fill every SM with 128×256 tiles (~470 MB of decoder buffers). */
    @Override
    public int batchRows() {
        return 2048;
    }

    /** The launcher on this GPU; call it only through {@link #onCudaThread}. */
    CudaKernels kernels() {
        return kernels;
    }

    CudaDriver driver() {
        return driver;
    }

    /** Runs work on the CUDA thread (where every driver call must happen). */
    public void onCudaThread(Runnable work) {
        thread.run(work);
    }

    private static long pointer(Tensor t) {
        return t.data().address();
    }

    private static MemorySegment deviceSegment(long pointer, long bytes) {
        return MemorySegment.ofAddress(pointer).reinterpret(bytes);
    }

    /** Device memory of the given size, zero-filled, freed when this backend closes. */
    public MemorySegment allocateBytes(long bytes) {
        return thread.call(() -> {
            long p = driver.malloc(Math.max(bytes, 256));
            allocations.add(p);
            driver.memset(p, (byte) 0, Math.max(bytes, 256));
            return deviceSegment(p, bytes);
        });
    }

    /** Frees memory from {@link #allocateBytes} before close. */
    public void free(MemorySegment deviceMemory) {
        thread.run(() -> {
            if (allocations.remove(Long.valueOf(deviceMemory.address()))) {
                driver.free(deviceMemory.address());
            }
        });
    }

    @Override
    public void release(Tensor allocated) {
        free(allocated.data());
    }

    @Override
    public Tensor allocate(String name, long... shape) {
        return new Tensor(name, DType.F32, shape, allocateBytes(Tensor.numel(shape) * 4));
    }

    /** Copies host bytes to device memory through the pinned staging buffer. */
    public void writeBytes(MemorySegment device, MemorySegment host) {
        thread.run(() -> {
            for (long done = 0; done < host.byteSize(); done += STAGING_BYTES) {
                long n = Math.min(STAGING_BYTES, host.byteSize() - done);
                MemorySegment.copy(host, done, staging, 0, n);
                driver.copyToDevice(device.address() + done, staging, n);
            }
        });
    }

    /** Copies device bytes to host memory through the pinned staging buffer. */
    public void readBytes(MemorySegment host, MemorySegment device) {
        thread.run(() -> {
            for (long done = 0; done < host.byteSize(); done += STAGING_BYTES) {
                long n = Math.min(STAGING_BYTES, host.byteSize() - done);
                driver.copyToHost(staging, device.address() + done, n);
                MemorySegment.copy(staging, 0, host, done, n);
            }
        });
    }

    @Override
    public Tensor upload(Tensor hostWeight) {
        boolean widen = hostWeight.dtype() == DType.F16 || hostWeight.rank() <= 1;
        DType type = widen ? DType.F32 : hostWeight.dtype();
        long bytes = hostWeight.numel() * type.bytes();
        MemorySegment dst = allocateBytes(bytes);
        if (!widen) {
            writeBytes(dst, hostWeight.data());
        } else {
            thread.run(() -> {
                long perChunk = STAGING_BYTES / 4;
                for (long first = 0; first < hostWeight.numel(); first += perChunk) {
                    long n = Math.min(perChunk, hostWeight.numel() - first);
                    for (long i = 0; i < n; i++) {
                        staging.setAtIndex(ValueLayout.JAVA_FLOAT, i, hostWeight.getFloat(first + i));
                    }
                    driver.copyToDevice(dst.address() + first * 4, staging, n * 4);
                }
            });
        }
        return new Tensor(hostWeight.name(), type, hostWeight.shape(), dst);
    }

    @Override
    public void write(Tensor dst, float[] src) {
        requireF32(dst, src.length);
        try (Arena arena = Arena.ofShared()) {
            writeBytes(dst.data(), arena.allocateFrom(ValueLayout.JAVA_FLOAT, src));
        }
    }

    @Override
    public void read(Tensor src, float[] dst) {
        requireF32(src, dst.length);
        thread.run(() -> {
            long bytes = 4L * dst.length;
            for (long done = 0; done < bytes; done += STAGING_BYTES) {
                long n = Math.min(STAGING_BYTES, bytes - done);
                driver.copyToHost(staging, src.data().address() + done, n);
                MemorySegment.copy(staging, ValueLayout.JAVA_FLOAT, 0, dst, (int) (done / 4), (int) (n / 4));
            }
        });
    }

    private static void requireF32(Tensor t, long count) {
        if (t.dtype() != DType.F32 || t.numel() != count) {
            throw new IllegalArgumentException("tensor " + t + ": expected F32 with " + count + " elements");
        }
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        if (dst.numel() != src.numel() || dst.dtype() != src.dtype()) {
            throw new IllegalArgumentException("copy: " + src + " into " + dst);
        }
        thread.post(() -> driver.copyOnDevice(pointer(dst), pointer(src), src.data().byteSize()));
    }

    @Override
    public void embed(Tensor out, Tensor table, int[] tokenIds) {
        int[] idsCopy = tokenIds.clone();  // the caller may reuse its array before the CUDA thread runs this
        thread.post(() -> {
            MemorySegment deviceIds = ensureIds(idsCopy.length);
            MemorySegment.copy(idsCopy, 0, staging, ValueLayout.JAVA_INT, 0, idsCopy.length);
            driver.copyToDevice(deviceIds.address(), staging, 4L * idsCopy.length);
            kernels.embed(out.data(), table.data(), table.dtype(), deviceIds, idsCopy.length, table.cols());
        });
    }

    private MemorySegment ensureIds(int count) {
        if (ids.byteSize() < 4L * count) {
            if (ids != MemorySegment.NULL) {
                allocations.remove(Long.valueOf(ids.address()));
                driver.free(ids.address());
            }
            ids = allocateBytes(Math.max(4L * count, 4096));
        }
        return ids;
    }

    @Override
    public void matmul(Tensor out, Tensor x, Tensor w, Tensor bias) {
        int n = x.rows();
        int k = x.cols();
        int o = w.rows();
        if (w.cols() != k || out.rows() != n || out.cols() != o) {
            throw new IllegalArgumentException("matmul: " + out + " = " + x + " · " + w + "ᵀ has mismatched shapes");
        }
        thread.post(() -> kernels.matmul(out.data(), x.data(), w.data(), w.dtype(),
                bias == null ? MemorySegment.NULL : bias.data(), n, k, o,
                n > 1 && w.dtype() == DType.BF16
                        ? activationScratch(CudaKernels.activationScratchBytes(n, k, splitActivations))
                        : MemorySegment.NULL, splitActivations));
    }

    /** The bf16 activation buffer, grown (after the GPU is done with the old one) to at least bytes. */
    MemorySegment activationScratch(long bytes) {
        if (activations.byteSize() < bytes) {
            if (activations != MemorySegment.NULL) {
                driver.synchronize();  // a queued GEMM may still read the old buffer
                allocations.remove(Long.valueOf(activations.address()));
                driver.free(activations.address());
            }
            activations = allocateBytes(Math.max(bytes, 1L << 20));
        }
        return activations;
    }

    @Override
    public void rmsNorm(Tensor out, Tensor x, Tensor weight, float eps) {
        thread.post(() -> kernels.rmsNorm(out.data(), x.data(), weight.data(), x.rows(), x.cols(), eps));
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, int headDim) {
        if (headDim % 2 != 0 || x.cols() % headDim != 0) {
            throw new IllegalArgumentException("rope: " + x + " is not whole heads of even head_dim " + headDim);
        }
        thread.post(() -> kernels.rope(x.data(), cos.data(), sin.data(), x.rows(), x.cols() / headDim, headDim));
    }

    @Override
    public void swiglu(Tensor out, Tensor gate, Tensor up) {
        thread.post(() -> kernels.swiglu(out.data(), gate.data(), up.data(), out.numel()));
    }

    @Override
    public void gelu(Tensor x) {
        thread.post(() -> kernels.gelu(x.data(), x.numel()));
    }

    @Override
    public void add(Tensor x, Tensor y) {
        thread.post(() -> kernels.add(x.data(), y.data(), x.numel()));
    }

    @Override
    public void softmax(Tensor x) {
        thread.post(() -> kernels.softmax(x.data(), x.rows(), x.cols()));
    }

    @Override
    public void attention(Tensor out, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int headDim, float scale,
            int causalOffset) {
        int n = q.rows();
        int m = k.rows();
        CudaKernels.checkAttention(heads, kvHeads, headDim);
        thread.post(() -> {
            MemorySegment partials = MemorySegment.NULL;
            if (n <= CudaKernels.DECODE_MAX_ROWS) {
                partials = ensureScratch(CudaKernels.decodeScratchFloats(n, heads, headDim, m) * 4);
            }
            kernels.attention(out.data(), q.data(), k.data(), v.data(), n, m, heads, kvHeads, headDim, scale,
                    causalOffset, partials, !splitActivations);
        });
    }

    private MemorySegment ensureScratch(long bytes) {
        if (scratch.byteSize() < bytes) {
            if (scratch != MemorySegment.NULL) {
                allocations.remove(Long.valueOf(scratch.address()));
                driver.free(scratch.address());
            }
            scratch = allocateBytes(Math.max(bytes, 1L << 20));
        }
        return scratch;
    }

    /** Device int32 scratch of at least count entries (reused; valid until the next embed or argmax). */
    MemorySegment allocateScratchInts(int count) {
        return thread.call(() -> ensureIds(count));
    }

    /** Index of the largest logit of each row (the lowest index on ties). */
    public int[] argmaxRows(Tensor logits) {
        int rows = logits.rows();
        return thread.call(() -> {
            MemorySegment out = ensureIds(rows);
            kernels.argmax(out, logits.data(), rows, logits.cols());
            driver.copyToHost(staging, out.address(), 4L * rows);
            return staging.asSlice(0, 4L * rows).toArray(ValueLayout.JAVA_INT);
        });
    }

    /** Only the index crosses the bus: 4 bytes per decode step instead of the vocabulary's logits. */
    @Override
    public int argmax(Tensor x) {
        if (x.dtype() != DType.F32 || x.numel() == 0 || x.numel() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("argmax: tensor " + x + " must be F32 with 1 … 2^31 − 1 elements");
        }
        return argmaxRows(x.reshape(1, x.numel()))[0];
    }

    /** Sampling on the device: the logits stay there and only the drawn token crosses the bus. */
    @Override
    public int draw(Tensor logits, NucleusDraw draw, double u) {
        if (logits.dtype() != DType.F32 || logits.numel() == 0 || logits.numel() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("draw: tensor " + logits + " must be F32 with 1 … 2^31 − 1 elements");
        }
        int cols = Math.toIntExact(logits.numel());
        return thread.call(() -> {
            MemorySegment out = ensureIds(1);
            kernels.sampleNucleus(out, logits.data(), 1, cols, draw.temperature(), draw.topK(), draw.topP(), (float) u);
            driver.copyToHost(staging, out.address(), 4L);
            return staging.get(ValueLayout.JAVA_INT, 0);
        });
    }

    /**
     * Pillow-exact resize of an interleaved u8 image in device memory (SPEC §2.3): horizontal pass
     * first, vertical first for very tall images that shrink, an unchanged axis skipped.
     */
    public void resize(MemorySegment dst, MemorySegment src, int inWidth, int inHeight, int outWidth, int outHeight,
            int channels, ResampleFilter filter) {
        List<ResizePass> passes = ResizePass.plan(inWidth, inHeight, outWidth, outHeight, filter);
        thread.run(() -> {
            if (passes.isEmpty()) {
                driver.copyOnDevice(dst.address(), src.address(), (long) inWidth * inHeight * channels);
                return;
            }
            List<MemorySegment> temporary = new ArrayList<>();
            try {
                MemorySegment current = src;
                for (int p = 0; p < passes.size(); p++) {
                    ResizePass pass = passes.get(p);
                    MemorySegment target = p == passes.size() - 1 ? dst
                            : temp(temporary, (long) pass.outWidth() * pass.outHeight() * channels);
                    MemorySegment bounds = temp(temporary, 4L * pass.tables().bounds().length);
                    MemorySegment coeffs = temp(temporary, 4L * pass.tables().coeffs().length);
                    uploadInts(bounds, pass.tables().bounds());
                    uploadInts(coeffs, pass.tables().coeffs());
                    kernels.resample(target, current, pass, bounds, coeffs, channels);
                    driver.synchronize();  // the tables are freed below
                    current = target;
                }
            } finally {
                for (MemorySegment t : temporary) {
                    free(t);
                }
            }
        });
    }

    private MemorySegment temp(List<MemorySegment> temporary, long bytes) {
        MemorySegment segment = allocateBytes(bytes);
        temporary.add(segment);
        return segment;
    }

    private void uploadInts(MemorySegment device, int[] values) {
        for (int done = 0; done < values.length; done += (int) (STAGING_BYTES / 4)) {
            int n = (int) Math.min(STAGING_BYTES / 4, values.length - done);
            MemorySegment.copy(values, done, staging, ValueLayout.JAVA_INT, 0, n);
            driver.copyToDevice(device.address() + 4L * done, staging, 4L * n);
        }
    }

    /**
     * pixel_values (SPEC §2.4-2.5) of an interleaved u8 image in device memory into out,
     * [patches, channels·temporal·patch²]; mean and std per channel.
     */
    public void normalizePatchify(Tensor out, MemorySegment image, int width, int height, int channels, int patch,
            int merge, int temporal, double[] mean, double[] std) {
        float[] lut = NormalizeTable.compute(mean, std);
        thread.run(() -> {
            MemorySegment table = allocateBytes(4L * lut.length);
            try {
                MemorySegment.copy(lut, 0, staging, ValueLayout.JAVA_FLOAT, 0, lut.length);
                driver.copyToDevice(table.address(), staging, 4L * lut.length);
                kernels.normalizePatchify(out.data(), image, table, width, height, channels, patch, merge, temporal);
                driver.synchronize();
            } finally {
                free(table);
            }
        });
    }

    /**
     * Median milliseconds of work (launches made on the CUDA thread) over runs timed with CUDA events,
     * after warmup untimed runs.
     */
    public double medianMillis(int warmup, int runs, Runnable work) {
        return thread.call(() -> {
            MemorySegment start = driver.createEvent();
            MemorySegment end = driver.createEvent();
            try {
                for (int i = 0; i < warmup; i++) {
                    work.run();
                }
                double[] times = new double[runs];
                for (int i = 0; i < runs; i++) {
                    driver.recordEvent(start);
                    work.run();
                    driver.recordEvent(end);
                    times[i] = driver.elapsedMillis(start, end);
                }
                java.util.Arrays.sort(times);
                return times[runs / 2];
            } finally {
                driver.destroyEvent(start);
                driver.destroyEvent(end);
            }
        });
    }

    /** Device name, compute capability, multiprocessors, and free/total memory, for reports. */
    public String describeDevice() {
        return thread.call(() -> {
            long[] memory = driver.memoryInfo();
            return deviceName + ", sm_" + driver.deviceAttribute(CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device)
                    + driver.deviceAttribute(CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device) + ", "
                    + driver.deviceAttribute(CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT, device) + " SMs, "
                    + (memory[0] >> 20) + " MiB free of " + (memory[1] >> 20) + ", driver "
                    + driver.driverVersion();
        });
    }

    /** Free device memory in bytes. */
    public long freeMemory() {
        return thread.call(() -> driver.memoryInfo()[0]);
    }

    /** Waits for every launched kernel; a kernel's fault surfaces here as a CudaException. */
    public void synchronize() {
        thread.run(driver::synchronize);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CudaException pending = null;
        try {
            synchronize();
        } catch (CudaException e) {
            pending = e;  // still free everything, then report it
        }
        try {
            thread.run(() -> {
                for (long p : allocations) {
                    driver.free(p);
                }
                allocations.clear();
                driver.freeHost(staging);
                driver.unloadModule(module);
                driver.releasePrimaryContext(device);
            });
        } finally {
            thread.close();
        }
        if (pending != null) {
            throw pending;
        }
    }
}
