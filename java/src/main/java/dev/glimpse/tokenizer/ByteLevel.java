package dev.glimpse.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's reversible map between the 256 byte values and printable characters. Byte-level BPE
 * vocabularies are written in these characters: a space is 'Ġ' (U+0120), a newline 'Ċ' (U+010A).
 */
final class ByteLevel {

    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by character; -1 where the character stands for no byte. The highest is U+0143. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            // Printable Latin-1 bytes stand for themselves; the rest take the next free code points.
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    static char toChar(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte];
    }

    /** The characters that stand for these bytes (a vocabulary entry's spelling). */
    static String toChars(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /**
     * The bytes a token stands for. A token with a character outside the map (an added token
     * such as "a b") stands for its own UTF-8, as in Hugging Face's ByteLevel decoder.
     */
    static byte[] toBytes(String token) {
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                return token.getBytes(StandardCharsets.UTF_8);
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
