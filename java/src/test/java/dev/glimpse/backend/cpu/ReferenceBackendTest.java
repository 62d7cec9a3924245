package dev.glimpse.backend.cpu;

import static dev.glimpse.backend.cpu.TestTensors.activation;
import static dev.glimpse.backend.cpu.TestTensors.read;
import static dev.glimpse.backend.cpu.TestTensors.weight;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The oracle against tiny cases worked out by hand, so that it can fail too. Tolerance 1e-6 absolute. */
class ReferenceBackendTest {

    private static final float EPS = 1e-6f;
    private static final float LN2 = (float) Math.log(2);

    private final ReferenceBackend ref = new ReferenceBackend();
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        ref.close();
        arena.close();
    }

    @Test
    void argmaxTakesTheLowestIndexOfTheMaximumOverAllRows() {
        Tensor x = activation(ref, "x", new float[] {-5, 3, 7, 1, 7, -9}, 2, 3);
        org.junit.jupiter.api.Assertions.assertEquals(2, ref.argmax(x));
        Tensor negative = activation(ref, "y", new float[] {-3, -1, -2}, 1, 3);
        org.junit.jupiter.api.Assertions.assertEquals(1, ref.argmax(negative));
    }

    @Test
    void softmaxOfZeroAndLn2IsOneThirdTwoThirds() {
        Tensor x = activation(ref, "x", new float[] {0, LN2, 1000, 1000 + LN2}, 2, 2);
        ref.softmax(x);
        // The second row would overflow exp() without subtracting the maximum.
        assertArrayEquals(new float[] {1 / 3f, 2 / 3f, 1 / 3f, 2 / 3f}, read(ref, x), 1e-4f);
    }

    @Test
    void ropeRotatesEachPairBy90Degrees() {
        // headDim 4, two heads: pairs (d, d + 2); cos 0 and sin 1 everywhere is a 90° rotation:
        // (a, b) → (a·0 − b·1, b·0 + a·1) = (−b, a).
        Tensor x = activation(ref, "x", new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 1, 8);
        Tensor cos = activation(ref, "cos", new float[] {0, 0, 0, 0}, 1, 4);
        Tensor sin = activation(ref, "sin", new float[] {1, 1, 1, 1}, 1, 4);
        ref.rope(x, cos, sin, 4);
        assertArrayEquals(new float[] {-3, -4, 1, 2, -7, -8, 5, 6}, read(ref, x), EPS);
    }

    @Test
    void ropeUsesTheSecondHalfAnglesForTheSecondHalf() {
        // 60° for the first half, 0° for the second: x' = (x0·c − x1·s, x1·1 + x0·0).
        float c = 0.5f;
        float s = (float) Math.sqrt(0.75);
        Tensor x = activation(ref, "x", new float[] {2, 4}, 1, 2);
        Tensor cos = activation(ref, "cos", new float[] {c, 1}, 1, 2);
        Tensor sin = activation(ref, "sin", new float[] {s, 0}, 1, 2);
        ref.rope(x, cos, sin, 2);
        assertArrayEquals(new float[] {2 * c - 4 * s, 4}, read(ref, x), EPS);
    }

    @Test
    void matmulWithBias() {
        // x [2, 3], w [2, 3] (rows are outputs), bias [2].
        Tensor x = activation(ref, "x", new float[] {1, 2, 3, -1, 0, 2}, 2, 3);
        Tensor w = weight(arena, "w", DType.BF16, new float[] {1, 0, -1, 0.5f, 0.25f, 2}, 2, 3);
        Tensor bias = weight(arena, "b", DType.F16, new float[] {10, -10}, 2);
        Tensor out = ref.allocate("out", 2, 2);
        ref.matmul(out, x, ref.upload(w), ref.upload(bias));
        // row 0: (1 − 3) + 10, (0.5 + 0.5 + 6) − 10; row 1: (−1 − 2) + 10, (−0.5 + 4) − 10
        assertArrayEquals(new float[] {8, -3, 7, -6.5f}, read(ref, out), EPS);
    }

    @Test
    void rmsNormOfThreeFour() {
        // mean(9, 16) = 12.5, so x / √12.5 = (0.848528…, 1.131371…), times the weight (2, −1).
        Tensor x = activation(ref, "x", new float[] {3, 4}, 1, 2);
        Tensor w = weight(arena, "w", DType.F32, new float[] {2, -1}, 2);
        Tensor out = ref.allocate("out", 1, 2);
        ref.rmsNorm(out, x, w, 0);
        assertArrayEquals(new float[] {1.6970563f, -1.1313709f}, read(ref, out), EPS);
    }

    @Test
    void swigluAndGeluAtKnownPoints() {
        Tensor gate = activation(ref, "g", new float[] {0, 1}, 2);
        Tensor up = activation(ref, "u", new float[] {5, 2}, 2);
        Tensor out = ref.allocate("out", 2);
        ref.swiglu(out, gate, up);
        assertArrayEquals(new float[] {0, 1.4621171572600098f}, read(ref, out), EPS);

        // gelu(x) = x·Φ(x); values from mpmath.
        Tensor x = activation(ref, "x", new float[] {0, 1, -1, 2, -3, 0.5f}, 6);
        ref.gelu(x);
        assertArrayEquals(new float[] {0, 0.84134474606854295f, -0.15865525393145705f, 1.9544997361036416f,
            -0.0040496940948902836f, 0.34573123063700655f}, read(ref, x), 1e-7f);
    }

    @Test
    void embedWidensEveryDtype() {
        float[] table = {1.5f, -2.25f, 0.125f, 4};
        for (DType dtype : DType.values()) {
            Tensor out = ref.allocate("out", 3, 2);
            ref.embed(out, weight(arena, "t", dtype, table, 2, 2), new int[] {1, 0, 1});
            assertArrayEquals(new float[] {0.125f, 4, 1.5f, -2.25f, 0.125f, 4}, read(ref, out), 0, dtype.name());
        }
    }

    @Test
    void addAndCopy() {
        Tensor x = activation(ref, "x", new float[] {1, 2, 3}, 3);
        ref.add(x, activation(ref, "y", new float[] {10, 20, 30}, 3));
        Tensor copy = ref.allocate("copy", 3);
        ref.copy(copy, x);
        assertArrayEquals(new float[] {11, 22, 33}, read(ref, copy), 0);
    }

    @Test
    void attentionWeightsValuesBySoftmaxOfScaledScores() {
        // One KV head shared by two query heads, headDim 1. Scores q·k·scale: query 0 → (0, ln2·q), so with
        // q = 1 the weights are (1/3, 2/3) and the output 1/3·3 + 2/3·6 = 5.
        Tensor k = activation(ref, "k", new float[] {0, LN2}, 2, 1);
        Tensor v = activation(ref, "v", new float[] {3, 6}, 2, 1);
        Tensor q = activation(ref, "q", new float[] {1, 2, 0.5f, 1}, 2, 2);
        Tensor out = ref.allocate("out", 2, 2);

        ref.attention(out, q, k, v, 2, 1, 1, 1f, Backend.NON_CAUSAL);
        // head with q = 2: weights ∝ (1, 4) → 3/5 + 24/5 = 5.4; q = 0.5: ∝ (1, √2).
        float sqrt2 = (float) Math.sqrt(2);
        float half = (3 + 6 * sqrt2) / (1 + sqrt2);
        assertArrayEquals(new float[] {5, 5.4f, half, 5}, read(ref, out), 1e-5f);

        // Causal from offset 0: query 0 sees key 0 only; query 1 sees both.
        ref.attention(out, q, k, v, 2, 1, 1, 1f, 0);
        assertArrayEquals(new float[] {3, 3, half, 5}, read(ref, out), 1e-5f);

        // Offset 1 (one cached token): a single query at position 1 sees both keys.
        Tensor last = ref.allocate("last", 1, 2);
        ref.attention(last, q.rows(0, 1), k, v, 2, 1, 1, 2f, 1);
        // scale 2 doubles the scores: q = 1 → ∝ (1, 4) → 5.4; q = 2 → ∝ (1, 16) → (3 + 96)/17.
        assertArrayEquals(new float[] {5.4f, 99 / 17f}, read(ref, last), 1e-5f);
    }

    @Test
    void rejectsMismatchedShapes() {
        Tensor x = ref.allocate("x", 2, 3);
        Tensor w = ref.allocate("w", 4, 5);
        assertThrows(IllegalArgumentException.class, () -> ref.matmul(ref.allocate("o", 2, 4), x, w, null));
        Tensor q = ref.allocate("q", 3, 4);
        Tensor kv = ref.allocate("kv", 2, 4);
        // three queries after no cached tokens need three keys
        assertThrows(IllegalArgumentException.class, () -> ref.attention(q, q, kv, kv, 1, 1, 4, 1f, 0));
    }
}
