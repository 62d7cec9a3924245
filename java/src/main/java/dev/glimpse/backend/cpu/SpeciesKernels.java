package dev.glimpse.backend.cpu;

import java.lang.constant.ConstantDescs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The source of {@link VectorKernels}, never used directly: {@link VectorKernels#of} defines it as a hidden
 * class once per vector width, with that width's species as class data, so {@link #FLOATS} is a true
 * constant to the JIT. Keep it free of lambdas and nested classes (they would not be part of the copy).
 */
final class SpeciesKernels implements VectorKernels {

    static final VectorSpecies<Float> FLOATS = classData();
    private static final int LANES = FLOATS.length();
    /** BF16 loads read half as many bytes as a float vector holds. */
    private static final VectorSpecies<Short> HALF_SHORTS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final long STEP = (long) LANES * Float.BYTES;
    private static final long BF16_STEP = (long) LANES * 2;
    /** Tokens in a packed strip of the blocked matmul: two vectors. */
    private static final int STRIP = 2 * LANES;

    /**
     * P(t) of the erfc fit of Numerical Recipes (2nd ed., §6.2, "erfcc"), constant term first:
     * erfc(z) ≈ t·exp(−z² + P(t)), t = 1/(1 + z/2), relative error below 1.2e-7 for every z ≥ 0.
     */
    private static final float[] ERFC = {
        -1.26551223f, 1.00002368f, 0.37409196f, 0.09678418f, -0.18628806f,
        0.27886807f, -1.13520398f, 1.48851587f, -0.82215223f, 0.17087277f,
    };

    @SuppressWarnings("unchecked")
    private static VectorSpecies<Float> classData() {
        try {
            VectorSpecies<Float> species =
                    MethodHandles.classData(MethodHandles.lookup(), ConstantDescs.DEFAULT_NAME, VectorSpecies.class);
            if (species == null) {
                throw new IllegalStateException("SpeciesKernels must be loaded through VectorKernels.of(species)");
            }
            return species;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public VectorSpecies<Float> species() {
        return FLOATS;
    }

    private static FloatVector f32(MemorySegment segment, long at) {
        return FloatVector.fromMemorySegment(FLOATS, segment, at, ORDER);
    }

    /** Lanes outside the mask read as 0 and touch no memory. */
    private static FloatVector f32(MemorySegment segment, long at, VectorMask<Float> mask) {
        return FloatVector.fromMemorySegment(FLOATS, segment, at, ORDER, mask);
    }

    /**
     * BF16 is the top half of an F32: load shorts, sign-extend to ints (the extension is shifted out),
     * shift left 16, reinterpret as floats.
     */
    private static FloatVector bf16(MemorySegment segment, long at) {
        return ((IntVector) ShortVector.fromMemorySegment(HALF_SHORTS, segment, at, ORDER)
                .convertShape(VectorOperators.S2I, INTS, 0))
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    private static float bf16At(MemorySegment segment, long index) {
        return Float.intBitsToFloat(segment.getAtIndex(U16, index) << 16);
    }

    @Override
    public float dotF32(MemorySegment x, long xAt, MemorySegment w, long wAt, int k) {
        // Four accumulators keep four FMAs (and their loads) in flight.
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (int bound = k - k % (4 * LANES); i < bound; i += 4 * LANES) {
            long xo = xAt + (long) i * Float.BYTES;
            long wo = wAt + (long) i * Float.BYTES;
            a0 = f32(w, wo).fma(f32(x, xo), a0);
            a1 = f32(w, wo + STEP).fma(f32(x, xo + STEP), a1);
            a2 = f32(w, wo + 2 * STEP).fma(f32(x, xo + 2 * STEP), a2);
            a3 = f32(w, wo + 3 * STEP).fma(f32(x, xo + 3 * STEP), a3);
        }
        for (int bound = k - k % LANES; i < bound; i += LANES) {
            a0 = f32(w, wAt + (long) i * Float.BYTES).fma(f32(x, xAt + (long) i * Float.BYTES), a0);
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            sum += x.get(F32, xAt + (long) i * Float.BYTES) * w.get(F32, wAt + (long) i * Float.BYTES);
        }
        return sum;
    }

    @Override
    public float dotBf16(MemorySegment x, long xAt, MemorySegment w, long wAt, int k) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (int bound = k - k % (4 * LANES); i < bound; i += 4 * LANES) {
            long xo = xAt + (long) i * Float.BYTES;
            long wo = wAt + (long) i * 2;
            a0 = bf16(w, wo).fma(f32(x, xo), a0);
            a1 = bf16(w, wo + BF16_STEP).fma(f32(x, xo + STEP), a1);
            a2 = bf16(w, wo + 2 * BF16_STEP).fma(f32(x, xo + 2 * STEP), a2);
            a3 = bf16(w, wo + 3 * BF16_STEP).fma(f32(x, xo + 3 * STEP), a3);
        }
        for (int bound = k - k % LANES; i < bound; i += LANES) {
            a0 = bf16(w, wAt + (long) i * 2).fma(f32(x, xAt + (long) i * Float.BYTES), a0);
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            sum += x.get(F32, xAt + (long) i * Float.BYTES) * bf16At(w, wAt / 2 + i);
        }
        return sum;
    }

    @Override
    public void fourRowsF32(MemorySegment x, long xAt, MemorySegment w, long wAt, long wStride, int k,
            MemorySegment out, long outAt) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (int bound = k - k % LANES; i < bound; i += LANES) {
            FloatVector xv = f32(x, xAt + (long) i * Float.BYTES);
            long wo = wAt + (long) i * Float.BYTES;
            a0 = f32(w, wo).fma(xv, a0);
            a1 = f32(w, wo + wStride).fma(xv, a1);
            a2 = f32(w, wo + 2 * wStride).fma(xv, a2);
            a3 = f32(w, wo + 3 * wStride).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            float xi = x.get(F32, xAt + (long) i * Float.BYTES);
            long wo = wAt + (long) i * Float.BYTES;
            s0 += xi * w.get(F32, wo);
            s1 += xi * w.get(F32, wo + wStride);
            s2 += xi * w.get(F32, wo + 2 * wStride);
            s3 += xi * w.get(F32, wo + 3 * wStride);
        }
        storeFour(out, outAt, s0, s1, s2, s3);
    }

    @Override
    public void fourRowsBf16(MemorySegment x, long xAt, MemorySegment w, long wAt, long wStride, int k,
            MemorySegment out, long outAt) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (int bound = k - k % LANES; i < bound; i += LANES) {
            FloatVector xv = f32(x, xAt + (long) i * Float.BYTES);
            long wo = wAt + (long) i * 2;
            a0 = bf16(w, wo).fma(xv, a0);
            a1 = bf16(w, wo + wStride).fma(xv, a1);
            a2 = bf16(w, wo + 2 * wStride).fma(xv, a2);
            a3 = bf16(w, wo + 3 * wStride).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            float xi = x.get(F32, xAt + (long) i * Float.BYTES);
            long wi = wAt / 2 + i;
            s0 += xi * bf16At(w, wi);
            s1 += xi * bf16At(w, wi + wStride / 2);
            s2 += xi * bf16At(w, wi + wStride);
            s3 += xi * bf16At(w, wi + 3 * wStride / 2);
        }
        storeFour(out, outAt, s0, s1, s2, s3);
    }

    private static void storeFour(MemorySegment out, long at, float s0, float s1, float s2, float s3) {
        out.set(F32, at, s0);
        out.set(F32, at + Float.BYTES, s1);
        out.set(F32, at + 2 * Float.BYTES, s2);
        out.set(F32, at + 3 * Float.BYTES, s3);
    }

    @Override
    public void tileF32(MemorySegment x, long xAt, long xStride, MemorySegment w, long wAt, long wStride, int k,
            MemorySegment out, long outAt, long outStride, float b0, float b1) {
        FloatVector c00 = FloatVector.zero(FLOATS);
        FloatVector c10 = c00, c20 = c00, c30 = c00, c01 = c00, c11 = c00, c21 = c00, c31 = c00;
        int i = 0;
        for (int bound = k - k % LANES; i < bound; i += LANES) {
            long xo = xAt + (long) i * Float.BYTES;
            FloatVector x0 = f32(x, xo);
            FloatVector x1 = f32(x, xo + xStride);
            FloatVector x2 = f32(x, xo + 2 * xStride);
            FloatVector x3 = f32(x, xo + 3 * xStride);
            long wo = wAt + (long) i * Float.BYTES;
            FloatVector w0 = f32(w, wo);
            c00 = w0.fma(x0, c00);
            c10 = w0.fma(x1, c10);
            c20 = w0.fma(x2, c20);
            c30 = w0.fma(x3, c30);
            FloatVector w1 = f32(w, wo + wStride);
            c01 = w1.fma(x0, c01);
            c11 = w1.fma(x1, c11);
            c21 = w1.fma(x2, c21);
            c31 = w1.fma(x3, c31);
        }
        storeTile(out, outAt, outStride, b0, b1, c00, c10, c20, c30, c01, c11, c21, c31);
        if (i < k) {
            addTileTail(x, xAt, xStride, w, wAt, wStride, false, i, k, out, outAt, outStride);
        }
    }

    @Override
    public void tileBf16(MemorySegment x, long xAt, long xStride, MemorySegment w, long wAt, long wStride, int k,
            MemorySegment out, long outAt, long outStride, float b0, float b1) {
        FloatVector c00 = FloatVector.zero(FLOATS);
        FloatVector c10 = c00, c20 = c00, c30 = c00, c01 = c00, c11 = c00, c21 = c00, c31 = c00;
        int i = 0;
        for (int bound = k - k % LANES; i < bound; i += LANES) {
            long xo = xAt + (long) i * Float.BYTES;
            FloatVector x0 = f32(x, xo);
            FloatVector x1 = f32(x, xo + xStride);
            FloatVector x2 = f32(x, xo + 2 * xStride);
            FloatVector x3 = f32(x, xo + 3 * xStride);
            long wo = wAt + (long) i * 2;
            FloatVector w0 = bf16(w, wo);
            c00 = w0.fma(x0, c00);
            c10 = w0.fma(x1, c10);
            c20 = w0.fma(x2, c20);
            c30 = w0.fma(x3, c30);
            FloatVector w1 = bf16(w, wo + wStride);
            c01 = w1.fma(x0, c01);
            c11 = w1.fma(x1, c11);
            c21 = w1.fma(x2, c21);
            c31 = w1.fma(x3, c31);
        }
        storeTile(out, outAt, outStride, b0, b1, c00, c10, c20, c30, c01, c11, c21, c31);
        if (i < k) {
            addTileTail(x, xAt, xStride, w, wAt, wStride, true, i, k, out, outAt, outStride);
        }
    }

    private static void storeTile(MemorySegment out, long outAt, long outStride, float b0, float b1,
            FloatVector c00, FloatVector c10, FloatVector c20, FloatVector c30,
            FloatVector c01, FloatVector c11, FloatVector c21, FloatVector c31) {
        out.set(F32, outAt, b0 + c00.reduceLanes(VectorOperators.ADD));
        out.set(F32, outAt + outStride, b0 + c10.reduceLanes(VectorOperators.ADD));
        out.set(F32, outAt + 2 * outStride, b0 + c20.reduceLanes(VectorOperators.ADD));
        out.set(F32, outAt + 3 * outStride, b0 + c30.reduceLanes(VectorOperators.ADD));
        out.set(F32, outAt + Float.BYTES, b1 + c01.reduceLanes(VectorOperators.ADD));
        out.set(F32, outAt + outStride + Float.BYTES, b1 + c11.reduceLanes(VectorOperators.ADD));
        out.set(F32, outAt + 2 * outStride + Float.BYTES, b1 + c21.reduceLanes(VectorOperators.ADD));
        out.set(F32, outAt + 3 * outStride + Float.BYTES, b1 + c31.reduceLanes(VectorOperators.ADD));
    }

    /** Adds the scalar products of columns [from, k) to a stored 4 × 2 tile (k not a multiple of the lanes). */
    private static void addTileTail(MemorySegment x, long xAt, long xStride, MemorySegment w, long wAt, long wStride,
            boolean bf16, int from, int k, MemorySegment out, long outAt, long outStride) {
        for (int t = 0; t < 4; t++) {
            for (int j = 0; j < 2; j++) {
                long xRow = (xAt + t * xStride) / Float.BYTES;
                long wRow = (wAt + j * wStride) / (bf16 ? 2 : Float.BYTES);
                float sum = 0;
                for (int i = from; i < k; i++) {
                    float wi = bf16 ? bf16At(w, wRow + i) : w.getAtIndex(F32, wRow + i);
                    sum += x.getAtIndex(F32, xRow + i) * wi;
                }
                long at = outAt + t * outStride + (long) j * Float.BYTES;
                out.set(F32, at, out.get(F32, at) + sum);
            }
        }
    }

    @Override
    public int stripTokens() {
        return STRIP;
    }

    @Override
    public void gemmTile(float[] xp, int xpAt, float[] w, int wAt, int wStride, int rows, int k, float[] acc,
            int accAt, int accStride) {
        // Rows past the last valid one repeat it: their sums are computed and never stored. One named variable
        // per accumulator: an array of vectors would not stay in registers.
        int w0 = wAt + Math.min(0, rows - 1) * wStride;
        int w1 = wAt + Math.min(1, rows - 1) * wStride;
        int w2 = wAt + Math.min(2, rows - 1) * wStride;
        int w3 = wAt + Math.min(3, rows - 1) * wStride;
        int w4 = wAt + Math.min(4, rows - 1) * wStride;
        int w5 = wAt + Math.min(5, rows - 1) * wStride;
        FloatVector c0a = FloatVector.fromArray(FLOATS, acc, accAt + 0 * accStride);
        FloatVector c0b = FloatVector.fromArray(FLOATS, acc, accAt + 0 * accStride + LANES);
        FloatVector c1a = FloatVector.fromArray(FLOATS, acc, accAt + 1 * accStride);
        FloatVector c1b = FloatVector.fromArray(FLOATS, acc, accAt + 1 * accStride + LANES);
        FloatVector c2a = FloatVector.fromArray(FLOATS, acc, accAt + 2 * accStride);
        FloatVector c2b = FloatVector.fromArray(FLOATS, acc, accAt + 2 * accStride + LANES);
        FloatVector c3a = FloatVector.fromArray(FLOATS, acc, accAt + 3 * accStride);
        FloatVector c3b = FloatVector.fromArray(FLOATS, acc, accAt + 3 * accStride + LANES);
        FloatVector c4a = FloatVector.fromArray(FLOATS, acc, accAt + 4 * accStride);
        FloatVector c4b = FloatVector.fromArray(FLOATS, acc, accAt + 4 * accStride + LANES);
        FloatVector c5a = FloatVector.fromArray(FLOATS, acc, accAt + 5 * accStride);
        FloatVector c5b = FloatVector.fromArray(FLOATS, acc, accAt + 5 * accStride + LANES);
        for (int i = 0; i < k; i++) {
            FloatVector xa = FloatVector.fromArray(FLOATS, xp, xpAt + i * STRIP);
            FloatVector xb = FloatVector.fromArray(FLOATS, xp, xpAt + i * STRIP + LANES);
            FloatVector b;
            b = FloatVector.broadcast(FLOATS, w[w0 + i]);
            c0a = b.fma(xa, c0a);
            c0b = b.fma(xb, c0b);
            b = FloatVector.broadcast(FLOATS, w[w1 + i]);
            c1a = b.fma(xa, c1a);
            c1b = b.fma(xb, c1b);
            b = FloatVector.broadcast(FLOATS, w[w2 + i]);
            c2a = b.fma(xa, c2a);
            c2b = b.fma(xb, c2b);
            b = FloatVector.broadcast(FLOATS, w[w3 + i]);
            c3a = b.fma(xa, c3a);
            c3b = b.fma(xb, c3b);
            b = FloatVector.broadcast(FLOATS, w[w4 + i]);
            c4a = b.fma(xa, c4a);
            c4b = b.fma(xb, c4b);
            b = FloatVector.broadcast(FLOATS, w[w5 + i]);
            c5a = b.fma(xa, c5a);
            c5b = b.fma(xb, c5b);
        }
        c0a.intoArray(acc, accAt + 0 * accStride);
        c0b.intoArray(acc, accAt + 0 * accStride + LANES);
        c1a.intoArray(acc, accAt + 1 * accStride);
        c1b.intoArray(acc, accAt + 1 * accStride + LANES);
        c2a.intoArray(acc, accAt + 2 * accStride);
        c2b.intoArray(acc, accAt + 2 * accStride + LANES);
        c3a.intoArray(acc, accAt + 3 * accStride);
        c3b.intoArray(acc, accAt + 3 * accStride + LANES);
        c4a.intoArray(acc, accAt + 4 * accStride);
        c4b.intoArray(acc, accAt + 4 * accStride + LANES);
        c5a.intoArray(acc, accAt + 5 * accStride);
        c5b.intoArray(acc, accAt + 5 * accStride + LANES);
    }

    @Override
    public float maxOf(float[] s, int from, int length) {
        FloatVector maxes = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (int bound = length - length % LANES; j < bound; j += LANES) {
            maxes = maxes.max(FloatVector.fromArray(FLOATS, s, from + j));
        }
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (; j < length; j++) {
            max = Math.max(max, s[from + j]);
        }
        return max;
    }

    @Override
    public float expMinusMax(float[] s, int from, int length, float max) {
        FloatVector sums = FloatVector.zero(FLOATS);
        int j = 0;
        for (int bound = length - length % LANES; j < bound; j += LANES) {
            FloatVector e = FloatVector.fromArray(FLOATS, s, from + j).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(s, from + j);
            sums = sums.add(e);
        }
        float sum = sums.reduceLanes(VectorOperators.ADD);
        for (; j < length; j++) {
            s[from + j] = (float) Math.exp(s[from + j] - max);
            sum += s[from + j];
        }
        return sum;
    }

    @Override
    public void addScaled(float[] acc, float a, MemorySegment v, long vAt, int length) {
        FloatVector scale = FloatVector.broadcast(FLOATS, a);
        int d = 0;
        for (int bound = length - length % LANES; d < bound; d += LANES) {
            f32(v, vAt + (long) d * Float.BYTES).fma(scale, FloatVector.fromArray(FLOATS, acc, d)).intoArray(acc, d);
        }
        for (; d < length; d++) {
            acc[d] += a * v.get(F32, vAt + (long) d * Float.BYTES);
        }
    }

    @Override
    public void rmsNormRow(MemorySegment out, MemorySegment x, long rowAt, int cols, MemorySegment weight,
            boolean bf16, float eps) {
        int bound = cols - cols % LANES;
        FloatVector squares = FloatVector.zero(FLOATS);
        int c = 0;
        for (; c < bound; c += LANES) {
            FloatVector v = f32(x, rowAt + (long) c * Float.BYTES);
            squares = v.fma(v, squares);
        }
        float sum = squares.reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            float v = x.get(F32, rowAt + (long) c * Float.BYTES);
            sum += v * v;
        }
        float scale = (float) (1 / Math.sqrt(sum / cols + eps));
        for (c = 0; c < bound; c += LANES) {
            FloatVector w = bf16 ? bf16(weight, (long) c * 2) : f32(weight, (long) c * Float.BYTES);
            long at = rowAt + (long) c * Float.BYTES;
            f32(x, at).mul(scale).mul(w).intoMemorySegment(out, at, ORDER);
        }
        for (; c < cols; c++) {
            float w = bf16 ? bf16At(weight, c) : weight.getAtIndex(F32, c);
            long at = rowAt + (long) c * Float.BYTES;
            out.set(F32, at, x.get(F32, at) * scale * w);
        }
    }

    @Override
    public void ropeHead(MemorySegment x, long headAt, MemorySegment cos, MemorySegment sin, long anglesAt,
            int headDim) {
        // rotate_half(x) = [−x[half:], x[:half]], so the first half gets x1·cos − x2·sin, the second x2·cos + x1·sin.
        int half = headDim / 2;
        long halfBytes = (long) half * Float.BYTES;
        int d = 0;
        for (int bound = half - half % LANES; d < bound; d += LANES) {
            long first = headAt + (long) d * Float.BYTES;
            long angle = anglesAt + (long) d * Float.BYTES;
            FloatVector x1 = f32(x, first);
            FloatVector x2 = f32(x, first + halfBytes);
            x1.mul(f32(cos, angle)).sub(x2.mul(f32(sin, angle))).intoMemorySegment(x, first, ORDER);
            x2.mul(f32(cos, angle + halfBytes)).add(x1.mul(f32(sin, angle + halfBytes)))
                    .intoMemorySegment(x, first + halfBytes, ORDER);
        }
        if (d < half) {
            VectorMask<Float> m = FLOATS.indexInRange(d, half);
            long first = headAt + (long) d * Float.BYTES;
            long angle = anglesAt + (long) d * Float.BYTES;
            FloatVector x1 = f32(x, first, m);
            FloatVector x2 = f32(x, first + halfBytes, m);
            x1.mul(f32(cos, angle, m)).sub(x2.mul(f32(sin, angle, m))).intoMemorySegment(x, first, ORDER, m);
            x2.mul(f32(cos, angle + halfBytes, m)).add(x1.mul(f32(sin, angle + halfBytes, m)))
                    .intoMemorySegment(x, first + halfBytes, ORDER, m);
        }
    }

    @Override
    public void softmaxRow(MemorySegment x, long rowAt, int cols) {
        int bound = cols - cols % LANES;
        FloatVector maxes = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
        int c = 0;
        for (; c < bound; c += LANES) {
            maxes = maxes.max(f32(x, rowAt + (long) c * Float.BYTES));
        }
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (; c < cols; c++) {
            max = Math.max(max, x.get(F32, rowAt + (long) c * Float.BYTES));
        }
        FloatVector sums = FloatVector.zero(FLOATS);
        for (c = 0; c < bound; c += LANES) {
            long at = rowAt + (long) c * Float.BYTES;
            FloatVector e = f32(x, at).sub(max).lanewise(VectorOperators.EXP);
            e.intoMemorySegment(x, at, ORDER);
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
        for (c = 0; c < bound; c += LANES) {
            long at = rowAt + (long) c * Float.BYTES;
            f32(x, at).mul(inverse).intoMemorySegment(x, at, ORDER);
        }
        for (; c < cols; c++) {
            long at = rowAt + (long) c * Float.BYTES;
            x.set(F32, at, x.get(F32, at) * inverse);
        }
    }

    @Override
    public void swiglu(MemorySegment out, MemorySegment gate, MemorySegment up, long from, long to) {
        long i = from;
        for (long bound = to - (to - from) % LANES; i < bound; i += LANES) {
            long at = i * Float.BYTES;
            silu(f32(gate, at)).mul(f32(up, at)).intoMemorySegment(out, at, ORDER);
        }
        if (i < to) {
            VectorMask<Float> m = FLOATS.indexInRange(0, (int) (to - i));
            long at = i * Float.BYTES;
            silu(f32(gate, at, m)).mul(f32(up, at, m)).intoMemorySegment(out, at, ORDER, m);
        }
    }

    private static FloatVector silu(FloatVector g) {
        return g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    @Override
    public void gelu(MemorySegment x, long from, long to) {
        long i = from;
        for (long bound = to - (to - from) % LANES; i < bound; i += LANES) {
            long at = i * Float.BYTES;
            gelu(f32(x, at)).intoMemorySegment(x, at, ORDER);
        }
        if (i < to) {
            VectorMask<Float> m = FLOATS.indexInRange(0, (int) (to - i));
            long at = i * Float.BYTES;
            gelu(f32(x, at, m)).intoMemorySegment(x, at, ORDER, m);
        }
    }

    /**
     * gelu(x) = x·(1 + erf(x/√2))/2 = x/2 · erfc(−x/√2), with erfc from {@link #ERFC} and erfc(−z) = 2 − erfc(z).
     * The erfc form has no cancellation where 1 + erf is tiny; e^(−z²) = e^(−x²/2) is computed from x² split
     * exactly into hi + lo (an FMA gives lo) as e^(−hi/2)·e^(P(t) − lo/2), so rounding z² is not magnified by
     * large exponents. Against the double reference: a few 1e-7 relative.
     */
    private static FloatVector gelu(FloatVector x) {
        FloatVector z = x.mul((float) -Math.sqrt(0.5));
        FloatVector t = FloatVector.broadcast(FLOATS, 1f).div(z.abs().mul(0.5f).add(1f));
        FloatVector p = FloatVector.broadcast(FLOATS, ERFC[ERFC.length - 1]);
        for (int i = ERFC.length - 2; i >= 0; i--) {
            p = p.fma(t, FloatVector.broadcast(FLOATS, ERFC[i]));
        }
        FloatVector hi = x.mul(x);
        FloatVector lo = x.fma(x, hi.neg());
        FloatVector erfcAbs = t.mul(hi.mul(-0.5f).lanewise(VectorOperators.EXP))
                .mul(p.sub(lo.mul(0.5f)).lanewise(VectorOperators.EXP));
        FloatVector erfc = erfcAbs.blend(erfcAbs.neg().add(2f), z.compare(VectorOperators.LT, 0f));
        return x.mul(0.5f).mul(erfc);
    }

    @Override
    public void add(MemorySegment x, MemorySegment y, long from, long to) {
        long i = from;
        for (long bound = to - (to - from) % LANES; i < bound; i += LANES) {
            long at = i * Float.BYTES;
            f32(x, at).add(f32(y, at)).intoMemorySegment(x, at, ORDER);
        }
        if (i < to) {
            VectorMask<Float> m = FLOATS.indexInRange(0, (int) (to - i));
            long at = i * Float.BYTES;
            f32(x, at, m).add(f32(y, at, m)).intoMemorySegment(x, at, ORDER, m);
        }
    }

    @Override
    public void bf16ToF32(MemorySegment from, long fromIndex, MemorySegment to, long toIndex, int count) {
        int c = 0;
        for (int bound = count - count % LANES; c < bound; c += LANES) {
            bf16(from, (fromIndex + c) * 2).intoMemorySegment(to, (toIndex + c) * Float.BYTES, ORDER);
        }
        for (; c < count; c++) {
            to.setAtIndex(F32, toIndex + c, bf16At(from, fromIndex + c));
        }
    }

    @Override
    public void bf16ToF32(MemorySegment from, long fromIndex, float[] to, int toIndex, int count) {
        int c = 0;
        for (int bound = count - count % LANES; c < bound; c += LANES) {
            bf16(from, (fromIndex + c) * 2).intoArray(to, toIndex + c);
        }
        for (; c < count; c++) {
            to[toIndex + c] = bf16At(from, fromIndex + c);
        }
    }
}
