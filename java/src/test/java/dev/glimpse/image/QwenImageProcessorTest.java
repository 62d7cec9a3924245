package dev.glimpse.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * pixel_values and image_grid_thw against transformers 5.17's Qwen2VLImageProcessorPil (fixtures:
 * three images where default limits, max_pixels and min_pixels bind): grid identical, every value
 * within 1e-6 absolute.
 */
class QwenImageProcessorTest {

    static Stream<Arguments> cases() {
        return Fixtures.cases("process").stream().map(c -> Arguments.of(c.get("input").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTransformers(String name, JsonNode c) {
        QwenImageProcessor processor = new QwenImageProcessor(c.get("min_pixels").asInt(),
                c.get("max_pixels").asInt(), 14, 2, 2, floats(c.get("image_mean")), floats(c.get("image_std")));
        float[] expected = readFloats(c.get("pixel_values").asText());
        try (Arena arena = Arena.ofConfined()) {
            PixelValues pv = processor.process(Fixtures.png(name), arena);
            JsonNode grid = c.get("grid_thw");
            assertArrayEquals(new int[] {grid.get(0).asInt(), grid.get(1).asInt(), grid.get(2).asInt()},
                    new int[] {pv.gridT(), pv.gridH(), pv.gridW()}, "grid_thw");
            assertEquals(c.get("rows").asInt(), pv.rows());
            assertEquals(1176, pv.cols());
            double maxError = 0;
            for (int r = 0; r < pv.rows(); r++) {
                for (int k = 0; k < pv.cols(); k++) {
                    maxError = Math.max(maxError, Math.abs(pv.get(r, k) - expected[r * pv.cols() + k]));
                }
            }
            assertTrue(maxError <= 1e-6, name + ": max |error| " + maxError);
            assertEquals(pv.rows() * pv.cols(), pv.tensor().numel());
        }
    }

    @Test
    void defaultsAreTransformers() {
        QwenImageProcessor p = QwenImageProcessor.withDefaults();
        assertEquals(new SmartResize.Size(476, 644), p.targetSize(476, 644)); // SPEC §4's worked example
        assertEquals(1176, p.patchDim());
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private static float[] readFloats(String relative) {
        ByteBuffer buffer = ByteBuffer.wrap(Fixtures.bytes(relative)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[buffer.remaining() / 4];
        buffer.asFloatBuffer().get(out);
        return out;
    }
}
