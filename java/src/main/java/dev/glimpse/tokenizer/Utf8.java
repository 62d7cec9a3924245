package dev.glimpse.tokenizer;

/**
 * UTF-8 decoding that replaces each maximal invalid subsequence with one U+FFFD, as Rust's
 * {@code String::from_utf8_lossy} (and so Hugging Face's decoder) and Python do. The JDK's
 * decoder differs on some inputs (an encoded surrogate ED A0 80 gives one U+FFFD, not three).
 */
final class Utf8 {

    private static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /**
     * Decodes {@code bytes[0, length)} into {@code out}. With {@code endOfInput} false, a trailing
     * sequence that is valid so far but incomplete is left undecoded, since the next bytes may
     * complete it. Returns how many bytes were consumed.
     */
    static int decode(byte[] bytes, int length, StringBuilder out, boolean endOfInput) {
        int i = 0;
        while (i < length) {
            int lead = bytes[i] & 0xFF;
            if (lead < 0x80) {
                out.append((char) lead);
                i++;
                continue;
            }
            int continuations;
            int low = 0x80;
            int high = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF) {
                continuations = 1;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                continuations = 2;
                if (lead == 0xE0) {
                    low = 0xA0; // no overlong forms
                } else if (lead == 0xED) {
                    high = 0x9F; // no surrogates
                }
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                continuations = 3;
                if (lead == 0xF0) {
                    low = 0x90; // no overlong forms
                } else if (lead == 0xF4) {
                    high = 0x8F; // nothing above U+10FFFF
                }
            } else {
                out.append(REPLACEMENT);
                i++;
                continue;
            }
            int codePoint = lead & (0x3F >> continuations);
            int j = i + 1;
            int seen = 0;
            while (seen < continuations && j < length) {
                int b = bytes[j] & 0xFF;
                if (b < low || b > high) {
                    break;
                }
                codePoint = (codePoint << 6) | (b & 0x3F);
                low = 0x80;
                high = 0xBF;
                j++;
                seen++;
            }
            if (seen == continuations) {
                out.appendCodePoint(codePoint);
            } else if (j == length && !endOfInput) {
                return i;
            } else {
                out.append(REPLACEMENT);
            }
            i = j;
        }
        return length;
    }

    /** The text with each unpaired surrogate replaced by U+FFFD, so that it has a UTF-8 form. */
    static String replaceLoneSurrogates(String text) {
        char[] chars = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                if (chars == null) {
                    chars = text.toCharArray();
                }
                chars[i] = REPLACEMENT;
            }
        }
        return chars == null ? text : new String(chars);
    }
}
