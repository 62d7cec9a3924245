package dev.glimpse.io;

import dev.glimpse.tensor.DType;
import java.util.Arrays;

/**
 * One entry of a safetensors header: the stored dtype name ("BF16", "I64", ...), the shape and
 * the byte range [begin, end) relative to the start of the data section.
 */
public record TensorInfo(String name, String dtypeName, long[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The Glimpse dtype, or null for a stored type Glimpse cannot compute with (I64, F64, ...). */
    public DType dtype() {
        return DType.fromSafetensors(dtypeName);
    }

    public long byteSize() {
        return end - begin;
    }

    @Override
    public String toString() {
        return name + " " + dtypeName + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
