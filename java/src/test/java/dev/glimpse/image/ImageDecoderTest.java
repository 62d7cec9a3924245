package dev.glimpse.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Decoded pixels equal Pillow's {@code Image.open(f).convert("RGB")} exactly (0 LSB) on files Pillow
 * wrote (fixtures from tools/reference/pillow_fixtures.py), and bad input gets a clear error.
 */
class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder();

    static Stream<Arguments> pillowCases() {
        return Fixtures.cases("decode").stream()
                .map(c -> Arguments.of(c.get("file").asText() + " alpha=" + c.get("alpha").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pillowCases")
    void decodesAsPillow(String name, JsonNode c) {
        AlphaMode mode = c.get("alpha").asText().equals("white") ? AlphaMode.OVER_WHITE : AlphaMode.DROP;
        ImageDecoder d = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, mode);
        RgbImage decoded = d.decode(Fixtures.bytes(c.get("file").asText()), c.get("file").asText());
        assertNull(Fixtures.difference(Fixtures.png(c.get("expected").asText()), decoded),
                name + " (" + c.get("note").asText() + ")");
    }

    @Test
    void headerSizesOfEveryFormat() {
        for (JsonNode c : Fixtures.cases("decode")) {
            ImageHeader h = ImageHeader.read(Fixtures.bytes(c.get("file").asText()), "x");
            assertEquals(c.get("width").asInt(), h.width(), c.get("file").asText());
            assertEquals(c.get("height").asInt(), h.height(), c.get("file").asText());
        }
    }

    @Test
    void decodesFromAFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("photo.bmp");
        Files.write(file, Fixtures.bytes("decode/photo.bmp"));
        assertNull(Fixtures.difference(Fixtures.png("decode/expected/photo_bmp_drop.png"), decoder.decode(file)));
    }

    @Test
    void refusesAspectRatioOver200() {
        assertEquals(200, decoder.decode(Fixtures.bytes("decode/ratio_200x1.png"), "ok.png").width());
        ImageException e = assertThrows(ImageException.class,
                () -> decoder.decode(Fixtures.bytes("decode/ratio_201x1.png"), "wide.png"));
        assertMessage(e, "wide.png", "aspect ratio must be smaller than 200, got 201.0");
    }

    @Test
    void refusesOverThePixelLimitBeforeDecoding() {
        // Only a signature and an IHDR claiming 100000 x 100000: decoding would fail differently.
        byte[] bomb = pngHeader(100_000, 100_000);
        assertMessage(assertThrows(ImageException.class, () -> decoder.decode(bomb, "bomb.png")),
                "bomb.png", "10000000000 pixels, over the limit of 178956970");
        ImageDecoder small = new ImageDecoder(9_000, AlphaMode.DROP);
        byte[] photo = Fixtures.bytes("decode/photo_420.jpg"); // 123 x 77 = 9471 pixels
        assertMessage(assertThrows(ImageException.class, () -> small.decode(photo, "photo.jpg")),
                "photo.jpg", "9471 pixels, over the limit of 9000");
    }

    @Test
    void refusesZeroSizedImages() {
        assertMessage(assertThrows(ImageException.class, () -> decoder.decode(pngHeader(0, 5), "empty.png")),
                "empty.png", "size 0x5 has no pixels");
        byte[] bmp = Fixtures.bytes("decode/photo.bmp").clone();
        ByteBuffer.wrap(bmp).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(22, 0); // height 0
        assertMessage(assertThrows(ImageException.class, () -> decoder.decode(bmp, "flat.bmp")),
                "flat.bmp", "size 123x0 has no pixels");
    }

    @Test
    void refusesEmptyAndNonImageInput() {
        assertMessage(assertThrows(ImageException.class, () -> decoder.decode(new byte[0], "empty.jpg")),
                "empty.jpg", "empty file");
        byte[] random = new byte[4096];
        new Random(1).nextBytes(random);
        random[0] = 0x12;
        assertMessage(assertThrows(ImageException.class, () -> decoder.decode(random, "noise.bin")),
                "noise.bin", "not a PNG, JPEG, BMP or WebP image");
    }

    @Test
    void refusesAMissingFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope.png");
        assertMessage(assertThrows(ImageException.class, () -> decoder.decode(missing)), missing.toString(),
                "no such file");
    }

    static Stream<String> truncatable() {
        return Stream.of("decode/photo_420.jpg", "decode/photo_progressive.jpg", "decode/rgba.png",
                "decode/gray16.png", "decode/photo.bmp", "decode/lossless.webp", "decode/lossy.webp");
    }

    @ParameterizedTest
    @MethodSource("truncatable")
    void refusesTruncatedFiles(String file) {
        byte[] whole = Fixtures.bytes(file);
        for (int keep : new int[] {whole.length / 2, whole.length - 40, 10}) {
            byte[] cut = Arrays.copyOf(whole, keep);
            ImageException e = assertThrows(ImageException.class, () -> decoder.decode(cut, "cut-" + keep),
                    file + " cut to " + keep + " bytes");
            assertTrue(e.getMessage().startsWith("cut-" + keep + ": "), e.getMessage());
        }
    }

    @Test
    void refusesCorruptJpegBody() {
        byte[] jpeg = Fixtures.bytes("decode/photo_420.jpg").clone();
        Arrays.fill(jpeg, 3, 40, (byte) 0x00); // destroys the segment structure after SOI
        assertMessage(assertThrows(ImageException.class, () -> decoder.decode(jpeg, "bad.jpg")), "bad.jpg",
                "corrupt JPEG");
    }

    private static void assertMessage(ImageException e, String source, String fragment) {
        assertTrue(e.getMessage().startsWith(source), "message should name " + source + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "message should say '" + fragment + "': " + e.getMessage());
    }

    /** A PNG signature and a valid IHDR chunk, nothing else. */
    private static byte[] pngHeader(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(17).put("IHDR".getBytes()).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13});
        out.writeBytes(ihdr.array());
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        return out.toByteArray();
    }
}
