package dev.glimpse.bench;

import dev.glimpse.backend.cpu.VectorBackend;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
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
 * Prefill matmul: out[n, o] = x[n, :] · w[o, :] for a block of tokens, with the Vector API backend and, as
 * the baseline in the same run, a naive single-threaded Java loop. Shapes are tokens×out×in: 64×896×896
 * (Qwen2.5-0.5B attention), 64×1280×1176 (the vision patch embedding, 3·2·14·14 → 1280), 256×3584×3584 and
 * 256×18944×3584 (a Qwen2.5-VL-7B prefill: attention, MLP up), 1024×3420×1280 (the 7B vision tower's MLP on
 * a 448² image). Scores are calls/s; the gflop row is GFLOP/s (compare with the machine's fp32 GEMM peak of
 * ~163 GFLOP/s on 2 cores). The naive loop computes at most {@link #NAIVE_TOKENS} tokens per call (its rate
 * does not depend on the count), so that it stays in seconds on the large shapes.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class MatmulBench {

    /** Tokens the naive baseline computes per call at most. */
    static final int NAIVE_TOKENS = 4;

    @Param({"64x896x896", "64x1280x1176", "256x3584x3584", "256x18944x3584", "1024x3420x1280"})
    public String shape;

    /** Threads of the backend; 0 means one per available processor. */
    @Param({"0"})
    public int threads;

    private int tokens;
    private int outDim;
    private int inDim;
    private Arena arena;
    private VectorBackend backend;
    private Tensor f32;
    private Tensor bf16;
    private Tensor x;
    private Tensor out;
    private float[] naiveX;
    private float[] naiveOut;
    private float[] naiveF32;
    private short[] naiveBf16;

    @Setup(Level.Trial)
    public void setup() {
        String[] parts = shape.split("x");
        tokens = Integer.parseInt(parts[0]);
        outDim = Integer.parseInt(parts[1]);
        inDim = Integer.parseInt(parts[2]);
        arena = Arena.ofShared();
        backend = threads == 0 ? new VectorBackend() : new VectorBackend(FloatVector.SPECIES_PREFERRED, threads);
        Random random = new Random(42);
        naiveF32 = new float[outDim * inDim];
        naiveBf16 = new short[outDim * inDim];
        for (int i = 0; i < naiveF32.length; i++) {
            naiveF32[i] = (float) random.nextGaussian() * 0.05f;
            naiveBf16[i] = (short) (Float.floatToRawIntBits(naiveF32[i]) >>> 16);
        }
        MemorySegment f32Data = arena.allocate((long) naiveF32.length * Float.BYTES, 64);
        MemorySegment.copy(naiveF32, 0, f32Data, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, naiveF32.length);
        f32 = new Tensor("w", DType.F32, new long[] {outDim, inDim}, f32Data);
        MemorySegment bf16Data = arena.allocate((long) naiveBf16.length * 2, 64);
        MemorySegment.copy(naiveBf16, 0, bf16Data, ValueLayout.JAVA_SHORT_UNALIGNED, 0, naiveBf16.length);
        bf16 = new Tensor("w", DType.BF16, new long[] {outDim, inDim}, bf16Data);
        naiveX = new float[tokens * inDim];
        for (int i = 0; i < naiveX.length; i++) {
            naiveX[i] = (float) random.nextGaussian();
        }
        naiveOut = new float[tokens * outDim];
        x = backend.allocate("x", tokens, inDim);
        backend.write(x, naiveX);
        out = backend.allocate("out", tokens, outDim);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }

    private double flops(int rows) {
        return 2.0 * rows * outDim * inDim;
    }

    @Benchmark
    public Tensor vectorF32(Traffic traffic) {
        backend.matmul(out, x, f32, null);
        traffic.add(flops(tokens), 4.0 * outDim * inDim);
        return out;
    }

    @Benchmark
    public Tensor vectorBf16(Traffic traffic) {
        backend.matmul(out, x, bf16, null);
        traffic.add(flops(tokens), 2.0 * outDim * inDim);
        return out;
    }

    @Benchmark
    public float[] naiveF32(Traffic traffic) {
        for (int n = 0; n < Math.min(tokens, NAIVE_TOKENS); n++) {
            for (int o = 0; o < outDim; o++) {
                float sum = 0;
                for (int i = 0; i < inDim; i++) {
                    sum += naiveF32[o * inDim + i] * naiveX[n * inDim + i];
                }
                naiveOut[n * outDim + o] = sum;
            }
        }
        traffic.add(flops(Math.min(tokens, NAIVE_TOKENS)), 4.0 * outDim * inDim);
        return naiveOut;
    }

    @Benchmark
    public float[] naiveBf16(Traffic traffic) {
        for (int n = 0; n < Math.min(tokens, NAIVE_TOKENS); n++) {
            for (int o = 0; o < outDim; o++) {
                float sum = 0;
                for (int i = 0; i < inDim; i++) {
                    sum += Float.intBitsToFloat(naiveBf16[o * inDim + i] << 16) * naiveX[n * inDim + i];
                }
                naiveOut[n * outDim + o] = sum;
            }
        }
        traffic.add(flops(Math.min(tokens, NAIVE_TOKENS)), 2.0 * outDim * inDim);
        return naiveOut;
    }
}
