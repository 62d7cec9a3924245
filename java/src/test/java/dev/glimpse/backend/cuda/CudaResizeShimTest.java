package dev.glimpse.backend.cuda;

import dev.glimpse.image.ResampleFilter;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The resize kernels through the shim, with the passes and tables the GPU path uses, byte-exact
 * against Pillow 12.3 (resize-golden.bin, made by tools/reference/cuda_resize_golden.py): shrink,
 * enlarge, one axis only, and very tall images that Pillow resizes vertically first.
 */
class CudaResizeShimTest {

    @Test
    void resizeMatchesPillowByteForByte() throws IOException {
        CudaKernels kernels = new CudaKernels(ShimRunner.load());
        int cases = 0;
        try (InputStream in = getClass().getResourceAsStream("resize-golden.bin");
                ShimMemory memory = new ShimMemory()) {
            DataInputStream data = new DataInputStream(in);
            while (data.available() > 0) {
                ByteBuffer header = ByteBuffer.wrap(data.readNBytes(24)).order(ByteOrder.LITTLE_ENDIAN);
                ResampleFilter filter = header.getInt() == 0 ? ResampleFilter.BICUBIC
                        : ResampleFilter.LANCZOS;
                int inW = header.getInt();
                int inH = header.getInt();
                int outW = header.getInt();
                int outH = header.getInt();
                int channels = header.getInt();
                byte[] input = data.readNBytes(inW * inH * channels);
                byte[] expected = data.readNBytes(outW * outH * channels);

                List<ResizePass> passes = ResizePass.plan(inW, inH, outW, outH, filter);
                MemorySegment current = memory.bytes(input);
                for (ResizePass pass : passes) {
                    byte[] poison = new byte[pass.outWidth() * pass.outHeight() * channels];
                    java.util.Arrays.fill(poison, (byte) 0x5A);
                    MemorySegment target = memory.bytes(poison);
                    kernels.resample(target, current, pass, memory.ints(pass.tables().bounds()),
                            memory.ints(pass.tables().coeffs()), channels);
                    current = target;
                }
                assertArrayEquals(expected, current.toArray(ValueLayout.JAVA_BYTE),
                        filter + " " + inW + "x" + inH + " -> " + outW + "x" + outH);
                cases++;
            }
        }
        org.junit.jupiter.api.Assertions.assertEquals(6, cases, "golden cases read");
    }
}
