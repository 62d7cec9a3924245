package dev.glimpse.backend.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API inner loops of the CPU backend, for one vector width. Offsets named {@code ...At} are in
 * bytes; {@code from}/{@code to} are element indexes. Callers own shapes, checks and threads.
 *
 * <p>Why a factory and a template class: the Vector API compiles to SIMD instructions only when the
 * species is a JIT-time constant; read from an instance field, every vector is boxed and the code runs
 * 15–30× slower. {@link #of} therefore loads the one source of the kernels, {@link SpeciesKernels}, as a
 * hidden class per width, with the species as its class data in a {@code static final} field — one
 * source, a fully specialized copy per width, and several widths side by side in one JVM (the tests).
 */
interface VectorKernels {

    VectorSpecies<Float> species();

    /** Σ x[i]·w[i] for i < k, x and w F32. */
    float dotF32(MemorySegment x, long xAt, MemorySegment w, long wAt, int k);

    /** Σ x[i]·w[i] for i < k, x F32 and w BF16. */
    float dotBf16(MemorySegment x, long xAt, MemorySegment w, long wAt, int k);

    /**
     * The dot products of one F32 x row with the four F32 weight rows at wAt + j·wStride (j < 4), over k
     * elements, stored as four floats at outAt: decode's matrix-vector product loads each x vector once
     * for four rows instead of once per row.
     */
    void fourRowsF32(MemorySegment x, long xAt, MemorySegment w, long wAt, long wStride, int k, MemorySegment out,
            long outAt);

    /** {@link #fourRowsF32} with BF16 weight rows. */
    void fourRowsBf16(MemorySegment x, long xAt, MemorySegment w, long wAt, long wStride, int k, MemorySegment out,
            long outAt);

    /**
     * The 4 × 2 block of dot products of x rows at xAt + t·xStride (t < 4) with F32 weight rows at wAt and
     * wAt + wStride, over k elements, plus b0 or b1, stored at outAt + t·outStride (+ 4 bytes for the second row).
     */
    void tileF32(MemorySegment x, long xAt, long xStride, MemorySegment w, long wAt, long wStride, int k,
            MemorySegment out, long outAt, long outStride, float b0, float b1);

    /** {@link #tileF32} with BF16 weight rows. */
    void tileBf16(MemorySegment x, long xAt, long xStride, MemorySegment w, long wAt, long wStride, int k,
            MemorySegment out, long outAt, long outStride, float b0, float b1);

    /**
     * Weight rows per micro-tile of the blocked matmul: 6 rows × 2 vectors of tokens is 12 accumulators, 15
     * vector registers in all, which AVX2 has too. Measured on Zen 4 with AVX-512, it beats 12 rows × 2 vectors
     * (24 accumulators) by 15%, whose twelve row offsets do not fit the general registers.
     */
    int TILE_ROWS = 6;

    /** Tokens per packed strip of the blocked matmul (two vectors). */
    int stripTokens();

    /**
     * The micro-tile of the blocked matmul, for r < {@link #TILE_ROWS} and t < S = {@link #stripTokens}:
     * acc[accAt + r·accStride + t] += Σ_{i<k} xp[xpAt + i·S + t] · w[wAt + r'·wStride + i] with
     * r' = min(r, rows − 1). xp is a strip of S tokens packed token-minor, w holds F32 weight rows.
     */
    void gemmTile(float[] xp, int xpAt, float[] w, int wAt, int wStride, int rows, int k, float[] acc, int accAt,
            int accStride);

    /** The largest of s[from + j] for j < length (−∞ when length is 0). */
    float maxOf(float[] s, int from, int length);

    /** s[from + j] = exp(s[from + j] − max) for j < length; returns the sum of the new values. */
    float expMinusMax(float[] s, int from, int length, float max);

    /** acc[d] += a·v[d] for d < length, v F32. */
    void addScaled(float[] acc, float a, MemorySegment v, long vAt, int length);

    /** One row of rmsNorm: out = x · rsqrt(mean(x²) + eps) · weight, weight F32 or BF16. */
    void rmsNormRow(MemorySegment out, MemorySegment x, long rowAt, int cols, MemorySegment weight, boolean bf16,
            float eps);

    /** Rotary embedding of one head in place: x' = x·cos + rotate_half(x)·sin. */
    void ropeHead(MemorySegment x, long headAt, MemorySegment cos, MemorySegment sin, long anglesAt, int headDim);

    /** Softmax of one row in place, maximum subtracted first. */
    void softmaxRow(MemorySegment x, long rowAt, int cols);

    /** out = silu(gate)·up over elements [from, to). */
    void swiglu(MemorySegment out, MemorySegment gate, MemorySegment up, long from, long to);

    /** x = gelu(x) (erf form) over elements [from, to). */
    void gelu(MemorySegment x, long from, long to);

    /** x += y over elements [from, to). */
    void add(MemorySegment x, MemorySegment y, long from, long to);

    /** count BF16 values from element fromIndex widened to F32 at element toIndex. */
    void bf16ToF32(MemorySegment from, long fromIndex, MemorySegment to, long toIndex, int count);

    /** count BF16 values from element fromIndex widened into to[toIndex …]. */
    void bf16ToF32(MemorySegment from, long fromIndex, float[] to, int toIndex, int count);

    /** The kernels specialized for species, defined once per width and shared. */
    static VectorKernels of(VectorSpecies<Float> species) {
        if (species.vectorBitSize() < 128) {
            throw new IllegalArgumentException("vector species " + species + " is narrower than 128 bits");
        }
        return Specialized.BY_WIDTH.computeIfAbsent(species.vectorBitSize(), bits -> Specialized.define(species));
    }

    /** The hidden-class loading behind {@link #of}. */
    final class Specialized {
        private static final Map<Integer, VectorKernels> BY_WIDTH = new ConcurrentHashMap<>();

        private Specialized() {
        }

        private static VectorKernels define(VectorSpecies<Float> species) {
            String file = SpeciesKernels.class.getSimpleName() + ".class";
            try (InputStream in = VectorKernels.class.getResourceAsStream(file)) {
                if (in == null) {
                    throw new IllegalStateException("class file " + file + " is missing from the Glimpse jar");
                }
                Class<?> kernels = MethodHandles.lookup()
                        .defineHiddenClassWithClassData(in.readAllBytes(), species, true)
                        .lookupClass();
                return (VectorKernels) kernels.getDeclaredConstructor().newInstance();
            } catch (IOException | ReflectiveOperationException e) {
                throw new IllegalStateException("cannot specialize the CPU kernels for " + species, e);
            }
        }
    }
}
