package dev.glimpse.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A typed, shaped view of memory. On the CPU the segment is ordinary off-heap memory (or a mapped
 * file); a GPU backend may hand out segments whose address is a device pointer and that the host
 * never dereferences. Row-major; the last dimension is contiguous.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    public Tensor {
        shape = shape.clone();
        long expected = numel(shape) * dtype.bytes();
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize()
                    + " bytes for shape " + Arrays.toString(shape) + " of " + dtype + " (expected " + expected + ")");
        }
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long numel() {
        return numel(shape);
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /** Size of the last dimension (the contiguous one). */
    public int cols() {
        return shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
    }

    /** Product of every dimension but the last. */
    public int rows() {
        return Math.toIntExact(numel() / Math.max(1, cols()));
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Rows [row0, row0+count) of this tensor seen as [rows, cols]. */
    public Tensor rows(long row0, long count) {
        long rowBytes = (long) cols() * dtype.bytes();
        return new Tensor(name, dtype, new long[] {count, cols()}, data.asSlice(row0 * rowBytes, count * rowBytes));
    }

    /** Elements [from, from + product(newShape)) as a tensor of the given shape. */
    public Tensor slice(long from, long... newShape) {
        long bytes = numel(newShape) * dtype.bytes();
        return new Tensor(name, dtype, newShape, data.asSlice(from * dtype.bytes(), bytes));
    }

    /** The same memory with another shape of the same element count. */
    public Tensor reshape(long... newShape) {
        return new Tensor(name, dtype, newShape, data);
    }

    /** Element i as a float, whatever the dtype (host memory only). */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case BF16 -> Float.intBitsToFloat((data.getAtIndex(U16, i) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.getAtIndex(U16, i));
        };
    }

    /** Sets element i of an F32 tensor (host memory only). */
    public void setFloat(long i, float v) {
        if (dtype != DType.F32) {
            throw new IllegalStateException("setFloat on " + dtype + " tensor " + name);
        }
        data.setAtIndex(F32, i, v);
    }

    /** Copies every element into a new float array, widening as needed (host memory only). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
