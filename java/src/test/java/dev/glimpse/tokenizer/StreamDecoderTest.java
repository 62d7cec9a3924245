package dev.glimpse.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Characters whose UTF-8 bytes arrive in separate tokens are emitted whole, once, and late. */
class StreamDecoderTest {

    private static final Tokenizer TOKENIZER = Tokenizer.qwen25vl();

    /** The single-byte tokens spelling these bytes, one token per byte. */
    private static int[] byteTokens(byte[] bytes) {
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = TOKENIZER.tokenId(String.valueOf(ByteLevel.toChar(bytes[i] & 0xFF))).orElseThrow();
        }
        return ids;
    }

    private static List<String> pushAll(Tokenizer.StreamDecoder decoder, int[] ids) {
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(decoder.push(id));
        }
        return pieces;
    }

    @Test
    void threeByteCharacterIsHeldUntilComplete() {
        int[] ids = byteTokens("你".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("", "", "你"), pushAll(TOKENIZER.streamDecoder(false), ids));
    }

    @Test
    void emojiSplitAfterEveryByteComesOutWhole() {
        int[] ids = byteTokens("a😀b".getBytes(StandardCharsets.UTF_8));
        Tokenizer.StreamDecoder decoder = TOKENIZER.streamDecoder(true);
        assertEquals(List.of("a", "", "", "", "😀", "b"), pushAll(decoder, ids));
        assertEquals("", decoder.flush());
    }

    @Test
    void unfinishedCharacterBecomesReplacementOnFlush() {
        byte[] bytes = "é你".getBytes(StandardCharsets.UTF_8);
        int[] ids = byteTokens(java.util.Arrays.copyOf(bytes, bytes.length - 1));
        Tokenizer.StreamDecoder decoder = TOKENIZER.streamDecoder(false);
        assertEquals(List.of("", "é", "", ""), pushAll(decoder, ids));
        assertEquals("\uFFFD", decoder.flush());
        assertEquals("", decoder.flush(), "flush empties the decoder");
    }

    @Test
    void invalidByteIsReplacedAtOnceAndDoesNotSwallowTheNextCharacter() {
        // E4 BD starts a three-byte character; 'A' cannot continue it.
        int[] ids = byteTokens(new byte[] {(byte) 0xE4, (byte) 0xBD, 'A'});
        assertEquals(List.of("", "", "\uFFFDA"), pushAll(TOKENIZER.streamDecoder(false), ids));
    }

    @Test
    void specialTokensAreSkippedOnlyWhenAsked() {
        int imEnd = TOKENIZER.tokenId("<|im_end|>").orElseThrow();
        int toolCall = TOKENIZER.tokenId("<tool_call>").orElseThrow();
        assertEquals("", TOKENIZER.streamDecoder(true).push(imEnd));
        assertEquals("<|im_end|>", TOKENIZER.streamDecoder(false).push(imEnd));
        assertEquals("<tool_call>", TOKENIZER.streamDecoder(true).push(toolCall), "<tool_call> is not special");
    }
}
