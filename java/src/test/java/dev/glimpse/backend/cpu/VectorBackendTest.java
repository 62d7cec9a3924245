package dev.glimpse.backend.cpu;

import static dev.glimpse.backend.cpu.TestTensors.activation;
import static dev.glimpse.backend.cpu.TestTensors.assertClose;
import static dev.glimpse.backend.cpu.TestTensors.random;
import static dev.glimpse.backend.cpu.TestTensors.read;
import static dev.glimpse.backend.cpu.TestTensors.weight;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op of {@link VectorBackend} at 128, 256 and 512 bits and 1 and 2 threads against {@link ReferenceBackend}
 * on random inputs of awkward sizes: one row, lengths below one vector and with tails, k = 1, and sizes past the
 * caches. Metric ‖a − b‖₂/‖b‖₂. Tolerances: 1e-5 for reductions (float against double accumulation), 1e-6 for
 * element-wise ops, 0 for copies and widening.
 */
class VectorBackendTest {

    private static final double REDUCTION_TOLERANCE = 1e-5;
    private static final double ELEMENTWISE_TOLERANCE = 1e-6;

    static Stream<Arguments> configurations() {
        List<Arguments> all = new ArrayList<>();
        for (VectorSpecies<Float> species : List.of(FloatVector.SPECIES_128, FloatVector.SPECIES_256,
                FloatVector.SPECIES_512)) {
            for (int threads : new int[] {1, 2}) {
                all.add(Arguments.of(species.vectorBitSize(), threads));
            }
        }
        return all.stream();
    }

    private static VectorBackend backend(int bits, int threads) {
        VectorSpecies<Float> species = switch (bits) {
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            default -> FloatVector.SPECIES_512;
        };
        return new VectorBackend(species, threads);
    }

    /** Runs body with a fresh fast backend, the reference, a host arena and a seeded random. */
    private interface Body {
        void run(VectorBackend fast, ReferenceBackend ref, Arena host, Random random);
    }

    private static void with(int bits, int threads, Body body) {
        try (VectorBackend fast = backend(bits, threads); ReferenceBackend ref = new ReferenceBackend();
                Arena host = Arena.ofShared()) {
            body.run(fast, ref, host, new Random(bits * 31L + threads));
        }
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void matmulMatchesReference(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            int[][] shapes = {
                // n, k, out: decode
                {1, 1, 1}, {1, 7, 3}, {1, 16, 5}, {1, 17, 64}, {1, 33, 2}, {1, 100, 9}, {1, 896, 64},
                // few rows (matvec path) and prefill tiles with leftover tokens, odd rows and k tails
                {2, 31, 7}, {3, 64, 5}, {4, 1, 3}, {4, 16, 2}, {5, 7, 3}, {8, 65, 33}, {9, 130, 7}, {13, 48, 1},
            };
            for (int[] s : shapes) {
                for (DType dtype : DType.values()) {
                    checkMatmul(fast, ref, host, random, s[0], s[1], s[2], dtype, random.nextBoolean());
                }
            }
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void argmaxMatchesTheSamplersScalarArgmax(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            for (int n : new int[] {1, 5, 151_936}) {
                float[] logits = random(random, n, 3);
                if (n > 100) {
                    logits[77] = 50;
                    logits[n - 3] = 50;  // a tie: the lower index wins
                }
                int want = dev.glimpse.generate.Sampler.argmax(logits, n);
                assertEquals(want, fast.argmax(activation(fast, "logits", logits, 1, n)), "argmax of " + n);
                assertEquals(want, ref.argmax(activation(ref, "logits", logits, 1, n)), "reference argmax of " + n);
            }
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void matmulPastTheCaches(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            // 4096 × 4096 weights are 32 MB in BF16, more than the L3 cache; the prefill case spans several
            // L2 panels per thread.
            checkMatmul(fast, ref, host, random, 1, 4096, 4096, DType.BF16, true);
            checkMatmul(fast, ref, host, random, 9, 1000, 2100, DType.BF16, false);
            checkMatmul(fast, ref, host, random, 6, 1003, 700, DType.F32, true);
            // Decode with BF16 rows long enough for four rows at a time, a k tail and 3 rows left over.
            checkMatmul(fast, ref, host, random, 2, 2053, 23, DType.BF16, true);
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void blockedMatmulMatchesReference(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            // Strips are 8, 16 or 32 tokens and tiles 6 weight rows: token counts of one strip, with a tail and
            // of many strips; weight rows below one tile, with a tail and over several panels per thread; K in one
            // block, and past the 2048 limit (2 and 3 blocks whose sums carry over).
            int[][] shapes = {
                {32, 64, 12}, {33, 5, 7}, {40, 17, 13}, {70, 100, 25}, {100, 64, 250}, {64, 2100, 30},
                {37, 4500, 14}, {257, 96, 1000},
            };
            for (int[] s : shapes) {
                for (DType dtype : DType.values()) {
                    checkMatmul(fast, ref, host, random, s[0], s[1], s[2], dtype, random.nextBoolean());
                }
            }
        });
    }

    private static void checkMatmul(VectorBackend fast, ReferenceBackend ref, Arena host, Random random, int n, int k,
            int outDim, DType dtype, boolean withBias) {
        float[] x = random(random, n * k, 1);
        Tensor w = weight(host, "w", dtype, random(random, outDim * k, 0.1f), outDim, k);
        Tensor bias = withBias ? weight(host, "b", dtype, random(random, outDim, 1), outDim) : null;
        Tensor fastOut = fast.allocate("out", n, outDim);
        Tensor refOut = ref.allocate("out", n, outDim);
        fast.matmul(fastOut, activation(fast, "x", x, n, k), fast.upload(w), bias == null ? null : fast.upload(bias));
        ref.matmul(refOut, activation(ref, "x", x, n, k), ref.upload(w), bias == null ? null : ref.upload(bias));
        assertClose(read(fast, fastOut), read(ref, refOut), REDUCTION_TOLERANCE,
                "matmul n=" + n + " k=" + k + " out=" + outDim + " " + dtype + (withBias ? " +bias" : ""));
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void matmulRejectsF16WeightsThatWereNotUploaded(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            Tensor w = weight(host, "model.w", DType.F16, new float[6], 2, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> fast.matmul(fast.allocate("o", 1, 2), fast.allocate("x", 1, 3), w, null));
            assertTrue(e.getMessage().contains("model.w") && e.getMessage().contains("upload"), e.getMessage());
            assertEquals(DType.F32, fast.upload(w).dtype());
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void embedMatchesReference(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            for (int cols : new int[] {1, 7, 16, 33, 100}) {
                for (DType dtype : DType.values()) {
                    Tensor table = weight(host, "table", dtype, random(random, 50 * cols, 1), 50, cols);
                    int[] ids = {49, 0, 7, 7, 23};
                    Tensor fastOut = fast.allocate("out", ids.length, cols);
                    Tensor refOut = ref.allocate("out", ids.length, cols);
                    fast.embed(fastOut, table, ids);
                    ref.embed(refOut, table, ids);
                    assertArrayEquals(read(ref, refOut), read(fast, fastOut), 0, "embed " + dtype + " cols=" + cols);
                }
            }
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void rmsNormMatchesReference(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            int[][] shapes = {{1, 1}, {1, 7}, {3, 16}, {2, 33}, {1, 896}, {64, 2000}};
            for (int[] s : shapes) {
                for (DType dtype : DType.values()) {
                    int rows = s[0];
                    int cols = s[1];
                    float[] x = random(random, rows * cols, 3);
                    Tensor w = weight(host, "norm", dtype, random(random, cols, 1), cols);
                    Tensor fastOut = fast.allocate("out", rows, cols);
                    Tensor refOut = ref.allocate("out", rows, cols);
                    fast.rmsNorm(fastOut, activation(fast, "x", x, rows, cols), fast.upload(w), 1e-6f);
                    ref.rmsNorm(refOut, activation(ref, "x", x, rows, cols), ref.upload(w), 1e-6f);
                    assertClose(read(fast, fastOut), read(ref, refOut), REDUCTION_TOLERANCE,
                            "rmsNorm " + rows + "×" + cols + " " + dtype);
                }
            }
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void ropeMatchesReference(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            for (int rows : new int[] {1, 5, 300}) {
                for (int heads : new int[] {1, 3}) {
                    for (int headDim : new int[] {2, 8, 64, 80, 128}) {
                        float[] x = random(random, rows * heads * headDim, 1);
                        float[] cos = new float[rows * headDim];
                        float[] sin = new float[rows * headDim];
                        for (int i = 0; i < cos.length; i++) {
                            double angle = random.nextDouble() * 2 * Math.PI;
                            cos[i] = (float) Math.cos(angle);
                            sin[i] = (float) Math.sin(angle);
                        }
                        Tensor fastX = activation(fast, "x", x, rows, (long) heads * headDim);
                        Tensor refX = activation(ref, "x", x, rows, (long) heads * headDim);
                        fast.rope(fastX, activation(fast, "cos", cos, rows, headDim),
                                activation(fast, "sin", sin, rows, headDim), headDim);
                        ref.rope(refX, activation(ref, "cos", cos, rows, headDim),
                                activation(ref, "sin", sin, rows, headDim), headDim);
                        assertClose(read(fast, fastX), read(ref, refX), ELEMENTWISE_TOLERANCE,
                                "rope rows=" + rows + " heads=" + heads + " headDim=" + headDim);
                    }
                }
            }
        });
    }

    private static final int[] ELEMENT_COUNTS = {1, 5, 15, 16, 17, 1000, 70001};

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void swigluAndAddMatchReference(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            for (int n : ELEMENT_COUNTS) {
                float[] gate = random(random, n, 4);
                float[] up = random(random, n, 1);
                Tensor fastOut = fast.allocate("out", n);
                Tensor refOut = ref.allocate("out", n);
                fast.swiglu(fastOut, activation(fast, "g", gate, n), activation(fast, "u", up, n));
                ref.swiglu(refOut, activation(ref, "g", gate, n), activation(ref, "u", up, n));
                assertClose(read(fast, fastOut), read(ref, refOut), ELEMENTWISE_TOLERANCE, "swiglu n=" + n);

                fast.add(fastOut, activation(fast, "y", up, n));
                ref.add(refOut, activation(ref, "y", up, n));
                assertClose(read(fast, fastOut), read(ref, refOut), ELEMENTWISE_TOLERANCE, "add n=" + n);
            }
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void geluMatchesReferenceElementByElement(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            for (int n : ELEMENT_COUNTS) {
                float[] x = random(random, n, 3);
                Tensor fastX = activation(fast, "x", x, n);
                Tensor refX = activation(ref, "x", x, n);
                fast.gelu(fastX);
                ref.gelu(refX);
                float[] actual = read(fast, fastX);
                float[] expected = read(ref, refX);
                assertClose(actual, expected, ELEMENTWISE_TOLERANCE, "gelu n=" + n);
                // Element by element too: the erfc approximation is good to ~1e-7, float rounding adds a few ulps.
                for (int i = 0; i < n; i++) {
                    assertEquals(expected[i], actual[i], 2e-6 * Math.abs(expected[i]) + 1e-30, "gelu(" + x[i] + ")");
                }
            }
            // A sweep over the whole useful range, where erfc goes from 2 to below 1e-30.
            float[] sweep = new float[2001];
            for (int i = 0; i < sweep.length; i++) {
                sweep[i] = -12 + i * 0.01f;
            }
            Tensor fastX = activation(fast, "x", sweep, sweep.length);
            Tensor refX = activation(ref, "x", sweep, sweep.length);
            fast.gelu(fastX);
            ref.gelu(refX);
            float[] actual = read(fast, fastX);
            float[] expected = read(ref, refX);
            for (int i = 0; i < sweep.length; i++) {
                assertEquals(expected[i], actual[i], 2e-6 * Math.abs(expected[i]) + 1e-37, "gelu(" + sweep[i] + ")");
            }
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void softmaxMatchesReference(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            int[][] shapes = {{1, 1}, {1, 2}, {4, 15}, {2, 16}, {3, 17}, {40, 1000}, {1, 5000}};
            for (int[] s : shapes) {
                // Scores of ±30 or more: exp() overflows without the maximum subtracted.
                float[] x = random(random, s[0] * s[1], 30);
                x[0] += 100;
                Tensor fastX = activation(fast, "x", x, s[0], s[1]);
                Tensor refX = activation(ref, "x", x, s[0], s[1]);
                fast.softmax(fastX);
                ref.softmax(refX);
                assertClose(read(fast, fastX), read(ref, refX), REDUCTION_TOLERANCE, "softmax " + s[0] + "×" + s[1]);
            }
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void attentionMatchesReference(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            int[][] headShapes = {{14, 2}, {4, 4}};
            for (int[] hs : headShapes) {
                for (int headDim : new int[] {3, 64, 80}) {
                    // n, m, causal offset: decode over a cache, prefill from empty, prefill after cached tokens,
                    // and bidirectional (vision) with as many or fewer queries than keys.
                    int[][] cases = {
                        {1, 1, 0}, {1, 37, 36}, {1, 300, 299}, {7, 7, 0}, {5, 21, 16}, {6, 6, Backend.NON_CAUSAL},
                        {3, 17, Backend.NON_CAUSAL},
                    };
                    for (int[] c : cases) {
                        checkAttention(fast, ref, random, c[0], c[1], c[2], hs[0], hs[1], headDim);
                    }
                }
            }
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void blockedAttentionMatchesReference(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            // Six query rows or more take the blocked path: a vision window (64 patches, 16 heads of 80), causal
            // prefill from empty and after cached tokens (7 query heads per KV head, so groups of 6 pairs span
            // queries that see different key counts), several strips of keys and of value dimensions, and
            // dimensions below one vector.
            int[][] cases = {
                // n, m, causal offset, heads, kvHeads, headDim
                {64, 64, Backend.NON_CAUSAL, 16, 16, 80}, {40, 40, 0, 4, 4, 64}, {30, 100, 70, 28, 4, 128},
                {13, 13, Backend.NON_CAUSAL, 3, 1, 3}, {200, 200, Backend.NON_CAUSAL, 2, 2, 80}, {12, 77, 65, 1, 1, 17},
            };
            for (int[] c : cases) {
                checkAttention(fast, ref, random, c[0], c[1], c[2], c[3], c[4], c[5]);
            }
        });
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void attentionOverTensOfThousandsOfKeysAfterShortOnes(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            // The scratch rows grow for 20000 keys, then serve a short call again.
            checkAttention(fast, ref, random, 1, 5, 4, 4, 4, 64);
            checkAttention(fast, ref, random, 1, 20000, 19999, 4, 2, 64);
            checkAttention(fast, ref, random, 2, 9, 7, 4, 2, 64);
        });
    }

    private static void checkAttention(VectorBackend fast, ReferenceBackend ref, Random random, int n, int m,
            int offset, int heads, int kvHeads, int headDim) {
        float[] q = random(random, n * heads * headDim, 1);
        float[] k = random(random, m * kvHeads * headDim, 1);
        float[] v = random(random, m * kvHeads * headDim, 1);
        float scale = (float) (1 / Math.sqrt(headDim)) * 2;
        Tensor fastOut = fast.allocate("out", n, (long) heads * headDim);
        Tensor refOut = ref.allocate("out", n, (long) heads * headDim);
        fast.attention(fastOut, activation(fast, "q", q, n, (long) heads * headDim),
                activation(fast, "k", k, m, (long) kvHeads * headDim),
                activation(fast, "v", v, m, (long) kvHeads * headDim), heads, kvHeads, headDim, scale, offset);
        ref.attention(refOut, activation(ref, "q", q, n, (long) heads * headDim),
                activation(ref, "k", k, m, (long) kvHeads * headDim),
                activation(ref, "v", v, m, (long) kvHeads * headDim), heads, kvHeads, headDim, scale, offset);
        assertClose(read(fast, fastOut), read(ref, refOut), REDUCTION_TOLERANCE,
                "attention n=" + n + " m=" + m + " offset=" + offset + " heads=" + heads + "/" + kvHeads
                        + " headDim=" + headDim);
    }

    @ParameterizedTest(name = "{0}-bit, {1} threads")
    @MethodSource("configurations")
    void allocateWriteReadCopy(int bits, int threads) {
        with(bits, threads, (fast, ref, host, random) -> {
            Tensor a = fast.allocate("a", 3, 5);
            assertEquals(0, a.data().address() % 64, "64-byte aligned");
            assertArrayEquals(new float[15], read(fast, a), "zero-filled");
            float[] values = random(random, 15, 1);
            fast.write(a, values);
            Tensor b = fast.allocate("b", 15);
            fast.copy(b, a);
            assertArrayEquals(values, read(fast, b));
        });
    }
}
