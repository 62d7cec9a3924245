package dev.glimpse.backend.cpu;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend: Vector API kernels of one width (128, 256 or 512 bits, see {@link VectorKernels}) run on
 * a fixed {@link WorkerPool}. This class checks arguments and splits work; matmul and attention are planned
 * in {@link VectorMatmul} and {@link VectorAttention}. Ops smaller than {@link #PARALLEL_MIN} elements run on
 * the calling thread.
 *
 * <p>Weights: F32 and BF16 are used in place (BF16 is widened in registers). F16 has no fast widening in
 * the Vector API, so {@link #upload} widens an F16 weight once into an F32 copy in this backend's arena,
 * which doubles its memory; embed also reads F16 tables directly.
 */
public final class VectorBackend implements Backend {

    /** Below this many elements, waking the workers costs more than the op. */
    private static final long PARALLEL_MIN = 1 << 15;
    /** Elements per parallel work item of element-wise ops (a multiple of every vector length). */
    private static final int BLOCK = 4096;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final VectorKernels kernels;
    private final WorkerPool pool;
    private final VectorMatmul matmul;
    private final VectorAttention attention;
    private final Arena arena = Arena.ofShared();
    private final HostAllocations allocations = new HostAllocations();

    /** The preferred vector width of this CPU and one thread per available processor. */
    public VectorBackend() {
        this(FloatVector.SPECIES_PREFERRED, Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param species the float species of the kernels: 128, 256 or 512 bits (FloatVector.SPECIES_128 …)
     * @param threads threads in the worker pool, the calling thread included (≥ 1)
     */
    public VectorBackend(VectorSpecies<Float> species, int threads) {
        this.kernels = VectorKernels.of(species);
        this.pool = new WorkerPool(threads);
        this.matmul = new VectorMatmul(kernels, pool);
        this.attention = new VectorAttention(kernels, pool);
    }

    @Override
    public String name() {
        return "cpu (Vector API " + kernels.species().vectorBitSize() + "-bit, " + pool.threads() + " threads)";
    }

    public VectorSpecies<Float> species() {
        return kernels.species();
    }

    public int threads() {
        return pool.threads();
    }

    @Override
    public Tensor allocate(String name, long... shape) {
        return allocations.allocate(name, shape);
    }

    @Override
    public void release(Tensor allocated) {
        allocations.release(allocated);
    }

    /** F32 and BF16 weights as they are; F16 widened into a new F32 tensor owned by this backend. */
    @Override
    public Tensor upload(Tensor hostWeight) {
        if (hostWeight.dtype() != DType.F16) {
            return hostWeight;
        }
        Tensor wide = allocate(hostWeight.name(), hostWeight.shape());
        MemorySegment from = hostWeight.data();
        MemorySegment to = wide.data();
        forElements(hostWeight.numel(), (start, end) -> {
            for (long i = start; i < end; i++) {
                to.setAtIndex(F32, i, Float.float16ToFloat(from.getAtIndex(U16, i)));
            }
        });
        return wide;
    }

    @Override
    public void write(Tensor dst, float[] src) {
        OpChecks.f32("write", dst);
        OpChecks.vector("write", dst, src.length);
        MemorySegment.copy(src, 0, dst.data(), F32, 0, src.length);
    }

    @Override
    public void read(Tensor src, float[] dst) {
        OpChecks.f32("read", src);
        OpChecks.vector("read", src, dst.length);
        MemorySegment.copy(src.data(), F32, 0, dst, 0, dst.length);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        OpChecks.f32("copy", dst);
        OpChecks.f32("copy", src);
        OpChecks.sameNumel("copy", dst, src);
        MemorySegment.copy(src.data(), 0, dst.data(), 0, src.data().byteSize());
    }

    @Override
    public void embed(Tensor out, Tensor table, int[] ids) {
        OpChecks.embed(out, table, ids);
        int cols = table.cols();
        MemorySegment from = table.data();
        MemorySegment to = out.data();
        for (int i = 0; i < ids.length; i++) {
            long src = (long) ids[i] * cols;
            long dst = (long) i * cols;
            switch (table.dtype()) {
                case F32 -> MemorySegment.copy(from, src * Float.BYTES, to, dst * Float.BYTES, (long) cols * Float.BYTES);
                case BF16 -> kernels.bf16ToF32(from, src, to, dst, cols);
                case F16 -> {
                    for (int c = 0; c < cols; c++) {
                        to.setAtIndex(F32, dst + c, Float.float16ToFloat(from.getAtIndex(U16, src + c)));
                    }
                }
            }
        }
    }

    @Override
    public void matmul(Tensor out, Tensor x, Tensor w, Tensor bias) {
        OpChecks.matmul(out, x, w, bias);
        if (bias != null && bias.dtype() == DType.F16) {
            throw notUploaded("matmul bias", bias);
        }
        matmul.run(out, x, w, bias);
    }

    @Override
    public void rmsNorm(Tensor out, Tensor x, Tensor weight, float eps) {
        OpChecks.rmsNorm(out, x, weight);
        if (weight.dtype() == DType.F16) {
            throw notUploaded("rmsNorm", weight);
        }
        boolean bf16 = weight.dtype() == DType.BF16;
        int cols = x.cols();
        forRows(x.rows(), cols, (worker, from, to) -> {
            for (int r = from; r < to; r++) {
                kernels.rmsNormRow(out.data(), x.data(), (long) r * cols * Float.BYTES, cols, weight.data(), bf16, eps);
            }
        });
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, int headDim) {
        OpChecks.rope(x, cos, sin, headDim);
        int cols = x.cols();
        forRows(x.rows(), cols, (worker, from, to) -> {
            for (int r = from; r < to; r++) {
                long angles = (long) r * headDim * Float.BYTES;
                for (int head = 0; head < cols; head += headDim) {
                    long headAt = ((long) r * cols + head) * Float.BYTES;
                    kernels.ropeHead(x.data(), headAt, cos.data(), sin.data(), angles, headDim);
                }
            }
        });
    }

    @Override
    public void swiglu(Tensor out, Tensor gate, Tensor up) {
        OpChecks.f32("swiglu", out);
        OpChecks.f32("swiglu", gate);
        OpChecks.f32("swiglu", up);
        OpChecks.sameNumel("swiglu", out, gate);
        OpChecks.sameNumel("swiglu", out, up);
        forElements(out.numel(), (start, end) -> kernels.swiglu(out.data(), gate.data(), up.data(), start, end));
    }

    @Override
    public void gelu(Tensor x) {
        OpChecks.f32("gelu", x);
        forElements(x.numel(), (start, end) -> kernels.gelu(x.data(), start, end));
    }

    @Override
    public void add(Tensor x, Tensor y) {
        OpChecks.f32("add", x);
        OpChecks.f32("add", y);
        OpChecks.sameNumel("add", x, y);
        forElements(x.numel(), (start, end) -> kernels.add(x.data(), y.data(), start, end));
    }

    @Override
    public void softmax(Tensor x) {
        OpChecks.f32("softmax", x);
        int cols = x.cols();
        forRows(x.rows(), cols, (worker, from, to) -> {
            for (int r = from; r < to; r++) {
                kernels.softmaxRow(x.data(), (long) r * cols * Float.BYTES, cols);
            }
        });
    }

    /** A scalar pass: one row of logits per decode step is far below what threads or vectors would pay for. */
    @Override
    public int argmax(Tensor x) {
        OpChecks.argmax(x);
        MemorySegment data = x.data();
        int n = Math.toIntExact(x.numel());
        int best = 0;
        float bestValue = data.getAtIndex(F32, 0);
        for (int i = 1; i < n; i++) {
            float v = data.getAtIndex(F32, i);
            if (v > bestValue) {
                best = i;
                bestValue = v;
            }
        }
        return best;
    }

    @Override
    public void attention(Tensor out, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int headDim, float scale,
            int causalOffset) {
        OpChecks.attention(out, q, k, v, heads, kvHeads, headDim, causalOffset);
        attention.run(out, q, k, v, heads, kvHeads, headDim, scale, causalOffset);
    }

    /** Stops the workers and frees every tensor this backend allocated. */
    @Override
    public void close() {
        allocations.close();
        pool.close();
        arena.close();
    }

    @FunctionalInterface
    private interface ElementRange {
        void run(long start, long end);
    }

    /** Runs op over [0, count) in blocks of {@link #BLOCK} elements, in parallel when count is large. */
    private void forElements(long count, ElementRange op) {
        if (count < PARALLEL_MIN) {
            op.run(0, count);
            return;
        }
        int blocks = Math.toIntExact((count + BLOCK - 1) / BLOCK);
        pool.parallelFor(blocks, (worker, from, to) -> op.run((long) from * BLOCK, Math.min((long) to * BLOCK, count)));
    }

    /** Runs body over rows [0, rows), in parallel when the rows hold enough elements together. */
    private void forRows(int rows, int cols, WorkerPool.IntRangeBody body) {
        if ((long) rows * cols < PARALLEL_MIN) {
            body.run(0, 0, rows);
        } else {
            pool.parallelFor(rows, body);
        }
    }

    private static IllegalArgumentException notUploaded(String op, Tensor t) {
        return new IllegalArgumentException(op + ": F16 tensor " + t
                + " must be passed through Backend.upload() first (it widens F16 to F32)");
    }
}
