package dev.glimpse.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The golden data of tools/reference/pillow_fixtures.py (test resources under image/). Reference
 * PNGs are read with javax.imageio, independently of the OpenCV decoder under test.
 */
final class Fixtures {

    private static JsonNode manifest;

    private Fixtures() {
    }

    static synchronized JsonNode manifest() {
        if (manifest == null) {
            try (InputStream in = stream("fixtures.json")) {
                manifest = new ObjectMapper().readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return manifest;
    }

    static List<JsonNode> cases(String section) {
        List<JsonNode> out = new ArrayList<>();
        manifest().get(section).forEach(out::add);
        return out;
    }

    static byte[] bytes(String relative) {
        try (InputStream in = stream(relative)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An 8-bit RGB PNG written by Pillow, read by ImageIO. */
    static RgbImage png(String relative) {
        BufferedImage img;
        try (InputStream in = stream(relative)) {
            img = ImageIO.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int w = img.getWidth(), h = img.getHeight();
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int argb = img.getRGB(x, y);
                int i = (y * w + x) * 3;
                px[i] = (byte) (argb >> 16);
                px[i + 1] = (byte) (argb >> 8);
                px[i + 2] = (byte) argb;
            }
        }
        return new RgbImage(w, h, px);
    }

    private static InputStream stream(String relative) {
        InputStream in = Fixtures.class.getResourceAsStream("/image/" + relative);
        if (in == null) {
            throw new IllegalStateException("missing test resource image/" + relative
                    + " (regenerate with tools/reference/pillow_fixtures.py)");
        }
        return in;
    }

    /** Where two images first differ, or null when they are equal. */
    static String difference(RgbImage expected, RgbImage actual) {
        if (expected.width() != actual.width() || expected.height() != actual.height()) {
            return "size " + actual.width() + "x" + actual.height() + ", expected " + expected.width() + "x"
                    + expected.height();
        }
        byte[] e = expected.pixels(), a = actual.pixels();
        int differing = 0, first = -1, maxDiff = 0;
        for (int i = 0; i < e.length; i++) {
            int d = Math.abs((e[i] & 0xFF) - (a[i] & 0xFF));
            if (d != 0) {
                differing++;
                maxDiff = Math.max(maxDiff, d);
                if (first < 0) {
                    first = i;
                }
            }
        }
        if (differing == 0) {
            return null;
        }
        int pixel = first / 3;
        return differing + " values differ (max " + maxDiff + " LSB), first at x=" + pixel % expected.width() + " y="
                + pixel / expected.width() + " channel " + first % 3 + ": " + (a[first] & 0xFF) + " vs expected "
                + (e[first] & 0xFF);
    }
}
