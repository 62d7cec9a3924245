package dev.glimpse.backend.cpu;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend: Vector API kernels of one width (128, 256 or 512 bits) run on a fixed {@link WorkerPool}.
 * Matmul and attention live in {@link VectorMatmul} and {@link VectorAttention}; the row and element-wise
 * ops are here. Ops smaller than {@link #PARALLEL_MIN} elements run on the calling thread.
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

    private final VectorLoads loads;
    private final VectorSpecies<Float> species;
    private final WorkerPool pool;
    private final VectorMatmul matmul;
    private final VectorAttention attention;
    private final Arena arena = Arena.ofShared();

    /** The preferred vector width of this CPU and one thread per available processor. */
    public VectorBackend() {
        this(FloatVector.SPECIES_PREFERRED, Runtime.getRuntime().availableProcessors());
    }

    public VectorBackend(VectorSpecies<Float> species, int threads) {
        this.loads = VectorLoads.of(species);
        this.species = species;
        this.pool = new WorkerPool(threads);
        this.matmul = new VectorMatmul(loads, pool);
        this.attention = new VectorAttention(loads, pool);
    }

    @Override
    public String name() {
        return "cpu (Vector API " + species.vectorBitSize() + "-bit, " + pool.threads() + " threads)";
    }

    public VectorSpecies<Float> species() {
        return species;
    }

    public int threads() {
        return pool.threads();
    }

    @Override
    public Tensor allocate(String name, long... shape) {
        return new Tensor(name, DType.F32, shape, arena.allocate(Tensor.numel(shape) * Float.BYTES, 64));
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
                case BF16 -> {
                    int c = 0;
                    for (int bound = cols - cols % loads.lanes(); c < bound; c += loads.lanes()) {
                        loads.store(loads.bf16(from, (src + c) * 2), to, (dst + c) * Float.BYTES);
                    }
                    for (; c < cols; c++) {
                        to.setAtIndex(F32, dst + c, VectorLoads.bf16At(from, src + c));
                    }
                }
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
                rmsNormRow(out.data(), x.data(), (long) r * cols * Float.BYTES, cols, weight.data(), bf16, eps);
            }
        });
    }

    private void rmsNormRow(MemorySegment out, MemorySegment x, long rowAt, int cols, MemorySegment weight,
            boolean bf16, float eps) {
        int lanes = loads.lanes();
        int bound = cols - cols % lanes;
        FloatVector squares = FloatVector.zero(species);
        int c = 0;
        for (; c < bound; c += lanes) {
            FloatVector v = loads.f32(x, rowAt + (long) c * Float.BYTES);
            squares = v.fma(v, squares);
        }
        float sum = squares.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            float v = x.get(F32, rowAt + (long) c * Float.BYTES);
            sum += v * v;
        }
        float scale = (float) (1 / Math.sqrt(sum / cols + eps));
        for (c = 0; c < bound; c += lanes) {
            FloatVector w = bf16 ? loads.bf16(weight, (long) c * 2) : loads.f32(weight, (long) c * Float.BYTES);
            long at = rowAt + (long) c * Float.BYTES;
            loads.store(loads.f32(x, at).mul(scale).mul(w), out, at);
        }
        for (; c < cols; c++) {
            float w = bf16 ? VectorLoads.bf16At(weight, c) : weight.getAtIndex(F32, c);
            long at = rowAt + (long) c * Float.BYTES;
            out.set(F32, at, x.get(F32, at) * scale * w);
        }
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, int headDim) {
        OpChecks.rope(x, cos, sin, headDim);
        int cols = x.cols();
        forRows(x.rows(), cols, (worker, from, to) -> {
            for (int r = from; r < to; r++) {
                long angles = (long) r * headDim * Float.BYTES;
                for (int head = 0; head < cols; head += headDim) {
                    ropeHead(x.data(), ((long) r * cols + head) * Float.BYTES, cos.data(), sin.data(), angles, headDim);
                }
            }
        });
    }

    /** x' = x·cos + rotate_half(x)·sin for one head, rotate_half(x) = [−x[half:], x[:half]]. */
    private void ropeHead(MemorySegment x, long headAt, MemorySegment cos, MemorySegment sin, long anglesAt,
            int headDim) {
        int half = headDim / 2;
        long halfBytes = (long) half * Float.BYTES;
        for (int d = 0; d < half; d += loads.lanes()) {
            VectorMask<Float> m = species.indexInRange(d, half);
            long first = headAt + (long) d * Float.BYTES;
            long angle = anglesAt + (long) d * Float.BYTES;
            FloatVector x1 = loads.f32(x, first, m);
            FloatVector x2 = loads.f32(x, first + halfBytes, m);
            FloatVector newFirst = x1.mul(loads.f32(cos, angle, m)).sub(x2.mul(loads.f32(sin, angle, m)));
            FloatVector newSecond = x2.mul(loads.f32(cos, angle + halfBytes, m))
                    .add(x1.mul(loads.f32(sin, angle + halfBytes, m)));
            loads.store(newFirst, x, first, m);
            loads.store(newSecond, x, first + halfBytes, m);
        }
    }

    @Override
    public void swiglu(Tensor out, Tensor gate, Tensor up) {
        OpChecks.f32("swiglu", out);
        OpChecks.f32("swiglu", gate);
        OpChecks.f32("swiglu", up);
        OpChecks.sameNumel("swiglu", out, gate);
        OpChecks.sameNumel("swiglu", out, up);
        forElements(out.numel(), (start, end) -> {
            for (long i = start; i < end; i += loads.lanes()) {
                VectorMask<Float> m = species.indexInRange(i, end);
                long at = i * Float.BYTES;
                FloatVector g = loads.f32(gate.data(), at, m);
                FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
                loads.store(silu.mul(loads.f32(up.data(), at, m)), out.data(), at, m);
            }
        });
    }

    @Override
    public void gelu(Tensor x) {
        OpChecks.f32("gelu", x);
        forElements(x.numel(), (start, end) -> {
            for (long i = start; i < end; i += loads.lanes()) {
                VectorMask<Float> m = species.indexInRange(i, end);
                long at = i * Float.BYTES;
                loads.store(VectorGelu.gelu(loads.f32(x.data(), at, m)), x.data(), at, m);
            }
        });
    }

    @Override
    public void add(Tensor x, Tensor y) {
        OpChecks.f32("add", x);
        OpChecks.f32("add", y);
        OpChecks.sameNumel("add", x, y);
        forElements(x.numel(), (start, end) -> {
            for (long i = start; i < end; i += loads.lanes()) {
                VectorMask<Float> m = species.indexInRange(i, end);
                long at = i * Float.BYTES;
                loads.store(loads.f32(x.data(), at, m).add(loads.f32(y.data(), at, m)), x.data(), at, m);
            }
        });
    }

    @Override
    public void softmax(Tensor x) {
        OpChecks.f32("softmax", x);
        int cols = x.cols();
        forRows(x.rows(), cols, (worker, from, to) -> {
            for (int r = from; r < to; r++) {
                softmaxRow(x.data(), (long) r * cols * Float.BYTES, cols);
            }
        });
    }

    private void softmaxRow(MemorySegment x, long rowAt, int cols) {
        int lanes = loads.lanes();
        int bound = cols - cols % lanes;
        FloatVector maxes = FloatVector.broadcast(species, Float.NEGATIVE_INFINITY);
        int c = 0;
        for (; c < bound; c += lanes) {
            maxes = maxes.max(loads.f32(x, rowAt + (long) c * Float.BYTES));
        }
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (; c < cols; c++) {
            max = Math.max(max, x.get(F32, rowAt + (long) c * Float.BYTES));
        }
        FloatVector sums = FloatVector.zero(species);
        for (c = 0; c < bound; c += lanes) {
            long at = rowAt + (long) c * Float.BYTES;
            FloatVector e = loads.f32(x, at).sub(max).lanewise(VectorOperators.EXP);
            loads.store(e, x, at);
            sums = sums.add(e);
        }
        float sum = sums.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            long at = rowAt + (long) c * Float.BYTES;
            float e = (float) Math.exp(x.get(F32, at) - max);
            x.set(F32, at, e);
            sum += e;
        }
        float inverse = 1 / sum;
        for (c = 0; c < cols; c += lanes) {
            VectorMask<Float> m = species.indexInRange(c, cols);
            long at = rowAt + (long) c * Float.BYTES;
            loads.store(loads.f32(x, at, m).mul(inverse), x, at, m);
        }
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
