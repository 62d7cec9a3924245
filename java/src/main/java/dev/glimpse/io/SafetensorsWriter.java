package dev.glimpse.io;

import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes F32/BF16/F16 tensors to a .safetensors file laid out as the reference writer does:
 * tensors ordered F32, BF16, F16 and by name within a dtype (so each starts aligned to its element
 * size), a compact JSON header with __metadata__ first, padded with spaces to a multiple of 8.
 */
public final class SafetensorsWriter {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final long WRITE_PIECE = 1L << 30;

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Arena arena = Arena.ofAuto();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds a host tensor as it is, under its own name. */
    public SafetensorsWriter add(Tensor tensor) {
        if (tensors.putIfAbsent(tensor.name(), tensor) != null) {
            throw new IllegalArgumentException("tensor " + tensor.name() + " added twice");
        }
        return this;
    }

    /** Adds float values stored as dtype (BF16 and F16 rounded to nearest, ties to even). */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
        if (Tensor.numel(shape) != values.length) {
            throw new IllegalArgumentException("tensor " + name + ": " + values.length + " values for shape "
                    + Arrays.toString(shape));
        }
        MemorySegment data = arena.allocate((long) values.length * dtype.bytes(), 8);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> data.setAtIndex(F32, i, values[i]);
                case BF16 -> data.setAtIndex(U16, i, toBf16(values[i]));
                case F16 -> data.setAtIndex(U16, i, Float.floatToFloat16(values[i]));
            }
        }
        return add(new Tensor(name, dtype, shape, data));
    }

    public void write(Path file) {
        List<Tensor> ordered = new ArrayList<>(tensors.values());
        ordered.sort(Comparator.comparingInt((Tensor t) -> referenceRank(t.dtype())).thenComparing(Tensor::name));
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", metadata);
        }
        long offset = 0;
        for (Tensor t : ordered) {
            long size = t.data().byteSize();
            Map<String, Object> entry = new LinkedHashMap<>(); // key order as the reference writer's
            entry.put("dtype", t.dtype().name());
            entry.put("shape", t.shape());
            entry.put("data_offsets", new long[] {offset, offset + size});
            header.put(t.name(), entry);
            offset += size;
        }
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] json = JsonFields.MAPPER.writeValueAsBytes(header);
            int padded = (json.length + 7) / 8 * 8;
            ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(padded).put(json);
            while (prefix.hasRemaining()) {
                prefix.put((byte) ' ');
            }
            writeFully(out, prefix.flip());
            for (Tensor t : ordered) {
                // Tensors hold little-endian data: the native order of every platform Glimpse runs on.
                // A ByteBuffer holds at most 2 GiB, so large tensors go out in pieces.
                MemorySegment data = t.data();
                for (long at = 0; at < data.byteSize(); at += WRITE_PIECE) {
                    writeFully(out, data.asSlice(at, Math.min(WRITE_PIECE, data.byteSize() - at)).asByteBuffer());
                }
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(file); // never leave a truncated checkpoint behind
            } catch (IOException ignored) {
                // the original error is the one worth reporting
            }
            throw new CheckpointException("cannot write " + file + ": " + e, e);
        }
    }

    /** The reference writer's order: wider types first, BF16 before F16. */
    private static int referenceRank(DType dtype) {
        return switch (dtype) {
            case F32 -> 0;
            case BF16 -> 1;
            case F16 -> 2;
        };
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** float32 → bfloat16 bits, rounding to nearest even as torch does; NaN stays a quiet NaN. */
    static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}
