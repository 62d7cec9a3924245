package dev.glimpse.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/** Random inputs, host weights of any dtype, and the relative-error metric the backend tests share. */
final class TestTensors {

    private TestTensors() {
    }

    static float[] random(Random random, int n, float scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return values;
    }

    /** A host weight of the given dtype holding values (BF16 by truncation, F16 by rounding). */
    static Tensor weight(Arena arena, String name, DType dtype, float[] values, long... shape) {
        MemorySegment data = arena.allocate((long) values.length * dtype.bytes(), 64);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, values[i]);
                case BF16 -> data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i,
                        (short) (Float.floatToRawIntBits(values[i]) >>> 16));
                case F16 -> data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(values[i]));
            }
        }
        return new Tensor(name, dtype, shape, data);
    }

    /** An F32 activation of backend, filled with values. */
    static Tensor activation(Backend backend, String name, float[] values, long... shape) {
        Tensor t = backend.allocate(name, shape);
        backend.write(t, values);
        return t;
    }

    static float[] read(Backend backend, Tensor t) {
        float[] values = new float[Math.toIntExact(t.numel())];
        backend.read(t, values);
        return values;
    }

    /** ‖a − b‖₂ / ‖b‖₂, with b the reference (0 when both are zero). */
    static double relativeError(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            diff += d * d;
            norm += (double) b[i] * b[i];
        }
        if (norm == 0) {
            return diff == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.sqrt(diff / norm);
    }

    static void assertClose(float[] actual, float[] expected, double tolerance, String what) {
        double error = relativeError(actual, expected);
        assertTrue(error <= tolerance, what + ": relative error " + error + " > " + tolerance);
    }
}
