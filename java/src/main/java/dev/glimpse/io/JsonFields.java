package dev.glimpse.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Typed reads from one JSON object of a config file, with errors that name the file and the
 * field's path ("config.json: text_config.hidden_size must be a positive integer, got -1").
 */
final class JsonFields {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path file;
    private final String prefix;
    private final JsonNode node;

    private JsonFields(Path file, String prefix, JsonNode node) {
        this.file = file;
        this.prefix = prefix;
        this.node = node;
    }

    /** The top-level object of a JSON file. */
    static JsonFields read(Path file) {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + " does not exist", e);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file + " must hold a JSON object");
        }
        return new JsonFields(file, "", root);
    }

    Path file() {
        return file;
    }

    /** The object's keys in file order. */
    List<String> names() {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /** The nested object under key, if there is one. */
    Optional<JsonFields> object(String key) {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode v = node.get(key);
        if (!v.isObject()) {
            throw error(key, "must be a JSON object, got " + v);
        }
        return Optional.of(new JsonFields(file, prefix + key + ".", v));
    }

    int positiveInt(String key) {
        if (!has(key)) {
            throw error(key, "is missing");
        }
        return positiveIntOr(key, 0);
    }

    int positiveIntOr(String key, int fallback) {
        if (!has(key)) {
            return fallback;
        }
        int v = intValue(key, node.get(key));
        if (v <= 0) {
            throw error(key, "must be a positive integer, got " + v);
        }
        return v;
    }

    int nonNegativeInt(String key) {
        if (!has(key)) {
            throw error(key, "is missing");
        }
        int v = intValue(key, node.get(key));
        if (v < 0) {
            throw error(key, "must not be negative, got " + v);
        }
        return v;
    }

    double positiveDoubleOr(String key, double fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = node.get(key);
        if (!v.isNumber() || !(v.doubleValue() > 0) || Double.isInfinite(v.doubleValue())) {
            throw error(key, "must be a positive number, got " + v);
        }
        return v.doubleValue();
    }

    boolean booleanOr(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = node.get(key);
        if (!v.isBoolean()) {
            throw error(key, "must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    String string(String key) {
        if (!has(key)) {
            throw error(key, "is missing");
        }
        return stringOr(key, null);
    }

    String stringOr(String key, String fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = node.get(key);
        if (!v.isTextual()) {
            throw error(key, "must be a string, got " + v);
        }
        return v.textValue();
    }

    /** An integer list; a single integer is read as a list of one (HF allows both for token ids). */
    int[] intsOr(String key, int[] fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = node.get(key);
        if (!v.isArray()) {
            return new int[] {intValue(key, v)};
        }
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = intValue(key + "[" + i + "]", v.get(i));
        }
        return out;
    }

    float[] floatsOr(String key, float[] fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = node.get(key);
        if (!v.isArray()) {
            throw error(key, "must be a list of numbers, got " + v);
        }
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isNumber()) {
                throw error(key + "[" + i + "]", "must be a number, got " + e);
            }
            out[i] = (float) e.doubleValue();
        }
        return out;
    }

    /** An error about this object's field key, naming the file and the field's full path. */
    CheckpointException error(String key, String problem) {
        return new CheckpointException(file + ": " + prefix + key + " " + problem);
    }

    private int intValue(String key, JsonNode v) {
        // Python may write an integral float (12845056.0); anything else is a mistake.
        boolean integral = v.isIntegralNumber() || (v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue()));
        if (!integral || v.doubleValue() < Integer.MIN_VALUE || v.doubleValue() > Integer.MAX_VALUE) {
            throw error(key, "must be an integer, got " + v);
        }
        return (int) v.doubleValue();
    }
}
