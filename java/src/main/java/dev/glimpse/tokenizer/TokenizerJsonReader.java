package dev.glimpse.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a Hugging Face tokenizer.json (plain or gzip-compressed, told apart by its first bytes)
 * into a {@link Tokenizer}. Only byte-level BPE is accepted; every setting that would change the
 * result and that Glimpse does not implement is refused with a message naming it.
 */
final class TokenizerJsonReader {

    /** Vocabulary entries arrive as 150,000 field names: interning them would only cost time. */
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build());

    private TokenizerJsonReader() {
    }

    /** @param source names the file in error messages */
    static Tokenizer read(InputStream in, String source) throws IOException {
        Sections file = parse(in, source);
        if (file.model == null) {
            throw new IOException(source + ": no \"model\" object; is this a Hugging Face tokenizer.json?");
        }
        checkModel(file.model, source);
        if (file.vocab.isEmpty()) {
            throw new IOException(source + ": model.vocab is missing or empty");
        }
        List<AddedToken> added = readAddedTokens(file.root.path("added_tokens"), file.vocab, source);
        PreTokenizer preTokenizer = PreTokenizer.fromJson(file.root.get("pre_tokenizer"), source);
        checkByteLevel(file.root, preTokenizer, source);
        MergeTable merges = mergeTable(file.mergeLefts, file.mergeRights, file.vocab, source);
        Map<String, Integer> wholeWords = file.model.path("ignore_merges").asBoolean(false) ? file.vocab : null;
        return new Tokenizer(file.vocab, added, normalization(file.root.get("normalizer"), source), preTokenizer,
                new BytePairEncoder(merges, byteTokenIds(file.vocab, source), wholeWords));
    }

    private static void checkByteLevel(JsonNode root, PreTokenizer preTokenizer, String source) throws IOException {
        String decoder = root.path("decoder").path("type").asText("");
        if (!preTokenizer.isByteLevel() || !decoder.equals("ByteLevel")) {
            throw new IOException(source + ": not a byte-level BPE tokenizer (pre_tokenizer needs a ByteLevel step"
                    + " and decoder must be ByteLevel, found " + (decoder.isEmpty() ? "none" : decoder) + ")");
        }
        String postProcessor = root.path("post_processor").path("type").asText("ByteLevel");
        if (!postProcessor.equals("ByteLevel")) {
            throw new IOException(source + ": post_processor " + postProcessor
                    + " adds tokens around the text, which Glimpse's encode does not do");
        }
    }

    /** The id of each byte's single-character token, where every piece's BPE starts. */
    private static int[] byteTokenIds(Map<String, Integer> vocab, String source) throws IOException {
        int[] ids = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevel.toChar(b)));
            if (id == null) {
                throw new IOException(source + ": model.vocab lacks the single-byte token for byte " + b
                        + " ('" + ByteLevel.toChar(b) + "'), which byte-level BPE needs");
            }
            ids[b] = id;
        }
        return ids;
    }

    /**
     * The file split up: model.vocab and model.merges are streamed straight into collections (they
     * are 300,000 entries; a JSON tree of them would take seconds to build), the rest kept as trees.
     */
    private static final class Sections {
        final ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode model;
        final Map<String, Integer> vocab = new HashMap<>(1 << 18);
        final List<String> mergeLefts = new ArrayList<>(1 << 18);
        final List<String> mergeRights = new ArrayList<>(1 << 18);
    }

    private static Sections parse(InputStream raw, String source) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(2);
        boolean gzip = in.read() == 0x1F && in.read() == 0x8B;
        in.reset();
        try (InputStream body = gzip ? new GZIPInputStream(in, 1 << 16) : in;
             JsonParser p = MAPPER.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException(source + ": empty, or not a JSON object");
            }
            Sections file = new Sections();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("model") && p.currentToken() == JsonToken.START_OBJECT) {
                    file.model = readModel(p, file, source);
                } else {
                    file.root.set(name, p.readValueAsTree());
                }
            }
            return file;
        } catch (ZipException | EOFException e) {
            throw new IOException(source + ": damaged gzip data (" + e.getMessage() + "); copy the file again", e);
        } catch (JsonProcessingException e) {
            throw new IOException(source + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() : ""), e);
        }
    }

    /** Reads the model object, streaming vocab and merges into the sections; returns its other fields. */
    private static ObjectNode readModel(JsonParser p, Sections file, String source) throws IOException {
        ObjectNode settings = JsonNodeFactory.instance.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals("vocab") && value == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String token = p.currentName();
                    if (p.nextToken() != JsonToken.VALUE_NUMBER_INT || p.getIntValue() < 0) {
                        throw new IOException(source + ": model.vocab entry \"" + token + "\" has id "
                                + p.getText() + ", not a non-negative integer");
                    }
                    file.vocab.put(token, p.getIntValue());
                }
            } else if (name.equals("merges") && value == JsonToken.START_ARRAY) {
                readMerges(p, file, source);
            } else {
                settings.set(name, p.readValueAsTree());
            }
        }
        return settings;
    }

    /** Merges come as "left right" strings (older files) or as [left, right] arrays. */
    private static void readMerges(JsonParser p, Sections file, String source) throws IOException {
        for (int rank = 0; p.nextToken() != JsonToken.END_ARRAY; rank++) {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                String merge = p.getText();
                int space = merge.indexOf(' ');
                if (space < 0 || merge.indexOf(' ', space + 1) >= 0) {
                    throw new IOException(source + ": merge " + rank + " \"" + merge + "\" is not two tokens separated by one space");
                }
                file.mergeLefts.add(merge.substring(0, space));
                file.mergeRights.add(merge.substring(space + 1));
            } else {
                JsonNode pair = p.readValueAsTree();
                if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual() || !pair.get(1).isTextual()) {
                    throw new IOException(source + ": merge " + rank + " is " + pair + ", neither \"a b\" nor [\"a\", \"b\"]");
                }
                file.mergeLefts.add(pair.get(0).asText());
                file.mergeRights.add(pair.get(1).asText());
            }
        }
    }

    private static void checkModel(JsonNode model, String source) throws IOException {
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw new IOException(source + ": model type " + type + " is not supported (only BPE)");
        }
        if (model.path("dropout").asDouble(0) > 0) {
            throw new IOException(source + ": model.dropout is set, which makes encoding random; Glimpse does not support it");
        }
        for (String affix : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (!model.path(affix).asText("").isEmpty()) {
                throw new IOException(source + ": model." + affix + " is not supported by byte-level BPE here");
            }
        }
    }

    private static List<AddedToken> readAddedTokens(JsonNode node, Map<String, Integer> vocab, String source)
            throws IOException {
        List<AddedToken> added = new ArrayList<>();
        for (JsonNode t : node) {
            if (!t.path("id").canConvertToInt() || t.path("id").asInt() < 0 || !t.path("content").isTextual()) {
                throw new IOException(source + ": added_tokens entry " + t + " needs a non-negative integer id and a content string");
            }
            for (String flag : List.of("lstrip", "rstrip", "single_word")) {
                if (t.path(flag).asBoolean(false)) {
                    throw new IOException(source + ": added token " + t.get("content") + " sets " + flag
                            + ", which Glimpse does not support");
                }
            }
            int id = t.get("id").asInt();
            String content = t.get("content").asText();
            Integer vocabId = vocab.get(content);
            if (vocabId != null && vocabId != id) {
                throw new IOException(source + ": added token \"" + content + "\" has id " + id
                        + " but model.vocab gives it id " + vocabId);
            }
            boolean special = t.path("special").asBoolean(false);
            added.add(new AddedToken(id, content, special, t.path("normalized").asBoolean(!special)));
        }
        return added;
    }

    private static MergeTable mergeTable(List<String> lefts, List<String> rights, Map<String, Integer> vocab,
                                         String source) throws IOException {
        int n = lefts.size();
        int[] left = new int[n];
        int[] right = new int[n];
        int[] merged = new int[n];
        for (int rank = 0; rank < n; rank++) {
            left[rank] = vocabId(vocab, lefts.get(rank), rank, source);
            right[rank] = vocabId(vocab, rights.get(rank), rank, source);
            merged[rank] = vocabId(vocab, lefts.get(rank) + rights.get(rank), rank, source);
        }
        return new MergeTable(left, right, merged);
    }

    private static int vocabId(Map<String, Integer> vocab, String token, int rank, String source) throws IOException {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IOException(source + ": merge " + rank + " uses \"" + token + "\", which is not in model.vocab");
        }
        return id;
    }

    /** The Unicode normalization form of the normalizer node, or null for none. */
    private static Normalizer.Form normalization(JsonNode node, String source) throws IOException {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = node.path("type").asText("");
        return switch (type) {
            case "NFC" -> Normalizer.Form.NFC;
            case "NFD" -> Normalizer.Form.NFD;
            case "NFKC" -> Normalizer.Form.NFKC;
            case "NFKD" -> Normalizer.Form.NFKD;
            default -> throw new IOException(source + ": normalizer " + type
                    + " is not supported (only NFC, NFD, NFKC, NFKD or none)");
        };
    }
}
