package dev.glimpse.generate;

/**
 * One prefill-then-decode pass of a conversation.
 *
 * @param promptIds      tokens prefilled this round (a token left over from the previous round first)
 * @param generatedIds   tokens chosen this round, the stop token included
 * @param stopReason     "eos", "length" (token budget) or "context" (KV cache full)
 * @param reusedTokens   tokens already in the KV cache when the round started
 */
public record Round(int[] promptIds, int[] generatedIds, String stopReason, int reusedTokens,
        long prefillNanos, long decodeNanos) {

    public int prefillTokens() {
        return promptIds.length;
    }

    public boolean hitBudget() {
        return stopReason.equals("length");
    }
}
