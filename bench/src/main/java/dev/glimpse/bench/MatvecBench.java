package dev.glimpse.bench;

import dev.glimpse.backend.cpu.VectorBackend;
import dev.glimpse.backend.cpu.WorkerPool;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decode matmul (one token): out[o] = w[o, :] · x, with the Vector API backend and, as the baseline in the
 * same run, a naive single-threaded Java loop. Shapes are out×in of Qwen2.5 layers (0.5B attention and MLP,
 * 7B attention). The backend cycles through enough copies of the weight (≥ 64 MB, twice the L3 cache) that
 * every call streams it from memory, as real decode does; the naive loop, far from memory-bound, uses one.
 * Scores are calls/s; the gflop and gbyte rows are GFLOP/s and GB/s of weight traffic. {@link #readBf16}
 * measures the ceiling in the same run: it only reads the same BF16 copies, with as many threads.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class MatvecBench {

    private static final long STREAMED_BYTES = 64L << 20;
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;
    /** Bytes per work item of {@link #readBf16}: four vectors. */
    private static final int READ_BLOCK = 4 * LONGS.vectorByteSize();

    @Param({"896x896", "4864x896", "896x4864", "3584x3584"})
    public String shape;

    /** Threads of the backend; 0 means one per available processor. */
    @Param({"0"})
    public int threads;

    private int outDim;
    private int inDim;
    private Arena arena;
    private VectorBackend backend;
    private WorkerPool readers;
    private long[] readSums;
    private Tensor[] f32;
    private Tensor[] bf16;
    private int next;
    private Tensor x;
    private Tensor out;
    private float[] naiveX;
    private float[] naiveOut;
    private float[] naiveF32;
    private short[] naiveBf16;

    @Setup(Level.Trial)
    public void setup() {
        String[] parts = shape.split("x");
        outDim = Integer.parseInt(parts[0]);
        inDim = Integer.parseInt(parts[1]);
        arena = Arena.ofShared();
        backend = threads == 0 ? new VectorBackend()
                : new VectorBackend(FloatVector.SPECIES_PREFERRED, threads);
        readers = new WorkerPool(backend.threads());
        readSums = new long[backend.threads()];
        Random random = new Random(42);
        naiveF32 = new float[outDim * inDim];
        naiveBf16 = new short[outDim * inDim];
        for (int i = 0; i < naiveF32.length; i++) {
            naiveF32[i] = (float) random.nextGaussian() * 0.05f;
            naiveBf16[i] = (short) (Float.floatToRawIntBits(naiveF32[i]) >>> 16);
        }
        f32 = copies(DType.F32);
        bf16 = copies(DType.BF16);
        naiveX = new float[inDim];
        for (int i = 0; i < inDim; i++) {
            naiveX[i] = (float) random.nextGaussian();
        }
        naiveOut = new float[outDim];
        x = backend.allocate("x", 1, inDim);
        backend.write(x, naiveX);
        out = backend.allocate("out", 1, outDim);
    }

    private Tensor[] copies(DType dtype) {
        long bytes = (long) outDim * inDim * dtype.bytes();
        Tensor[] all = new Tensor[(int) Math.max(1, (STREAMED_BYTES + bytes - 1) / bytes)];
        for (int c = 0; c < all.length; c++) {
            MemorySegment data = arena.allocate(bytes, 64);
            if (dtype == DType.F32) {
                MemorySegment.copy(naiveF32, 0, data, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, naiveF32.length);
            } else {
                MemorySegment.copy(naiveBf16, 0, data, ValueLayout.JAVA_SHORT_UNALIGNED, 0, naiveBf16.length);
            }
            all[c] = new Tensor("w" + c, dtype, new long[] {outDim, inDim}, data);
        }
        return all;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        readers.close();
        backend.close();
        arena.close();
    }

    private Tensor nextOf(Tensor[] weights) {
        next = (next + 1) % weights.length;
        return weights[next];
    }

    @Benchmark
    public Tensor vectorF32(Traffic traffic) {
        backend.matmul(out, x, nextOf(f32), null);
        traffic.add(2.0 * outDim * inDim, 4.0 * outDim * inDim);
        return out;
    }

    @Benchmark
    public Tensor vectorBf16(Traffic traffic) {
        backend.matmul(out, x, nextOf(bf16), null);
        traffic.add(2.0 * outDim * inDim, 2.0 * outDim * inDim);
        return out;
    }

    /** Reads the next BF16 copy and does nothing else: the memory bandwidth a matvec can reach. */
    @Benchmark
    public long readBf16(Traffic traffic) {
        MemorySegment w = nextOf(bf16).data();
        int blocks = (int) (w.byteSize() / READ_BLOCK);
        readers.parallelFor(blocks, (worker, from, to) -> readSums[worker] = sum(w, from, to));
        traffic.add(0, (double) blocks * READ_BLOCK);
        long all = 0;
        for (long partial : readSums) {
            all += partial;
        }
        return all;
    }

    private static long sum(MemorySegment data, int fromBlock, int toBlock) {
        LongVector a0 = LongVector.zero(LONGS);
        LongVector a1 = a0;
        LongVector a2 = a0;
        LongVector a3 = a0;
        long step = LONGS.vectorByteSize();
        for (long at = (long) fromBlock * READ_BLOCK; at < (long) toBlock * READ_BLOCK; at += READ_BLOCK) {
            a0 = a0.add(LongVector.fromMemorySegment(LONGS, data, at, ByteOrder.nativeOrder()));
            a1 = a1.add(LongVector.fromMemorySegment(LONGS, data, at + step, ByteOrder.nativeOrder()));
            a2 = a2.add(LongVector.fromMemorySegment(LONGS, data, at + 2 * step, ByteOrder.nativeOrder()));
            a3 = a3.add(LongVector.fromMemorySegment(LONGS, data, at + 3 * step, ByteOrder.nativeOrder()));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public float[] naiveF32(Traffic traffic) {
        for (int o = 0; o < outDim; o++) {
            float sum = 0;
            for (int i = 0; i < inDim; i++) {
                sum += naiveF32[o * inDim + i] * naiveX[i];
            }
            naiveOut[o] = sum;
        }
        traffic.add(2.0 * outDim * inDim, 4.0 * outDim * inDim);
        return naiveOut;
    }

    @Benchmark
    public float[] naiveBf16(Traffic traffic) {
        for (int o = 0; o < outDim; o++) {
            float sum = 0;
            for (int i = 0; i < inDim; i++) {
                sum += Float.intBitsToFloat(naiveBf16[o * inDim + i] << 16) * naiveX[i];
            }
            naiveOut[o] = sum;
        }
        traffic.add(2.0 * outDim * inDim, 2.0 * outDim * inDim);
        return naiveOut;
    }
}
