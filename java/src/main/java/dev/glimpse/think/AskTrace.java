package dev.glimpse.think;

import java.util.List;

/**
 * The whole answer to one question (DESIGN.md's JSON shape).
 *
 * @param response        everything generated in every round, decoded with special tokens skipped
 * @param answer          the {@code <answer>} part of the response (the whole response without tags)
 * @param roundTwoToolCall the model asked for a tool again in round 2 (the conversation ends there)
 * @param notes           adjustments worth knowing (a 0-pixel side raised to 1, evicted KV bytes, …)
 * @param evictedBytes    KV-cache bytes freed by --evict-lowres (0 without it)
 * @param reprefillNanos  measured fresh prefill of the whole conversation at round 2 (-1: not measured)
 */
public record AskTrace(Policy policy, List<RoundTrace> rounds, boolean resizeRequested, boolean roundTwoToolCall,
        String response, String answer, List<String> notes, long evictedBytes, long reprefillNanos,
        long totalNanos) {}
