package dev.glimpse.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bundled Qwen2.5-VL tokenizer against Hugging Face's {@code tokenizers} on the same file
 * (golden.json, written by tools/reference/tokenizer_golden.py). Exact equality throughout.
 */
class TokenizerGoldenTest {

    private static final Tokenizer TOKENIZER = Tokenizer.qwen25vl();
    static final JsonNode GOLDEN = readGolden();

    static JsonNode readGolden() {
        try (InputStream in = TokenizerGoldenTest.class.getResourceAsStream("/tokenizer/golden.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    /** A short, printable name for a test case. */
    private static String label(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(40).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || Character.getType(cp) == Character.FORMAT) {
                out.append(String.format("\\u%04X", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return (text.codePointCount(0, text.length()) > 40 ? out.append("…") : out) + " (" + text.length() + " chars)";
    }

    static Stream<Arguments> cases() {
        return StreamSupport.stream(GOLDEN.get("cases").spliterator(), false)
                .map(c -> Arguments.of(label(c.get("text").asText()), c));
    }

    static Stream<Arguments> decodeOnlyCases() {
        return StreamSupport.stream(GOLDEN.get("decode_only").spliterator(), false)
                .map(c -> Arguments.of(c.get("ids").toString(), c));
    }

    @Test
    void corpusIsLargeAndVaried() {
        assertTrue(GOLDEN.get("cases").size() >= 60, "golden corpus has at least 60 strings");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void encodesLikeHuggingFace(String label, JsonNode c) {
        assertArrayEquals(ids(c.get("ids")), TOKENIZER.encode(c.get("text").asText()), label);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"cases", "decodeOnlyCases"})
    void decodesLikeHuggingFace(String label, JsonNode c) {
        int[] ids = ids(c.get("ids"));
        assertEquals(c.get("decoded").asText(), TOKENIZER.decode(ids, false));
        assertEquals(c.get("decoded_skip_special").asText(), TOKENIZER.decode(ids, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"cases", "decodeOnlyCases"})
    void streamDecodingEqualsFullDecoding(String label, JsonNode c) {
        int[] ids = ids(c.get("ids"));
        assertEquals(c.get("decoded").asText(), streamDecode(ids, false));
        assertEquals(c.get("decoded_skip_special").asText(), streamDecode(ids, true));
    }

    private static String streamDecode(int[] ids, boolean skipSpecial) {
        Tokenizer.StreamDecoder decoder = TOKENIZER.streamDecoder(skipSpecial);
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            String piece = decoder.push(id);
            assertTrue(piece.isEmpty() || !Character.isHighSurrogate(piece.charAt(piece.length() - 1)),
                    "a push never ends inside a surrogate pair");
            text.append(piece);
        }
        return text.append(decoder.flush()).toString();
    }

    @Test
    void vocabularySizeAndAddedTokensMatch() {
        assertEquals(GOLDEN.get("vocab_size").asInt(), TOKENIZER.vocabSize());
        for (JsonNode t : GOLDEN.get("added_tokens")) {
            int id = t.get("id").asInt();
            String content = t.get("content").asText();
            assertEquals(content, TOKENIZER.token(id));
            assertEquals(id, TOKENIZER.tokenId(content).orElseThrow(), content);
            assertEquals(t.get("special").asBoolean(), TOKENIZER.isSpecial(id), content);
        }
    }

    @Test
    void tokensMatchHuggingFaceIdToToken() {
        for (JsonNode pair : GOLDEN.get("sample_tokens")) {
            int id = pair.get(0).asInt();
            String token = pair.get(1).asText();
            assertEquals(token, TOKENIZER.token(id), "id " + id);
            assertEquals(id, TOKENIZER.tokenId(token).orElseThrow(), token);
            assertEquals(false, TOKENIZER.isSpecial(id), "a vocabulary entry is not special");
        }
    }

    @Test
    void unknownTokensAndIdsAreReported() {
        assertTrue(TOKENIZER.tokenId("no such token").isEmpty());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TOKENIZER.token(TOKENIZER.vocabSize()));
        assertTrue(e.getMessage().contains(Integer.toString(TOKENIZER.vocabSize())), e.getMessage());
    }

    @Test
    void manyCopiesOfTheCorpusEncodeAsTheirConcatenation() {
        // The cache and the priority queue must not make results depend on history or length. The
        // paragraph ends in ".\n\n" and starts with a letter, so copies split where one copy does.
        JsonNode paragraph = StreamSupport.stream(GOLDEN.get("cases").spliterator(), false)
                .filter(c -> c.get("text").asText().startsWith("Vision-language models")).findFirst().orElseThrow();
        int[] once = ids(paragraph.get("ids"));
        int copies = 40;
        int[] expected = IntStream.range(0, copies).flatMap(i -> IntStream.of(once)).toArray();
        assertArrayEquals(expected, TOKENIZER.encode(paragraph.get("text").asText().repeat(copies)));
    }
}
