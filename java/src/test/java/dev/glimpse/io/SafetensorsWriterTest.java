package dev.glimpse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @TempDir
    Path tmp;

    /**
     * Given the float32 values Python started from, the writer produces the very bytes the
     * safetensors package wrote: same order, header, padding and BF16/F16 rounding (the source holds
     * ties, overflow to infinity, subnormals and -0).
     */
    @Test
    void sameBytesAsPythonWriter() throws IOException {
        JsonNode ref = Fixtures.expected().get("files").get("writer/reference.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        // Added in reverse order: the writer must order tensors itself.
        List<String> names = new ArrayList<>();
        ref.get("tensors").fieldNames().forEachRemaining(n -> names.add(0, n));
        for (String name : names) {
            JsonNode t = ref.get("tensors").get(name);
            JsonNode bits = ref.get("source_f32_bits").get(name);
            float[] values = new float[bits.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = Float.intBitsToFloat(bits.get(i).intValue());
            }
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").get(i).longValue();
            }
            writer.add(name, DType.fromSafetensors(t.get("dtype").textValue()), shape, values);
        }
        Path out = tmp.resolve("java.safetensors");
        writer.write(out);
        assertArrayEquals(Files.readAllBytes(Fixtures.dir("writer/reference.safetensors")), Files.readAllBytes(out));
    }

    @Test
    void writesTensorsAsTheyAreAndReadsThemBack() {
        Path out = tmp.resolve("t.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = new Tensor("w", DType.F32, new long[] {2, 3}, arena.allocate(24));
            for (int i = 0; i < 6; i++) {
                w.setFloat(i, i - 2.5f);
            }
            new SafetensorsWriter().add(w).add("h", DType.F16, new long[] {3}, new float[] {1, -2, 0.5f}).write(out);
            SafetensorsFile st = SafetensorsFile.open(out, arena);
            assertEquals(Map.of(), st.metadata());
            assertArrayEquals(new float[] {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}, st.tensor("w").toFloatArray());
            assertArrayEquals(new float[] {1, -2, 0.5f}, st.tensor("h").toFloatArray());
            assertEquals(0, (Files.size(out) - st.dataSize()) % 8, "data section starts 8-aligned");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
