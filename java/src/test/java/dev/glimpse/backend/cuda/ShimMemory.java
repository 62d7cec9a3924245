package dev.glimpse.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/** Host memory standing in for device memory in shim tests, plus random test data. */
final class ShimMemory implements AutoCloseable {

    private final Arena arena = Arena.ofConfined();

    MemorySegment floats(float[] values) {
        return arena.allocateFrom(ValueLayout.JAVA_FLOAT, values);
    }

    /** Output buffer filled with NaN, so an element the kernel never writes fails the comparison. */
    MemorySegment poisoned(int count) {
        float[] nan = new float[count];
        java.util.Arrays.fill(nan, Float.NaN);
        return floats(nan);
    }

    MemorySegment ints(int[] values) {
        return arena.allocateFrom(ValueLayout.JAVA_INT, values);
    }

    MemorySegment bytes(byte[] values) {
        return arena.allocateFrom(ValueLayout.JAVA_BYTE, values);
    }

    /** bf16 bits of values (which must already be bf16-exact, see {@link #bf16Exact}), 64-byte aligned as cuMemAlloc's. */
    MemorySegment bf16(float[] values) {
        MemorySegment bits = arena.allocate(2L * values.length, 64);
        for (int i = 0; i < values.length; i++) {
            bits.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
        }
        return bits;
    }

    /** Bytes of 0xFF (bf16 NaNs, F32 NaNs): scratch a kernel must overwrite before it reads it. */
    MemorySegment garbage(long bytes) {
        return arena.allocate(bytes, 64).fill((byte) 0xFF);
    }

    static float[] read(MemorySegment segment) {
        return segment.toArray(ValueLayout.JAVA_FLOAT);
    }

    static float[] random(Random random, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    /** Random values that bf16 represents exactly (as weights read from a BF16 checkpoint are). */
    static float[] bf16Exact(Random random, int count) {
        return ScalarOracles.roundToBf16(random(random, count));
    }

    @Override
    public void close() {
        arena.close();
    }
}
