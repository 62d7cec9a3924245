package dev.glimpse.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.glimpse.generate.Round;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON trace shape DESIGN.md fixes for every command, and the one-line human summary. */
final class Trace {

    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private Trace() {
    }

    static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    /** One round's fields, in the documented order. */
    static Map<String, Object> round(Round round, String text, List<int[]> gridsThw, int visualTokens,
            long preprocessNanos, long visionNanos) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt_ids", round.promptIds());
        m.put("generated_ids", round.generatedIds());
        m.put("text", text);
        m.put("image_grid_thw", gridsThw);
        m.put("visual_tokens", visualTokens);
        m.put("prefill_tokens", round.prefillTokens());
        m.put("reused_tokens", round.reusedTokens());
        m.put("decode_tokens", round.generatedIds().length);
        m.put("stop_reason", round.stopReason());
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("preprocess", ms(preprocessNanos));
        timings.put("vision", ms(visionNanos));
        timings.put("prefill", ms(round.prefillNanos()));
        timings.put("decode", ms(round.decodeNanos()));
        m.put("timings_ms", timings);
        return m;
    }

    static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** llama.cpp-style timing line. */
    static String summary(Round round) {
        double prefillMs = round.prefillNanos() / 1e6;
        double decodeMs = round.decodeNanos() / 1e6;
        int decoded = Math.max(1, round.generatedIds().length - 1);
        return String.format("prefill: %d tokens in %.1f ms (%.1f tok/s) | decode: %d tokens in %.1f ms (%.2f tok/s) | reused %d | stop: %s",
                round.prefillTokens(), prefillMs, round.prefillTokens() * 1000.0 / Math.max(prefillMs, 1e-3),
                round.generatedIds().length, decodeMs, decoded * 1000.0 / Math.max(decodeMs, 1e-3),
                round.reusedTokens(), round.stopReason());
    }
}
