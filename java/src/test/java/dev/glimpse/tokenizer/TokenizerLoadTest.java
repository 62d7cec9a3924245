package dev.glimpse.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading tokenizer.json files: plain or gzip by content, both merge spellings, the supported
 * settings (expected ids checked against Hugging Face's tokenizers by hand-run scripts on the same
 * toy files), and the messages for files Glimpse cannot use.
 */
class TokenizerLoadTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static byte[] bundledGzip() throws IOException {
        try (InputStream in = Tokenizer.class.getResourceAsStream("qwen2.5-vl/tokenizer.json.gz")) {
            return in.readAllBytes();
        }
    }

    @Test
    void plainAndCompressedFilesAreRecognizedByContentNotName() throws IOException {
        byte[] gzip = bundledGzip();
        byte[] plain;
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gzip))) {
            plain = in.readAllBytes();
        }
        Path plainNamedGz = Files.write(dir.resolve("tokenizer.json.gz"), plain);
        Path gzipNamedJson = Files.write(dir.resolve("tokenizer.json"), gzip);
        var golden = TokenizerGoldenTest.GOLDEN.get("cases");
        for (Path file : new Path[] {plainNamedGz, gzipNamedJson}) {
            Tokenizer tokenizer = Tokenizer.load(file);
            for (int i = 0; i < golden.size(); i += 7) {
                assertArrayEquals(TokenizerGoldenTest.ids(golden.get(i).get("ids")),
                        tokenizer.encode(golden.get(i).get("text").asText()), file + " case " + i);
            }
        }
    }

    // A toy byte-level vocabulary: ids 0-255 are the single bytes (id = byte value), then
    // ab=256, abc=257, Ġa=258 ("Ġ" is the space byte), xyz=259.
    private static ObjectNode toy(Consumer<ObjectNode> change) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.toChar(b)), b);
        }
        vocab.put("ab", 256);
        vocab.put("abc", 257);
        vocab.put("Ġa", 258);
        vocab.put("xyz", 259);
        model.putArray("merges").add("a b").add("ab c").add("Ġ a");
        root.putArray("added_tokens");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel");
        change.accept(root);
        return root;
    }

    private Path write(ObjectNode root) throws IOException {
        return Files.writeString(dir.resolve("toy.json"), root.toString());
    }

    private Tokenizer load(Consumer<ObjectNode> change) throws IOException {
        return Tokenizer.load(write(toy(change)));
    }

    private static ObjectNode model(ObjectNode root) {
        return (ObjectNode) root.get("model");
    }

    @Test
    void mergesApplyByRankInEitherSpelling() throws IOException {
        Tokenizer strings = load(root -> { });
        Tokenizer arrays = load(root -> {
            ArrayNode merges = model(root).putArray("merges");
            merges.addArray().add("a").add("b");
            merges.addArray().add("ab").add("c");
            merges.addArray().add("Ġ").add("a");
        });
        for (Tokenizer t : new Tokenizer[] {strings, arrays}) {
            // " ab": "a b" (rank 0) wins over "Ġ a" (rank 2), leaving Ġ + ab.
            assertArrayEquals(new int[] {257, 32, 256}, t.encode("abc ab"));
            assertArrayEquals(new int[] {'x', 'y', 'z'}, t.encode("xyz"), "xyz has no merges");
            assertEquals(260, t.vocabSize());
            assertEquals("abc ab", t.decode(new int[] {257, 32, 256}, false));
        }
    }

    @Test
    void ignoreMergesTakesWholeWordsFromTheVocabulary() throws IOException {
        Tokenizer t = load(root -> model(root).put("ignore_merges", true));
        assertArrayEquals(new int[] {259}, t.encode("xyz"));
        assertArrayEquals(new int[] {257}, t.encode("abc"));
    }

    @Test
    void addedTokensMatchRawOrNormalizedTextAsFlagged() throws IOException {
        String composed = "\u01D8"; // ǘ, not in the toy vocabulary
        String decomposed = "u\u0308\u0301";
        for (boolean normalized : new boolean[] {true, false}) {
            Tokenizer t = load(root -> {
                root.putObject("normalizer").put("type", "NFC");
                ((ArrayNode) root.get("added_tokens")).addObject().put("id", 260).put("content", composed)
                        .put("special", false).put("normalized", normalized);
            });
            assertArrayEquals(new int[] {260, '!'}, t.encode(composed + "!"));
            // A token matched on raw text does not see the decomposed spelling; NFC then composes it.
            int[] expected = normalized ? new int[] {260, '!'} : new int[] {0xC7, 0x98, '!'};
            assertArrayEquals(expected, t.encode(decomposed + "!"), "normalized=" + normalized);
        }
    }

    @Test
    void gpt2StyleByteLevelRegexSplitsLikeHuggingFace() throws IOException {
        for (var c : TokenizerGoldenTest.GOLDEN.get("gpt2_pieces")) {
            ObjectNode node = JSON.createObjectNode().put("type", "ByteLevel")
                    .put("add_prefix_space", c.get("add_prefix_space").asBoolean()).put("use_regex", true);
            PreTokenizer pre = PreTokenizer.fromJson(node, "test");
            assertEquals(JSON.convertValue(c.get("pieces"), java.util.List.class), pre.split(c.get("text").asText()),
                    c.toString());
        }
    }

    private IOException loadFails(Path file) {
        IOException e = assertThrows(IOException.class, () -> Tokenizer.load(file));
        assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
        return e;
    }

    private void assertRefused(Consumer<ObjectNode> change, String... expectedInMessage) throws IOException {
        IOException e = loadFails(write(toy(change)));
        for (String part : expectedInMessage) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
        }
    }

    @Test
    void missingFileIsReported() {
        Path missing = dir.resolve("nope/tokenizer.json");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Tokenizer.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void damagedFilesAreReported() throws IOException {
        byte[] gzip = bundledGzip();
        assertTrue(loadFails(Files.write(dir.resolve("cut.json.gz"), Arrays.copyOf(gzip, gzip.length / 2)))
                .getMessage().contains("damaged gzip"));
        byte[] badGzip = {0x1F, (byte) 0x8B, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertTrue(loadFails(Files.write(dir.resolve("bad.gz"), badGzip)).getMessage().contains("damaged gzip"));
        assertTrue(loadFails(Files.writeString(dir.resolve("text.json"), "{\"model\": [1, 2"))
                .getMessage().contains("not valid JSON"));
        assertTrue(loadFails(Files.write(dir.resolve("empty.json"), new byte[0])).getMessage().contains("empty"));
        assertTrue(loadFails(Files.writeString(dir.resolve("other.json"), "{\"vocab\": {}}", StandardCharsets.UTF_8))
                .getMessage().contains("no \"model\""));
    }

    @Test
    void unsupportedOrInconsistentContentIsRefusedByName() throws IOException {
        assertRefused(root -> model(root).put("type", "WordPiece"), "WordPiece");
        assertRefused(root -> model(root).putObject("vocab"), "model.vocab is missing or empty");
        assertRefused(root -> ((ArrayNode) model(root).get("merges")).add("ab zz"), "merge 3", "\"zz\"");
        assertRefused(root -> ((ArrayNode) model(root).get("merges")).add("a b c"), "merge 3", "two tokens");
        assertRefused(root -> ((ObjectNode) model(root).get("vocab")).remove("!"), "byte 33");
        assertRefused(root -> root.putObject("decoder").put("type", "WordPiece"), "not a byte-level BPE");
        assertRefused(root -> root.putObject("pre_tokenizer").put("type", "Whitespace"), "Whitespace");
        assertRefused(root -> root.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Removed")
                .putObject("pattern").put("Regex", "\\s+"), "Split with behavior Removed");
        assertRefused(root -> root.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Isolated")
                .putObject("pattern").put("Regex", "\\h+"), "\\h");
        assertRefused(root -> root.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Isolated")
                .putObject("pattern").put("Regex", "(unclosed"), "cannot be compiled");
        assertRefused(root -> root.putObject("normalizer").put("type", "Lowercase"), "normalizer Lowercase");
        assertRefused(root -> root.putObject("post_processor").put("type", "TemplateProcessing"), "TemplateProcessing");
        assertRefused(root -> ((ArrayNode) root.get("added_tokens")).addObject().put("id", 300).put("content", "<x>")
                .put("lstrip", true), "lstrip");
        assertRefused(root -> ((ArrayNode) root.get("added_tokens")).addObject().put("id", 300).put("content", "ab"),
                "has id 300 but model.vocab gives it id 256");
    }
}
