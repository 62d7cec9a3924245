package dev.glimpse.generate;

import dev.glimpse.model.ContextOverflowException;
import dev.glimpse.model.Decoder;
import dev.glimpse.model.KvCache;
import dev.glimpse.model.MRope;
import dev.glimpse.model.Model;
import dev.glimpse.tensor.Tensor;
import java.util.List;
import java.util.Set;

/**
 * One conversation on one model: its KV cache, the rope position the next token takes and the last
 * sampled token, which is not in the cache yet (it is prefilled with the next turn). Rounds append to
 * the same cache, so a later turn reuses everything before it.
 */
public final class Session {

    private final Model model;
    private final KvCache cache;
    private final Set<Integer> stopIds;
    private int nextPosition;
    private int pending = -1;

    public Session(Model model, int contextTokens) {
        this.model = model;
        this.cache = model.newCache(contextTokens);
        this.stopIds = StopTokens.of(model);
    }

    public KvCache cache() {
        return cache;
    }

    public int nextPosition() {
        return nextPosition;
    }

    /** The last sampled token not yet fed to the model, or -1. */
    public int pendingToken() {
        return pending;
    }

    /**
     * Prefills the new tokens (after the pending token, if any) and decodes until a stop token, the
     * budget or the context limit.
     *
     * @param newIds       the turn's tokens
     * @param gridsThw     {t, h, w} patch grids of the images whose pads are in newIds, in order
     * @param imageEmbeds  merged vision rows for those pads, or null
     */
    public Round run(int[] newIds, List<int[]> gridsThw, Tensor imageEmbeds, int maxNewTokens,
            SamplingOptions sampling, TokenListener listener) {
        int[] ids = pending < 0 ? newIds : prepend(pending, newIds);
        if (ids.length == 0) {
            throw new IllegalArgumentException("nothing to prefill: empty prompt");
        }
        if (ids.length >= cache.free()) {
            throw new ContextOverflowException(cache.length(), ids.length + 1, cache.capacity());
        }
        int reused = cache.length();
        MRope.Positions positions = MRope.ropeIndex(ids, model.config().imageTokenId(), gridsThw,
                model.config().vision() == null ? 2 : model.config().vision().spatialMergeSize(), nextPosition);
        Sampler sampler = new Sampler(sampling, model.config().text().vocabSize());
        for (int id : ids) {
            sampler.observe(id);
        }
        // Plain greedy needs only the argmax, which the backend finds where the logits are.
        boolean argmaxOnBackend = sampling.greedy() && sampling.repetitionPenalty() == 1f;
        Decoder decoder = model.decoder();
        long t0 = System.nanoTime();
        int next = argmaxOnBackend ? decoder.forwardArgmax(ids, positions.axes(), imageEmbeds, cache)
                : sampler.sample(decoder.forward(ids, positions.axes(), imageEmbeds, cache));
        nextPosition = positions.next();
        long t1 = System.nanoTime();
        int[] generated = new int[Math.max(0, maxNewTokens)];
        int count = 0;
        String reason = "length";
        while (count < maxNewTokens) {
            int token = next;
            sampler.observe(token);
            generated[count++] = token;
            pending = token;
            listener.onToken(token);
            if (stopIds.contains(token)) {
                reason = "eos";
                break;
            }
            if (count == maxNewTokens) {
                break;
            }
            if (cache.free() == 0) {
                reason = "context";
                break;
            }
            next = argmaxOnBackend ? decoder.stepArgmax(token, nextPosition++, cache)
                    : sampler.sample(decoder.step(token, nextPosition++, cache));
            pending = -1;
        }
        long t2 = System.nanoTime();
        return new Round(ids, java.util.Arrays.copyOf(generated, count), reason, reused, t1 - t0, t2 - t1);
    }

    /** Replaces the pending token (e.g. a budget-truncated round's last token by the end-of-turn token). */
    public void replacePending(int token) {
        if (pending < 0) {
            throw new IllegalStateException("no pending token to replace");
        }
        pending = token;
    }

    private static int[] prepend(int first, int[] rest) {
        int[] out = new int[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }
}
