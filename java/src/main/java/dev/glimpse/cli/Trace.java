package dev.glimpse.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.glimpse.generate.Round;
import dev.glimpse.think.AskTrace;
import dev.glimpse.think.RoundTrace;
import java.util.ArrayList;
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
        m.put("decode_tokens", round.decodedTokens());
        m.put("stop_reason", round.stopReason());
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("preprocess", ms(preprocessNanos));
        timings.put("vision", ms(visionNanos));
        timings.put("prefill", ms(round.prefillNanos()));
        timings.put("decode", ms(round.decodeNanos()));
        m.put("timings_ms", timings);
        return m;
    }

    /** The ask trace: policy, rounds, resize_requested, answer, total_ms, and the extras. */
    static Map<String, Object> ask(AskTrace trace) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("policy", trace.policy().label());
        List<Map<String, Object>> rounds = new ArrayList<>();
        for (RoundTrace r : trace.rounds()) {
            rounds.add(round(r.round(), r.text(), r.gridsThw(), r.visualTokens(), r.preprocessNanos(), r.visionNanos()));
        }
        m.put("rounds", rounds);
        m.put("resize_requested", trace.resizeRequested());
        m.put("answer", trace.answer());
        m.put("response", trace.response());
        m.put("round2_tool_call", trace.roundTwoToolCall());
        m.put("evicted_kv_bytes", trace.evictedBytes());
        if (trace.reprefillNanos() >= 0 && trace.rounds().size() == 2) {
            Round second = trace.rounds().get(1).round();
            m.put("reprefill_ms", ms(trace.reprefillNanos()));
            m.put("reuse_saved_ms", ms(trace.reprefillNanos() - second.prefillNanos()));
            int whole = second.reusedTokens() + second.prefillTokens();
            m.put("reuse_ideal_prefill_ms", ms(trace.reprefillNanos() * second.prefillTokens() / whole));
        }
        m.put("notes", trace.notes());
        m.put("total_ms", ms(trace.totalNanos()));
        return m;
    }

    /** One line for a whole ask: rounds, visual tokens, reuse, time. */
    static String summary(AskTrace trace) {
        int visual = trace.rounds().stream().mapToInt(RoundTrace::visualTokens).sum();
        int reused = trace.rounds().stream().mapToInt(r -> r.round().reusedTokens()).sum();
        return String.format("%s: %d round(s), resize %s, %d visual tokens, %d KV tokens reused, %.1f ms",
                trace.policy().label(), trace.rounds().size(), trace.resizeRequested() ? "requested" : "not requested",
                visual, reused, trace.totalNanos() / 1e6);
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
