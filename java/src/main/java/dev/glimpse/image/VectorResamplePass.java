package dev.glimpse.image;

import static dev.glimpse.image.ResampleCoefficients.HALF;
import static dev.glimpse.image.ResampleCoefficients.PRECISION_BITS;
import static dev.glimpse.image.ResampleCoefficients.clip8;

import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Pillow's 8-bit resample with the Vector API, the same integer sums as {@link ScalarResamplePass}
 * in another order (exact: int addition is associative).
 * <ul>
 * <li>Vertical pass: lanes run along the output row (contiguous bytes), one multiply-add per tap
 * for a vector of bytes at once, four vectors in flight.
 * <li>Horizontal pass: each output pixel reads its own window of the row (widened to ints once).
 * One vector holds {@code GROUP} consecutive pixels of that window (r, g, b each), multiplied by
 * their taps' weights laid out the same way; the GROUP partial sums are then folded into one
 * r, g, b. Rows go two at a time (they share the weights). On 512-bit vectors, four output pixels
 * of both rows are summed in registers and folded with two-vector lane selections (6 per 4
 * pixels); otherwise one pixel at a time with lane rotations.
 * </ul>
 */
final class VectorResamplePass implements ResamplePass {

    // Species must be constants for the JIT to compile vector code (instance fields are not).
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final int LANES = INTS.length();
    // The bytes that feed one int vector: as many lanes, but at least 64 bits (the smallest shape),
    // so a 128-bit int species loads 8 bytes, uses 4 and stores 4 through a mask.
    private static final VectorSpecies<Byte> BYTES =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, LANES * 8)));
    private static final int SPAN = BYTES.length();
    private static final VectorMask<Byte> STORE_MASK = BYTES.indexInRange(0, LANES);

    /** Taps (RGB pixels) per vector in the horizontal pass: 4 on 512-bit, 2 on 256, 1 on 128. */
    private static final int GROUP = Math.min(4, Integer.highestOneBit(LANES / 3));
    /** Lane i reads lane i + 6 (then i + 3): folds pixel partial sums two by two. */
    private static final VectorShuffle<Integer> FOLD_6 = VectorShuffle.fromOp(INTS, i -> (i + 6) % LANES);
    private static final VectorShuffle<Integer> FOLD_3 = VectorShuffle.fromOp(INTS, i -> (i + 3) % LANES);
    // Four pixels' sums a0..a3 (lanes 3g + ch, g < 4) into one vector, for GROUP == 4. Indices
    // 16..31 select from the second vector. Pairs: lanes 0-5 get a0's g0+g2, g1+g3; lanes 6-11
    // a1's. Quads: lanes 3i + ch get pixel i's total (lanes 12-15 are left over).
    private static final IntVector PAIR_LOW = GROUP == 4 ? indices(0, 1, 2, 3, 4, 5, 16, 17, 18, 19, 20, 21) : null;
    private static final IntVector PAIR_HIGH = GROUP == 4 ? indices(6, 7, 8, 9, 10, 11, 22, 23, 24, 25, 26, 27) : null;
    private static final IntVector QUAD_LOW = GROUP == 4 ? indices(0, 1, 2, 6, 7, 8, 16, 17, 18, 22, 23, 24) : null;
    private static final IntVector QUAD_HIGH = GROUP == 4 ? indices(3, 4, 5, 9, 10, 11, 19, 20, 21, 25, 26, 27) : null;

    /** The bit size of the vectors in use (the widest this CPU runs natively). */
    static int vectorBits() {
        return INTS.vectorBitSize();
    }

    @Override
    public void horizontal(byte[] src, int srcWidth, byte[] dst, ResampleCoefficients c, int y0, int y1) {
        int outWidth = c.outSize();
        int[] first = c.first();
        int[] count = c.count();
        int steps = (c.taps() + GROUP - 1) / GROUP;
        int stride = steps * LANES;
        int[] weights = groupedWeights(c, steps);
        // Two rows at a time share each weight load; windows may read up to LANES past a row's end
        // (weight 0) and stores write LANES lanes, so both kinds of buffer carry LANES spare ints.
        int[] rowA = new int[srcWidth * 3 + LANES];
        int[] rowB = new int[srcWidth * 3 + LANES];
        int[] sumsA = new int[outWidth * 3 + LANES];
        int[] sumsB = new int[outWidth * 3 + LANES];
        for (int y = y0; y < y1; y += 2) {
            int yB = Math.min(y + 1, y1 - 1); // an odd last row pairs with itself
            widen(src, y * srcWidth * 3, srcWidth * 3, rowA);
            widen(src, yB * srcWidth * 3, srcWidth * 3, rowB);
            int x = GROUP == 4 ? fourPixelsAtATime(rowA, rowB, outWidth, first, count, weights, stride, sumsA, sumsB) : 0;
            for (; x < outWidth; x++) {
                onePixel(rowA, x, first, count, weights, stride, sumsA);
                onePixel(rowB, x, first, count, weights, stride, sumsB);
            }
            narrow(sumsA, dst, y * outWidth * 3, outWidth * 3);
            if (yB != y) {
                narrow(sumsB, dst, yB * outWidth * 3, outWidth * 3);
            }
        }
    }

    /**
     * Output pixels of rows A and B four at a time (GROUP == 4): eight accumulators in registers,
     * each weight vector loaded once for both rows, sums stored at x·3 (lanes 12-15 are overwritten
     * by the next pixels). Returns how many pixels it did. Its own method: inlined into
     * horizontal() it would push C2 past its inlining budget, and vector code that is not fully
     * inlined runs boxed, many times slower.
     */
    private static int fourPixelsAtATime(int[] rowA, int[] rowB, int outWidth, int[] first, int[] count,
            int[] weights, int stride, int[] sumsA, int[] sumsB) {
        int x = 0;
        for (; x + 4 <= outWidth; x += 4) {
            IntVector a0 = IntVector.zero(INTS), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
            for (int t = 0, p = first[x] * 3, q = x * stride; t < count[x]; t += 4, p += 12, q += LANES) {
                IntVector w = IntVector.fromArray(INTS, weights, q);
                a0 = a0.add(IntVector.fromArray(INTS, rowA, p).mul(w));
                b0 = b0.add(IntVector.fromArray(INTS, rowB, p).mul(w));
            }
            for (int t = 0, p = first[x + 1] * 3, q = (x + 1) * stride; t < count[x + 1]; t += 4, p += 12, q += LANES) {
                IntVector w = IntVector.fromArray(INTS, weights, q);
                a1 = a1.add(IntVector.fromArray(INTS, rowA, p).mul(w));
                b1 = b1.add(IntVector.fromArray(INTS, rowB, p).mul(w));
            }
            for (int t = 0, p = first[x + 2] * 3, q = (x + 2) * stride; t < count[x + 2]; t += 4, p += 12, q += LANES) {
                IntVector w = IntVector.fromArray(INTS, weights, q);
                a2 = a2.add(IntVector.fromArray(INTS, rowA, p).mul(w));
                b2 = b2.add(IntVector.fromArray(INTS, rowB, p).mul(w));
            }
            for (int t = 0, p = first[x + 3] * 3, q = (x + 3) * stride; t < count[x + 3]; t += 4, p += 12, q += LANES) {
                IntVector w = IntVector.fromArray(INTS, weights, q);
                a3 = a3.add(IntVector.fromArray(INTS, rowA, p).mul(w));
                b3 = b3.add(IntVector.fromArray(INTS, rowB, p).mul(w));
            }
            foldFour(a0, a1, a2, a3).intoArray(sumsA, x * 3);
            foldFour(b0, b1, b2, b3).intoArray(sumsB, x * 3);
        }
        return x;
    }

    /** Output pixel x of one row, its sum stored at x·3 (lanes past 2 are overwritten by the next pixel). */
    private static void onePixel(int[] row, int x, int[] first, int[] count, int[] weights, int stride, int[] sums) {
        IntVector acc = IntVector.zero(INTS);
        for (int t = 0, p = first[x] * 3, q = x * stride; t < count[x]; t += GROUP, p += 3 * GROUP, q += LANES) {
            acc = acc.add(IntVector.fromArray(INTS, row, p).mul(IntVector.fromArray(INTS, weights, q)));
        }
        if (GROUP >= 4) { // fold the GROUP partial sums into lanes 0..2
            acc = acc.add(acc.rearrange(FOLD_6));
        }
        if (GROUP >= 2) {
            acc = acc.add(acc.rearrange(FOLD_3));
        }
        acc.add(HALF).intoArray(sums, x * 3);
    }

    /** Four pixels' partial sums (GROUP == 4) folded into lanes 0..11 (r, g, b of each), plus the rounding half. */
    private static IntVector foldFour(IntVector a0, IntVector a1, IntVector a2, IntVector a3) {
        IntVector low = PAIR_LOW.selectFrom(a0, a1).add(PAIR_HIGH.selectFrom(a0, a1));
        IntVector high = PAIR_LOW.selectFrom(a2, a3).add(PAIR_HIGH.selectFrom(a2, a3));
        return QUAD_LOW.selectFrom(low, high).add(QUAD_HIGH.selectFrom(low, high)).add(HALF);
    }

    private static IntVector indices(int... lanes) {
        return IntVector.fromArray(INTS, Arrays.copyOf(lanes, LANES), 0);
    }

    /**
     * The weights laid out as the horizontal pass reads them: for output x, {@code steps} vectors;
     * lane 3g + ch of vector j holds the weight of tap j·GROUP + g (0 past the taps).
     */
    private static int[] groupedWeights(ResampleCoefficients c, int steps) {
        int[] out = new int[c.outSize() * steps * LANES];
        for (int x = 0; x < c.outSize(); x++) {
            for (int t = 0; t < c.count()[x]; t++) {
                int base = (x * steps + t / GROUP) * LANES + 3 * (t % GROUP);
                int w = c.weights()[x * c.taps() + t];
                out[base] = w;
                out[base + 1] = w;
                out[base + 2] = w;
            }
        }
        return out;
    }

    @Override
    public void vertical(byte[] src, byte[] dst, int width, ResampleCoefficients c, int y0, int y1) {
        int rowBytes = width * 3;
        int[] w = c.weights();
        for (int y = y0; y < y1; y++) {
            int first = c.first()[y] * rowBytes;
            int n = c.count()[y];
            int k = y * c.taps();
            int out = y * rowBytes;
            int i = 0;
            for (; i <= rowBytes - 3 * LANES - SPAN; i += 4 * LANES) {
                IntVector a0 = IntVector.broadcast(INTS, HALF), a1 = a0, a2 = a0, a3 = a0;
                for (int t = 0, p = first + i; t < n; t++, p += rowBytes) {
                    int wt = w[k + t];
                    a0 = a0.add(load(src, p).mul(wt));
                    a1 = a1.add(load(src, p + LANES).mul(wt));
                    a2 = a2.add(load(src, p + 2 * LANES).mul(wt));
                    a3 = a3.add(load(src, p + 3 * LANES).mul(wt));
                }
                store(a0, dst, out + i);
                store(a1, dst, out + i + LANES);
                store(a2, dst, out + i + 2 * LANES);
                store(a3, dst, out + i + 3 * LANES);
            }
            for (; i <= rowBytes - SPAN; i += LANES) {
                IntVector a = IntVector.broadcast(INTS, HALF);
                for (int t = 0, p = first + i; t < n; t++, p += rowBytes) {
                    a = a.add(load(src, p).mul(w[k + t]));
                }
                store(a, dst, out + i);
            }
            for (; i < rowBytes; i++) {
                int sum = HALF;
                for (int t = 0, p = first + i; t < n; t++, p += rowBytes) {
                    sum += (src[p] & 0xFF) * w[k + t];
                }
                dst[out + i] = (byte) clip8(sum);
            }
        }
    }

    /** {@code LANES} bytes from src[p], zero-extended to ints. */
    private IntVector load(byte[] src, int p) {
        return (IntVector) ByteVector.fromArray(BYTES, src, p).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
    }

    /** clip8 of each sum, written as {@code LANES} bytes at dst[p]. */
    private void store(IntVector sums, byte[] dst, int p) {
        ByteVector b = sums.lanewise(VectorOperators.ASHR, PRECISION_BITS).max(0).min(255)
                .convertShape(VectorOperators.I2B, BYTES, 0).reinterpretAsBytes();
        if (SPAN == LANES) {
            b.intoArray(dst, p);
        } else {
            b.intoArray(dst, p, STORE_MASK);
        }
    }

    /** src[off, off+n) as unsigned ints in dst[0, n). */
    private void widen(byte[] src, int off, int n, int[] dst) {
        int i = 0;
        for (; i <= n - SPAN; i += LANES) {
            load(src, off + i).intoArray(dst, i);
        }
        for (; i < n; i++) {
            dst[i] = src[off + i] & 0xFF;
        }
    }

    /** clip8 of sums[0, n) into dst[off, off+n). */
    private void narrow(int[] sums, byte[] dst, int off, int n) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            store(IntVector.fromArray(INTS, sums, i), dst, off + i);
        }
        for (; i < n; i++) {
            dst[off + i] = (byte) clip8(sums[i]);
        }
    }
}
