package dev.glimpse.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Loads of one vector width from off-heap memory, widening BF16 to F32 on the way. A BF16 value is the
 * top half of an F32, so widening is: load shorts from half as many bytes, sign-extend to ints (the
 * extension bits are shifted out anyway), shift left 16, reinterpret as floats.
 */
record VectorLoads(VectorSpecies<Float> floats, VectorSpecies<Short> halfShorts, VectorSpecies<Integer> ints) {

    static final ByteOrder ORDER = ByteOrder.nativeOrder();

    static VectorLoads of(VectorSpecies<Float> floats) {
        int bits = floats.vectorBitSize();
        if (bits < 128) {
            throw new IllegalArgumentException("vector species " + floats + " is narrower than 128 bits");
        }
        return new VectorLoads(floats, VectorSpecies.of(short.class, VectorShape.forBitSize(bits / 2)),
                VectorSpecies.of(int.class, floats.vectorShape()));
    }

    int lanes() {
        return floats.length();
    }

    FloatVector f32(MemorySegment segment, long byteOffset) {
        return FloatVector.fromMemorySegment(floats, segment, byteOffset, ORDER);
    }

    FloatVector bf16(MemorySegment segment, long byteOffset) {
        return ((IntVector) ShortVector.fromMemorySegment(halfShorts, segment, byteOffset, ORDER)
                .convertShape(VectorOperators.S2I, ints, 0))
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /** A masked load: lanes outside the mask read as 0 and touch no memory. */
    FloatVector f32(MemorySegment segment, long byteOffset, VectorMask<Float> mask) {
        return FloatVector.fromMemorySegment(floats, segment, byteOffset, ORDER, mask);
    }

    void store(FloatVector v, MemorySegment segment, long byteOffset) {
        v.intoMemorySegment(segment, byteOffset, ORDER);
    }

    void store(FloatVector v, MemorySegment segment, long byteOffset, VectorMask<Float> mask) {
        v.intoMemorySegment(segment, byteOffset, ORDER, mask);
    }

    /** A scalar BF16 element, for tails. */
    static float bf16At(MemorySegment segment, long index) {
        return Float.intBitsToFloat(segment.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, index) << 16);
    }
}
