package dev.glimpse.image;

import java.util.HexFormat;

/**
 * Format and pixel size of an encoded image, read from its first bytes (PNG IHDR, JPEG SOF, BMP
 * info header, WebP VP8/VP8L/VP8X), so that oversized images are refused before anything decodes.
 */
public record ImageHeader(Format format, int width, int height) {

    /** The formats Glimpse decodes. */
    public enum Format { PNG, JPEG, BMP, WEBP }

    /** Reads the header of {@code data}; {@code source} names the image in error messages. */
    public static ImageHeader read(byte[] data, String source) {
        if (data.length == 0) {
            throw new ImageException(source + ": empty file, not an image");
        }
        try {
            if (startsWith(data, 0, 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n')) {
                return png(data, source);
            }
            if (startsWith(data, 0, 0xFF, 0xD8, 0xFF)) {
                return jpeg(data, source);
            }
            if (startsWith(data, 0, 'B', 'M')) {
                return bmp(data, source);
            }
            if (startsWith(data, 0, 'R', 'I', 'F', 'F') && startsWith(data, 8, 'W', 'E', 'B', 'P')) {
                return webp(data, source);
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new ImageException(source + ": truncated image header", e);
        }
        String head = HexFormat.ofDelimiter(" ").formatHex(data, 0, Math.min(8, data.length));
        throw new ImageException(source + ": not a PNG, JPEG, BMP or WebP image (starts with " + head + ")");
    }

    private static ImageHeader png(byte[] d, String source) {
        if (!startsWith(d, 12, 'I', 'H', 'D', 'R')) {
            throw new ImageException(source + ": corrupt PNG (no IHDR chunk first)");
        }
        return new ImageHeader(Format.PNG, positive(be32(d, 16), source), positive(be32(d, 20), source));
    }

    private static ImageHeader jpeg(byte[] d, String source) {
        int p = 2;
        while (true) {
            if ((d[p] & 0xFF) != 0xFF) {
                throw new ImageException(source + ": corrupt JPEG (no marker at byte " + p + ")");
            }
            while ((d[p] & 0xFF) == 0xFF) {
                p++; // fill bytes
            }
            int marker = d[p] & 0xFF;
            boolean frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (frame) {
                // length(2) precision(1) height(2) width(2)
                return new ImageHeader(Format.JPEG, be16(d, p + 6), be16(d, p + 4));
            }
            if (marker == 0xDA || marker == 0xD9) {
                throw new ImageException(source + ": corrupt JPEG (no frame header before the image data)");
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                p++; // markers without a length
            } else {
                p += 1 + be16(d, p + 1);
            }
        }
    }

    private static ImageHeader bmp(byte[] d, String source) {
        int infoSize = le32(d, 14);
        if (infoSize == 12) { // OS/2 BITMAPCOREHEADER: 16-bit sizes
            return new ImageHeader(Format.BMP, le16(d, 18), le16(d, 20));
        }
        int width = le32(d, 18);
        int height = le32(d, 22);
        if (width < 0 || height == Integer.MIN_VALUE) {
            throw new ImageException(source + ": corrupt BMP (size " + width + "x" + height + ")");
        }
        return new ImageHeader(Format.BMP, width, Math.abs(height)); // negative height: rows top-down
    }

    private static ImageHeader webp(byte[] d, String source) {
        if (startsWith(d, 12, 'V', 'P', '8', ' ')) { // lossy: key frame header after a 3-byte tag
            if (!startsWith(d, 23, 0x9D, 0x01, 0x2A)) {
                throw new ImageException(source + ": corrupt WebP (no VP8 key frame)");
            }
            return new ImageHeader(Format.WEBP, le16(d, 26) & 0x3FFF, le16(d, 28) & 0x3FFF);
        }
        if (startsWith(d, 12, 'V', 'P', '8', 'L')) { // lossless: 14-bit sizes minus one
            int bits = le32(d, 21);
            return new ImageHeader(Format.WEBP, (bits & 0x3FFF) + 1, ((bits >>> 14) & 0x3FFF) + 1);
        }
        if (startsWith(d, 12, 'V', 'P', '8', 'X')) { // extended: 24-bit canvas sizes minus one
            return new ImageHeader(Format.WEBP, le24(d, 24) + 1, le24(d, 27) + 1);
        }
        throw new ImageException(source + ": corrupt WebP (unknown chunk after the RIFF header)");
    }

    private static boolean startsWith(byte[] d, int offset, int... expected) {
        if (d.length < offset + expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if ((d[offset + i] & 0xFF) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static int positive(int v, String source) {
        if (v < 0) {
            throw new ImageException(source + ": corrupt PNG (size field " + Integer.toUnsignedString(v) + ")");
        }
        return v;
    }

    private static int be16(byte[] d, int p) {
        return (d[p] & 0xFF) << 8 | (d[p + 1] & 0xFF);
    }

    private static int be32(byte[] d, int p) {
        return be16(d, p) << 16 | be16(d, p + 2);
    }

    private static int le16(byte[] d, int p) {
        return (d[p] & 0xFF) | (d[p + 1] & 0xFF) << 8;
    }

    private static int le24(byte[] d, int p) {
        return le16(d, p) | (d[p + 2] & 0xFF) << 16;
    }

    private static int le32(byte[] d, int p) {
        return le16(d, p) | le16(d, p + 2) << 16;
    }
}
