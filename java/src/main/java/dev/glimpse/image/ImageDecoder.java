package dev.glimpse.image;

import static org.bytedeco.opencv.global.opencv_core.CV_16U;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_UNCHANGED;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGRA2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGRA2RGBA;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Decodes PNG, JPEG, BMP and WebP into {@link RgbImage} with OpenCV, giving the pixels PIL's
 * {@code Image.open(f).convert("RGB")} gives (SPEC §2.1): EXIF orientation ignored, grayscale
 * spread to R=G=B, alpha dropped (or composited over white, see {@link AlphaMode}), 16-bit samples
 * reduced as Pillow does (high byte for colour, clamped to 255 for gray). Before decoding, the
 * header is read and images with a 0-pixel side, an aspect ratio over 200 or more pixels than the
 * limit are refused.
 */
public final class ImageDecoder {

    /** Pillow's decompression-bomb error threshold (2 × Image.MAX_IMAGE_PIXELS). */
    public static final long DEFAULT_MAX_PIXELS = 178_956_970L;

    private final long maxPixels;
    private final AlphaMode alpha;

    /** Pillow's pixel limit, alpha dropped. */
    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS, AlphaMode.DROP);
    }

    public ImageDecoder(long maxPixels, AlphaMode alpha) {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("pixel limit must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
        this.alpha = alpha;
    }

    public RgbImage decode(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ImageException(file + ": no such file");
        } catch (IOException e) {
            throw new ImageException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return decode(data, file.toString());
    }

    /** Decodes encoded image bytes; {@code source} names them in error messages. */
    public RgbImage decode(byte[] data, String source) {
        ImageHeader header = checkHeader(data, source);
        if (header.format() == ImageHeader.Format.JPEG && !hasEndOfImage(data)) {
            throw new ImageException(source + ": truncated JPEG (no end-of-image marker)");
        }
        OpenCvLog.silence();
        try (BytePointer bytes = new BytePointer(data);
                Mat encoded = new Mat(1, data.length, CV_8UC1, bytes);
                Mat decoded = imdecode(encoded, IMREAD_UNCHANGED | IMREAD_IGNORE_ORIENTATION)) {
            if (decoded.empty()) {
                throw new ImageException(source + ": cannot decode this " + header.format()
                        + " image (corrupt or truncated file)");
            }
            if (decoded.cols() != header.width() || decoded.rows() != header.height()) {
                throw new ImageException(source + ": decoded size " + decoded.cols() + "x" + decoded.rows()
                        + " differs from the header's " + header.width() + "x" + header.height());
            }
            return toRgb(decoded, source);
        } catch (ImageException e) {
            throw e;
        } catch (RuntimeException e) { // cv::Exception, as JavaCPP throws it
            throw new ImageException(source + ": OpenCV could not decode this " + header.format() + " image ("
                    + e.getMessage() + ")", e);
        }
    }

    /** The header, if the image is one Glimpse accepts. */
    private ImageHeader checkHeader(byte[] data, String source) {
        ImageHeader h = ImageHeader.read(data, source);
        String format = h.format().name();
        if (h.width() == 0 || h.height() == 0) {
            throw new ImageException(source + ": " + format + " image of size " + h.width() + "x" + h.height()
                    + " has no pixels");
        }
        long pixels = (long) h.width() * h.height();
        if (pixels > maxPixels) {
            throw new ImageException(String.format(Locale.ROOT,
                    "%s: %dx%d %s image has %d pixels, over the limit of %d (a decompression bomb?);"
                            + " raise the pixel limit if the image is genuine", source, h.width(), h.height(), format,
                    pixels, maxPixels));
        }
        try {
            SmartResize.checkAspectRatio(h.height(), h.width());
        } catch (ImageException e) {
            throw new ImageException(source + ": " + e.getMessage());
        }
        return h;
    }

    private RgbImage toRgb(Mat m, String source) {
        int w = m.cols(), h = m.rows(), channels = m.channels();
        if (m.depth() == CV_16U) {
            return fromSixteenBits(m, channels, source);
        }
        if (m.depth() != CV_8U || (channels != 1 && channels != 3 && channels != 4)) {
            throw new ImageException(source + ": unsupported pixel format (" + channels + " channels, OpenCV depth "
                    + m.depth() + ")");
        }
        if (channels == 4 && alpha == AlphaMode.OVER_WHITE) {
            byte[] rgba = new byte[w * h * 4];
            try (Mat converted = new Mat()) {
                cvtColor(m, converted, COLOR_BGRA2RGBA);
                converted.data().get(rgba);
            }
            return overWhite(w, h, rgba);
        }
        int code = switch (channels) {
            case 1 -> COLOR_GRAY2RGB;
            case 3 -> COLOR_BGR2RGB;
            default -> COLOR_BGRA2RGB; // drops alpha
        };
        RgbImage out = RgbImage.blank(w, h);
        try (Mat rgb = new Mat()) {
            cvtColor(m, rgb, code);
            rgb.data().get(out.pixels());
        }
        return out;
    }

    /** Pillow opens 16-bit colour PNGs keeping the high byte, and 16-bit gray as I;16 that convert("RGB") clamps. */
    private RgbImage fromSixteenBits(Mat m, int channels, String source) {
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new ImageException(source + ": unsupported 16-bit image with " + channels + " channels");
        }
        int w = m.cols(), h = m.rows(), n = w * h;
        short[] samples = new short[n * channels];
        new ShortPointer(m.data()).get(samples);
        byte[] eight = new byte[samples.length];
        for (int i = 0; i < samples.length; i++) {
            int v = samples[i] & 0xFFFF;
            eight[i] = (byte) (channels == 1 ? Math.min(v, 255) : v >>> 8);
        }
        byte[] rgba = new byte[n * 4];
        for (int i = 0; i < n; i++) { // OpenCV's BGR(A) or gray into RGBA
            int s = i * channels;
            rgba[i * 4] = eight[channels == 1 ? s : s + 2];
            rgba[i * 4 + 1] = eight[channels == 1 ? s : s + 1];
            rgba[i * 4 + 2] = eight[s];
            rgba[i * 4 + 3] = channels == 4 ? eight[s + 3] : (byte) 255;
        }
        if (channels == 4 && alpha == AlphaMode.OVER_WHITE) {
            return overWhite(w, h, rgba);
        }
        RgbImage out = RgbImage.blank(w, h);
        for (int i = 0; i < n; i++) {
            System.arraycopy(rgba, i * 4, out.pixels(), i * 3, 3);
        }
        return out;
    }

    /** Pillow's {@code white.paste(im, mask=alpha)}: out = (c·a + 255·(255 − a)) / 255, rounded as its DIV255. */
    private static RgbImage overWhite(int w, int h, byte[] rgba) {
        RgbImage out = RgbImage.blank(w, h);
        byte[] px = out.pixels();
        for (int i = 0; i < w * h; i++) {
            int a = rgba[i * 4 + 3] & 0xFF;
            for (int c = 0; c < 3; c++) {
                int t = (rgba[i * 4 + c] & 0xFF) * a + 255 * (255 - a) + 128;
                px[i * 3 + c] = (byte) (((t >> 8) + t) >> 8);
            }
        }
        return out;
    }

    /**
     * Whether a JPEG has its end-of-image marker after the first scan. OpenCV (libjpeg) decodes a
     * truncated file with a gray bottom and only a warning; Pillow refuses it, so Glimpse does too.
     */
    private static boolean hasEndOfImage(byte[] d) {
        int p = 2;
        while (p + 3 < d.length) { // walk the segments to the first scan (skipping EXIF thumbnails)
            while (p < d.length - 1 && (d[p + 1] & 0xFF) == 0xFF) {
                p++;
            }
            int marker = d[p + 1] & 0xFF;
            if (marker == 0xDA) {
                break;
            }
            p += (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) ? 2
                    : 2 + ((d[p + 2] & 0xFF) << 8 | (d[p + 3] & 0xFF));
        }
        for (int i = d.length - 2; i > p; i--) {
            if ((d[i] & 0xFF) == 0xFF && (d[i + 1] & 0xFF) == 0xD9) {
                return true;
            }
        }
        return false;
    }
}
