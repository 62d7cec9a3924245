package dev.glimpse.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.stream.StreamSupport;

/** Access to the golden data tools/reference/ wrote under src/test/resources/fixtures. */
public final class Fixtures {

    public static final Path ROOT = Path.of("src/test/resources/fixtures");
    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    public static JsonNode expected(String fixture) {
        try {
            return JSON.readTree(ROOT.resolve(fixture).resolve("expected.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The checkpoint directory an expected.json points at. */
    public static Path checkpoint(String fixture) {
        return ROOT.resolve(fixture).resolve(expected(fixture).get("checkpoint").asText()).normalize();
    }

    public static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    /** Float32 values written as shortest decimals: parse as double, cast to float (exact). */
    public static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    public static JsonNode caseNamed(JsonNode expected, String name) {
        for (JsonNode c : expected.get("cases")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no case " + name);
    }

    /** ‖a − b‖₂ / ‖b‖₂, the fidelity metric of DESIGN.md. */
    public static double relativeError(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("length " + a.length + " vs " + b.length);
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }
}
