package dev.glimpse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading files written by the Python safetensors package, and refusing corrupt ones. */
class SafetensorsFileTest {

    @TempDir
    Path tmp;

    /** Every tensor of every Python-written file equals, bit for bit, what torch held. */
    @Test
    void readsWhatPythonWrote() {
        JsonNode files = Fixtures.expected().get("files");
        int checked = 0;
        for (Map.Entry<String, JsonNode> file : files.properties()) {
            try (Arena arena = Arena.ofConfined()) {
                SafetensorsFile st = SafetensorsFile.open(Fixtures.dir(file.getKey()), arena);
                JsonNode tensors = file.getValue().get("tensors");
                assertEquals(tensors.size(), st.names().size(), file.getKey());
                for (Map.Entry<String, JsonNode> e : tensors.properties()) {
                    checkTensor(st, e.getKey(), e.getValue());
                    checked++;
                }
                JsonNode metadata = file.getValue().get("metadata");
                assertEquals(metadata.size(), st.metadata().size());
                metadata.properties().forEach(m -> assertEquals(m.getValue().textValue(), st.metadata().get(m.getKey())));
            }
        }
        assertEquals(18, checked, "tensors in expected.json");
    }

    private static void checkTensor(SafetensorsFile st, String name, JsonNode expected) {
        TensorInfo info = st.info(name);
        String dtype = expected.get("dtype").textValue();
        assertEquals(dtype, info.dtypeName(), name);
        long[] shape = new long[expected.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = expected.get("shape").get(i).longValue();
        }
        assertArrayEquals(shape, info.shape(), name);
        if (dtype.equals("I64")) {
            // Listed, readable as bytes, but not a weight.
            long[] values = st.bytes(name).toArray(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            for (int i = 0; i < values.length; i++) {
                assertEquals(expected.get("values").get(i).longValue(), values[i], name);
            }
            assertNull(info.dtype());
            return;
        }
        Tensor t = st.tensor(name);
        assertEquals(DType.fromSafetensors(dtype), t.dtype());
        assertArrayEquals(shape, t.shape());
        JsonNode bits = expected.get("f32_bits");
        assertEquals(bits.size(), t.numel(), name);
        for (int i = 0; i < bits.size(); i++) {
            int want = bits.get(i).intValue();
            int got = Float.floatToRawIntBits(t.getFloat(i));
            if (want != got) {
                throw new AssertionError(name + "[" + i + "]: expected " + Float.intBitsToFloat(want) + " got "
                        + Float.intBitsToFloat(got));
            }
        }
    }

    @Test
    void listsButRefusesUnsupportedDtype() {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile st = SafetensorsFile.open(Fixtures.dir("classic/model.safetensors"), arena);
            assertTrue(st.names().contains("test.steps"));
            CheckpointException e = assertThrows(CheckpointException.class, () -> st.tensor("test.steps"));
            assertContains(e, "tensor test.steps has dtype I64, which Glimpse cannot use as a weight");
            assertContains(assertThrows(CheckpointException.class, () -> st.tensor("nope")), "has no tensor nope");
        }
    }

    @Test
    void scalarAndEmptyTensors() {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile st = SafetensorsFile.open(Fixtures.dir("classic/model.safetensors"), arena);
            Tensor scalar = st.tensor("test.scalar");
            assertEquals(0, scalar.rank());
            assertEquals(2.5f, scalar.getFloat(0));
            Tensor empty = st.tensor("test.empty");
            assertArrayEquals(new long[] {0, 16}, empty.shape());
            assertEquals(0, empty.data().byteSize());
        }
    }

    /** A file that is valid apart from what each test breaks: [2,2] F32 "w" then [3] BF16 "b". */
    private Path file(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        Path p = tmp.resolve("t.safetensors");
        Files.write(p, buf.array());
        return p;
    }

    private static final String GOOD = """
            {"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},\
            "b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]}}""";

    private static CheckpointException refused(Path p) {
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(CheckpointException.class, () -> SafetensorsFile.open(p, arena));
        }
    }

    private static void assertContains(Exception e, String part) {
        assertTrue(e.getMessage().contains(part), () -> "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
    }

    private void assertRefused(String header, int dataBytes, String... parts) throws IOException {
        Path p = file(header, dataBytes);
        CheckpointException e = refused(p);
        assertContains(e, p.toString());
        for (String part : parts) {
            assertContains(e, part);
        }
    }

    @Test
    void handMadeGoodFileOpens() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile st = SafetensorsFile.open(file(GOOD, 22), arena);
            assertEquals(2, st.names().size());
            assertEquals(22, st.dataSize());
        }
    }

    @Test
    void tooShort() throws IOException {
        Path p = tmp.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 0, 0, 0, 0});
        assertContains(refused(p), "is 5 bytes long, too short for a safetensors file");
    }

    @Test
    void headerLongerThanFile() throws IOException {
        Path p = file(GOOD, 22);
        byte[] bytes = Files.readAllBytes(p);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, bytes.length);
        Files.write(p, bytes);
        assertContains(refused(p), "runs past the end of the " + bytes.length + "-byte file");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        Path p = file(GOOD, 22);
        byte[] bytes = Files.readAllBytes(p);
        for (long absurd : new long[] {SafetensorsFile.MAX_HEADER_BYTES + 1, -8L, Long.MAX_VALUE}) {
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, absurd);
            Files.write(p, bytes);
            assertContains(refused(p), "-byte limit: not a safetensors file");
        }
    }

    @Test
    void invalidUtf8() throws IOException {
        Path p = file(GOOD, 22);
        byte[] bytes = Files.readAllBytes(p);
        bytes[8 + GOOD.indexOf("pt")] = (byte) 0xFF;
        Files.write(p, bytes);
        assertContains(refused(p), "the header is not valid UTF-8");
    }

    @Test
    void invalidJson() throws IOException {
        assertRefused(GOOD.substring(0, GOOD.length() - 1), 22, "the header is not valid JSON");
        assertRefused(GOOD + "x", 22, "the header is not valid JSON");
        assertRefused("[1,2]", 0, "the header must be a JSON object");
        assertRefused("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "Duplicate field 'w'");
    }

    @Test
    void missingFields() throws IOException {
        assertRefused(GOOD.replace("\"dtype\":\"F32\",", ""), 22, "tensor w has no dtype");
        assertRefused(GOOD.replace("\"shape\":[2,2],", ""), 22, "tensor w needs shape as a list of integers");
        assertRefused(GOOD.replace(",\"data_offsets\":[0,16]", ""), 22,
                "tensor w needs data_offsets as a list of 2 integers");
        assertRefused(GOOD.replace("[0,16]", "[0]"), 22, "tensor w needs data_offsets as a list of 2 integers");
        assertRefused(GOOD.replace("[2,2]", "[2,\"2\"]"), 22, "tensor w needs shape as a list of integers");
        assertRefused("{\"w\":3}", 0, "tensor w must be an object");
        assertRefused(GOOD.replace("{\"format\":\"pt\"}", "{\"format\":1}"), 22, "__metadata__.format must be a string");
    }

    @Test
    void unknownDtype() throws IOException {
        assertRefused(GOOD.replace("BF16", "Q9"), 22, "tensor b has unknown dtype \"Q9\"");
    }

    @Test
    void negativeDimension() throws IOException {
        assertRefused(GOOD.replace("[2,2]", "[-2,-2]"), 22, "tensor w has a negative dimension in shape [-2, -2]");
    }

    @Test
    void sizeDisagreesWithShape() throws IOException {
        assertRefused(GOOD.replace("[2,2]", "[2,3]"), 22,
                "tensor w: data_offsets [0, 16] hold 16 bytes, but shape [2, 3] of F32 needs 24");
        assertRefused(GOOD.replace("[16,22]", "[22,16]"), 22, "tensor b has invalid data_offsets [22, 16]");
        assertRefused(GOOD.replace("[2,2]", "[4294967296,4294967296,4294967296]"), 22,
                "tensor w has an impossibly large shape");
    }

    @Test
    void offsetsBeyondFile() throws IOException {
        assertRefused(GOOD.replace("[16,22]", "[100,106]"), 22,
                "tensor b ends at byte 106 of a 22-byte data section: the file is truncated");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertRefused(GOOD.replace("[16,22]", "[10,16]"), 22, "tensors w [0, 16) and b [10, 16) overlap");
    }

    @Test
    void truncatedPythonFile() throws IOException {
        Path p = tmp.resolve("cut.safetensors");
        byte[] bytes = Files.readAllBytes(Fixtures.dir("classic/model.safetensors"));
        Files.write(p, Arrays.copyOf(bytes, bytes.length - 3));
        assertContains(refused(p), "the file is truncated");
        Files.write(p, Arrays.copyOf(bytes, 100));
        assertContains(refused(p), "runs past the end of the 100-byte file");
    }
}
