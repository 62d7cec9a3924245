package dev.glimpse.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A memory-mapped .safetensors file: an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and data_offsets, then the data section. The whole header is
 * validated before the file is mapped, so a corrupt or truncated file is an exception naming the
 * file and tensor, never a fault on a later read. Tensors are views of the mapping and live as
 * long as the arena passed to {@link #open}.
 */
public final class SafetensorsFile {

    /** The reference implementation's limit; a larger "header" means the file is something else. */
    static final long MAX_HEADER_BYTES = 100_000_000;

    // Bytes per element of every fixed-width safetensors dtype, including those Glimpse only lists.
    private static final Map<String, Integer> ELEMENT_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1), Map.entry("F8_E5M2", 1),
            Map.entry("F8_E4M3", 1), Map.entry("F8_E8M0", 1), Map.entry("I16", 2), Map.entry("U16", 2),
            Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I32", 4), Map.entry("U32", 4),
            Map.entry("F32", 4), Map.entry("F64", 8), Map.entry("I64", 8), Map.entry("U64", 8),
            Map.entry("C64", 8));

    private final Path path;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors;
    private final MemorySegment data;

    private SafetensorsFile(Path path, Map<String, String> metadata, Map<String, TensorInfo> tensors,
            MemorySegment data) {
        this.path = path;
        this.metadata = metadata;
        this.tensors = tensors;
        this.data = data;
    }

    /** Validates the header of file and maps it read-only into arena. */
    public static SafetensorsFile open(Path file, Arena arena) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new CheckpointException(file + " is " + fileSize
                        + " bytes long, too short for a safetensors file (8-byte header length first)");
            }
            long headerLength = readHeaderLength(channel);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new CheckpointException(file + ": header length " + Long.toUnsignedString(headerLength)
                        + " is beyond the " + MAX_HEADER_BYTES + "-byte limit: not a safetensors file");
            }
            if (headerLength > fileSize - 8) {
                throw new CheckpointException(file + ": header length " + headerLength + " runs past the end of the "
                        + fileSize + "-byte file: the file is truncated or not a safetensors file");
            }
            JsonNode header = parseHeader(file, readFully(channel, 8, (int) headerLength));
            long dataSize = fileSize - 8 - headerLength;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> field : header.properties()) {
                if (field.getKey().equals("__metadata__")) {
                    readMetadata(file, field.getValue(), metadata);
                } else {
                    TensorInfo info = readEntry(file, field.getKey(), field.getValue());
                    tensors.put(info.name(), info);
                }
            }
            checkLayout(file, tensors.values(), dataSize);
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, arena);
            return new SafetensorsFile(file, Collections.unmodifiableMap(metadata),
                    Collections.unmodifiableMap(tensors), mapped.asSlice(8 + headerLength, dataSize));
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e, e);
        }
    }

    public Path path() {
        return path;
    }

    /** The header's __metadata__ strings (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    /** Every header entry, in header order. */
    public List<TensorInfo> entries() {
        return List.copyOf(tensors.values());
    }

    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new CheckpointException(path + " has no tensor " + name);
        }
        return info;
    }

    /** The tensor's bytes in the mapping, whatever its dtype. */
    public MemorySegment bytes(String name) {
        TensorInfo info = info(name);
        return data.asSlice(info.begin(), info.byteSize());
    }

    /** A view of the named tensor; its dtype must be one Glimpse computes with (F32, BF16, F16). */
    public Tensor tensor(String name) {
        return tensor(name, name);
    }

    /** The tensor stored as storedName, given the name the caller knows it by. */
    Tensor tensor(String storedName, String asName) {
        TensorInfo info = info(storedName);
        DType dtype = info.dtype();
        if (dtype == null) {
            throw new CheckpointException(path + ": tensor " + storedName + " has dtype " + info.dtypeName()
                    + ", which Glimpse cannot use as a weight (supported: F32, BF16, F16)");
        }
        return new Tensor(asName, dtype, info.shape(), data.asSlice(info.begin(), info.byteSize()));
    }

    /** Size of the data section in bytes. */
    public long dataSize() {
        return data.byteSize();
    }

    /** Loads the pages of data-section bytes [from, to) into memory, so later reads do not fault. */
    void prefault(long from, long to) {
        data.asSlice(from, to - from).load();
    }

    private static long readHeaderLength(FileChannel channel) throws IOException {
        return ByteBuffer.wrap(readFully(channel, 0, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static byte[] readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        return buffer.array();
    }

    private static JsonNode parseHeader(Path file, byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file + ": the header is not valid UTF-8: not a safetensors file", e);
        }
        JsonNode header;
        try {
            header = JsonFields.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": the header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new CheckpointException(file + ": the header must be a JSON object");
        }
        return header;
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new CheckpointException(file + ": __metadata__ must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new CheckpointException(file + ": __metadata__." + e.getKey() + " must be a string, got "
                        + e.getValue());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo readEntry(Path file, String name, JsonNode node) {
        String where = file + ": tensor " + name;
        if (!node.isObject()) {
            throw new CheckpointException(where + " must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw new CheckpointException(where + " has no dtype string");
        }
        Integer elementBytes = ELEMENT_BYTES.get(dtype.textValue());
        if (elementBytes == null) {
            throw new CheckpointException(where + " has unknown dtype \"" + dtype.textValue() + "\"");
        }
        long[] shape = longs(where, "shape", node.get("shape"), -1);
        for (long d : shape) {
            if (d < 0) {
                throw new CheckpointException(where + " has a negative dimension in shape " + Arrays.toString(shape));
            }
        }
        long[] offsets = longs(where, "data_offsets", node.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin) {
            throw new CheckpointException(where + " has invalid data_offsets " + Arrays.toString(offsets)
                    + " (need 0 <= begin <= end)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(Tensor.numel(shape), elementBytes);
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + " has an impossibly large shape " + Arrays.toString(shape), e);
        }
        if (end - begin != expected) {
            throw new CheckpointException(where + ": data_offsets " + Arrays.toString(offsets) + " hold "
                    + (end - begin) + " bytes, but shape " + Arrays.toString(shape) + " of " + dtype.textValue()
                    + " needs " + expected);
        }
        return new TensorInfo(name, dtype.textValue(), shape, begin, end);
    }

    /** A JSON list of integers; length -1 accepts any length. */
    private static long[] longs(String where, String key, JsonNode node, int length) {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw new CheckpointException(where + " needs " + key + " as a list of "
                    + (length >= 0 ? length + " " : "") + "integers, got " + node);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = node.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToLong()) {
                throw new CheckpointException(where + " needs " + key + " as a list of integers, got " + node);
            }
            out[i] = e.longValue();
        }
        return out;
    }

    /** Every tensor lies inside the data section and no two share a byte. */
    private static void checkLayout(Path file, Iterable<TensorInfo> infos, long dataSize) {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo info : infos) {
            if (info.end() > dataSize) {
                throw new CheckpointException(file + ": tensor " + info.name() + " ends at byte " + info.end()
                        + " of a " + dataSize + "-byte data section: the file is truncated");
            }
            if (info.byteSize() > 0) {
                sorted.add(info);
            }
        }
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo next = sorted.get(i);
            if (next.begin() < prev.end()) {
                throw new CheckpointException(file + ": tensors " + prev.name() + " [" + prev.begin() + ", "
                        + prev.end() + ") and " + next.name() + " [" + next.begin() + ", " + next.end() + ") overlap");
            }
        }
    }
}
