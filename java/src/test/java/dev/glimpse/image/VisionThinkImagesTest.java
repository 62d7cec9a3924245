package dev.glimpse.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The VisionThink half-size and min-28 steps against the eval loop's Pillow code (fixtures), byte
 * for byte, and the notes that say when Glimpse adjusted an image.
 */
class VisionThinkImagesTest {

    static Stream<Arguments> cases() {
        return Fixtures.cases("visionthink").stream()
                .map(c -> Arguments.of(c.get("op").asText() + " " + c.get("input").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPillow(String name, JsonNode c) {
        RgbImage in = Fixtures.png(c.get("input").asText());
        VisionThinkImages.Adjusted out = c.get("op").asText().equals("half_size")
                ? VisionThinkImages.halfSize(in) : VisionThinkImages.minSide28(in);
        assertNull(Fixtures.difference(Fixtures.png(c.get("expected").asText()), out.image()), name);
    }

    @Test
    void notesSayWhatChanged() {
        RgbImage column = RgbImage.blank(1, 61);
        VisionThinkImages.Adjusted half = VisionThinkImages.halfSize(column);
        assertEquals("1x61 halves to 0x30: a 0-pixel side was raised to 1; 1x30 has a side under 28 pixels: "
                + "scaled up to 28x840", half.note());
        assertEquals(28, half.image().width());
        assertEquals(840, half.image().height());

        VisionThinkImages.Adjusted plain = VisionThinkImages.halfSize(RgbImage.blank(101, 67));
        assertFalse(plain.hasNote());
        assertEquals(50, plain.image().width());
        assertEquals(33, plain.image().height());

        RgbImage big = RgbImage.blank(56, 60);
        assertTrue(VisionThinkImages.minSide28(big).image() == big, "no copy when nothing changes");
    }
}
