package dev.glimpse.generate;

/**
 * One prefill-then-decode pass of a conversation.
 *
 * @param promptIds      tokens prefilled this round (a token left over from the previous round first)
 * @param generatedIds   tokens chosen this round, the stop token included
 * @param stopReason     "eos", "length" (token budget), "context" (KV cache full) or "forced" (reply prefilled)
 * @param reusedTokens   tokens already in the KV cache when the round started
 */
public record Round(int[] promptIds, int[] generatedIds, String stopReason, int reusedTokens,
        long prefillNanos, long decodeNanos) {

    /** A "forced" round (--force-resize) prefilled its reply too instead of generating it. */
    public boolean forced() {
        return stopReason.equals("forced");
    }

    public int prefillTokens() {
        return promptIds.length + (forced() ? generatedIds.length : 0);
    }

    public int decodedTokens() {
        return forced() ? 0 : generatedIds.length;
    }
}
