package dev.glimpse.think;

import dev.glimpse.generate.SamplingOptions;
import java.nio.file.Path;

/**
 * @param maxNewTokens  token budget per round
 * @param forceResize   research: skip round-1 generation and take the canonical resize call as its answer
 * @param evictLowRes   research: drop the half-size images' KV rows before round 2
 * @param contextTokens KV-cache capacity (≤ 0: the model's default)
 * @param saveKv        where to save the conversation's KV cache at the end (null: nowhere)
 * @param measureReprefill research: also time a fresh prefill of the whole conversation before round 2
 */
public record AskOptions(Policy policy, int maxNewTokens, SamplingOptions sampling, boolean forceResize,
        boolean evictLowRes, int contextTokens, Path saveKv, boolean measureReprefill) {

    public static AskOptions defaults(Policy policy) {
        return new AskOptions(policy, 1024, SamplingOptions.GREEDY, false, false, 0, null, false);
    }

    public AskOptions {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("--max-new-tokens must be ≥ 1, got " + maxNewTokens);
        }
        if (policy != Policy.ADAPTIVE && (forceResize || evictLowRes || measureReprefill)) {
            throw new IllegalArgumentException(
                    "--force-resize, --evict-lowres and --measure-reprefill need the two-round policy (adaptive)");
        }
    }
}
