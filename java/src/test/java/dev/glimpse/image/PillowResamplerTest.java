package dev.glimpse.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Byte-exact equality with Pillow 12.3 (fixtures from tools/reference/pillow_fixtures.py; tolerance
 * 0 LSB) for the scalar reference and the Vector API path at every vector width, and equality of the
 * vector path with the scalar one on random images of awkward sizes.
 */
class PillowResamplerTest {

    /** The implementations under test: scalar, and the vector pass at each width, on 2 threads. */
    static List<Arguments> resamplers() {
        return List.of(
                Arguments.of("scalar", PillowResampler.scalar()),
                Arguments.of("vector-" + VectorResamplePass.vectorBits(), PillowResampler.vector()),
                Arguments.of("vector-1-thread", new PillowResampler(new VectorResamplePass(), 1)));
    }

    static Stream<Arguments> pillowCases() {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : Fixtures.cases("resize")) {
            for (Arguments r : resamplers()) {
                String name = c.get("expected").asText().replace("resize/out/", "") + " " + r.get()[0];
                out.add(Arguments.of(name, c, r.get()[1]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pillowCases")
    void equalsPillow(String name, JsonNode c, PillowResampler resampler) {
        RgbImage in = Fixtures.png(c.get("input").asText());
        RgbImage expected = Fixtures.png(c.get("expected").asText());
        ResampleFilter filter = ResampleFilter.valueOf(c.get("filter").asText().toUpperCase(Locale.ROOT));
        RgbImage out = resampler.resize(in, c.get("width").asInt(), c.get("height").asInt(), filter);
        assertNull(Fixtures.difference(expected, out), name);
    }

    static Stream<Arguments> vectorPaths() {
        return resamplers().stream().skip(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectorPaths")
    void vectorEqualsScalarOnRandomImages(String name, PillowResampler vector) {
        SplittableRandom random = new SplittableRandom(7);
        int[][] sizes = {{1, 1}, {1, 97}, {97, 1}, {5, 3}, {17, 33}, {64, 64}, {65, 63}, {300, 2}, {2, 300}, {211, 157}};
        for (int[] size : sizes) {
            RgbImage in = randomImage(random, size[0], size[1]);
            for (ResampleFilter filter : ResampleFilter.values()) {
                for (int trial = 0; trial < 4; trial++) {
                    int w = 1 + random.nextInt(2 * size[0] + 40);
                    int h = 1 + random.nextInt(2 * size[1] + 40);
                    RgbImage expected = PillowResampler.scalar().resize(in, w, h, filter);
                    RgbImage actual = vector.resize(in, w, h, filter);
                    assertNull(Fixtures.difference(expected, actual),
                            name + " " + filter + " " + size[0] + "x" + size[1] + " -> " + w + "x" + h);
                }
            }
        }
    }

    @Test
    void largeDownscaleSplitsRowsAndMatchesScalar() {
        // Big enough that both passes run on two threads.
        RgbImage in = randomImage(new SplittableRandom(3), 517, 389);
        for (ResampleFilter filter : ResampleFilter.values()) {
            RgbImage expected = PillowResampler.scalar().resize(in, 258, 194, filter);
            assertNull(Fixtures.difference(expected, PillowResampler.vector().resize(in, 258, 194, filter)));
        }
    }

    @Test
    void sameSizeIsACopy() {
        RgbImage in = randomImage(new SplittableRandom(1), 9, 4);
        RgbImage out = PillowResampler.vector().resize(in, 9, 4, ResampleFilter.LANCZOS);
        assertNull(Fixtures.difference(in, out));
        out.pixels()[0]++;
        assertEquals(1, (out.pixels()[0] - in.pixels()[0]) & 0xFF, "the copy must not share pixels");
    }

    @Test
    void refusesEmptyTarget() {
        RgbImage in = RgbImage.blank(4, 4);
        assertThrows(IllegalArgumentException.class, () -> PillowResampler.vector().resize(in, 0, 4, ResampleFilter.BICUBIC));
    }

    static RgbImage randomImage(SplittableRandom random, int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < px.length; i++) {
            // Mostly saturated values now and then, so that clamping at 0 and 255 is exercised.
            int r = random.nextInt(10);
            px[i] = (byte) (r == 0 ? 0 : r == 1 ? 255 : random.nextInt(256));
        }
        return new RgbImage(w, h, px);
    }
}
