package dev.glimpse.generate;

import dev.glimpse.model.ContextOverflowException;
import dev.glimpse.model.Decoder;
import dev.glimpse.model.KvCache;
import dev.glimpse.model.MRope;
import dev.glimpse.model.Model;
import dev.glimpse.tensor.Tensor;
import java.util.List;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * One conversation on one model: its KV cache, the rope position the next token takes and the last
 * sampled token, which is not in the cache yet (it is prefilled with the next turn). Rounds append to
 * the same cache, so a later turn reuses everything before it.
 */
public final class Session implements AutoCloseable {

    private final Model model;
    private final KvCache cache;
    private final Set<Integer> stopIds;
    private int[] history = new int[64];
    private int nextPosition;
    private int pending = -1;
    private Sampler sampler;

    public Session(Model model, int contextTokens) {
        this.model = model;
        this.cache = model.newCache(contextTokens);
        this.stopIds = StopTokens.of(model);
    }

    /** A conversation restored from a snapshot: its cache rows, their tokens, next position and pending token. */
    Session(Model model, KvCache cache, int[] tokens, int nextPosition, int pending) {
        this.model = model;
        this.cache = cache;
        this.stopIds = StopTokens.of(model);
        this.history = java.util.Arrays.copyOf(tokens, Math.max(64, tokens.length));
        this.nextPosition = nextPosition;
        this.pending = pending;
    }

    public Model model() {
        return model;
    }

    /** The tokens whose keys and values are in the cache, in cache order. */
    public int[] cachedTokens() {
        return java.util.Arrays.copyOf(history, cache.length());
    }

    /** Drops cache rows [from, from + count); the rope positions of the other rows do not change. */
    public void evict(int from, int count) {
        int length = cache.length();
        cache.evict(from, count);
        System.arraycopy(history, from + count, history, from, length - from - count);
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
        if (sampler == null || !sampler.options().equals(sampling)) {
            // The repetition penalty covers the whole conversation, earlier rounds included.
            sampler = new Sampler(sampling, model.config().text().vocabSize());
            for (int id : cachedTokens()) {
                sampler.observe(id);
            }
        }
        for (int id : ids) {
            sampler.observe(id);
        }
        // The choice is made where the logits are (only the token comes back) unless a penalty needs the host.
        ToIntFunction<Tensor> chooser = sampler.chooser(model.backend());
        Decoder decoder = model.decoder();
        long t0 = System.nanoTime();
        int next = decoder.forwardChoosing(ids, positions.axes(), imageEmbeds, cache, chooser);
        remember(reused, ids);
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
            next = decoder.stepChoosing(token, nextPosition++, cache, chooser);
            remember(cache.length() - 1, token);
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

    /** Frees the conversation's KV cache. */
    @Override
    public void close() {
        cache.close();
    }

    private void remember(int at, int token) {
        if (at >= history.length) {
            history = java.util.Arrays.copyOf(history, history.length * 2);
        }
        history[at] = token;
    }

    private void remember(int at, int[] tokens) {
        if (at + tokens.length > history.length) {
            history = java.util.Arrays.copyOf(history, Math.max(history.length * 2, at + tokens.length));
        }
        System.arraycopy(tokens, 0, history, at, tokens.length);
    }

    private static int[] prepend(int first, int[] rest) {
        int[] out = new int[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }
}
