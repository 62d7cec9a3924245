package dev.glimpse.model;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.Tensor;
import java.util.function.ToIntFunction;

/**
 * The Qwen2 text decoder of Qwen2.5-VL (SPEC §4), written once against {@link Backend}. Tokens go
 * through in chunks of at most {@link #chunkSize()} rows; every buffer is allocated once here.
 */
public final class Decoder implements AutoCloseable {

    private final TextConfig config;
    private final DecoderWeights weights;
    private final Backend backend;
    private final MRope rope;
    private final int chunk;
    private final int imageTokenId;
    private final float scale;

    private final Tensor x;
    private final Tensor normed;
    private final Tensor q;
    private final Tensor k;
    private final Tensor v;
    private final Tensor attn;
    private final Tensor proj;
    private final Tensor gate;
    private final Tensor up;
    private final Tensor cos;
    private final Tensor sin;
    private final Tensor lastNormed;
    private final Tensor logits;
    private final float[] cosHost;
    private final float[] sinHost;
    private final float[] logitsHost;
    private final int[] stepId = new int[1];
    private final int[][] stepPosition = new int[3][1];
    private final float[] stepCos;
    private final float[] stepSin;

    public Decoder(TextConfig config, DecoderWeights weights, Backend backend, int imageTokenId, int chunkSize) {
        this.config = config;
        this.weights = weights;
        this.backend = backend;
        this.rope = new MRope(config);
        this.chunk = chunkSize;
        this.imageTokenId = imageTokenId;
        this.scale = (float) (1.0 / Math.sqrt(config.headDim()));
        int h = config.hiddenSize();
        int qDim = config.heads() * config.headDim();
        int kvDim = config.kvHeads() * config.headDim();
        x = backend.allocate("x", chunk, h);
        normed = backend.allocate("normed", chunk, h);
        q = backend.allocate("q", chunk, qDim);
        k = backend.allocate("k", chunk, kvDim);
        v = backend.allocate("v", chunk, kvDim);
        attn = backend.allocate("attn", chunk, qDim);
        proj = backend.allocate("proj", chunk, h);
        gate = backend.allocate("gate", chunk, config.intermediateSize());
        up = backend.allocate("up", chunk, config.intermediateSize());
        cos = backend.allocate("cos", chunk, config.headDim());
        sin = backend.allocate("sin", chunk, config.headDim());
        lastNormed = backend.allocate("last", 1, h);
        logits = backend.allocate("logits", 1, config.vocabSize());
        cosHost = new float[chunk * config.headDim()];
        sinHost = new float[chunk * config.headDim()];
        logitsHost = new float[config.vocabSize()];
        stepCos = new float[config.headDim()];
        stepSin = new float[config.headDim()];
    }

    /** Frees the work buffers. */
    @Override
    public void close() {
        for (Tensor t : new Tensor[] {x, normed, q, k, v, attn, proj, gate, up, cos, sin, lastNormed, logits}) {
            backend.release(t);
        }
    }

    public TextConfig config() {
        return config;
    }

    public int chunkSize() {
        return chunk;
    }

    /**
     * Runs tokens through the decoder, appending them to the cache, and returns the logits of the last
     * one (a shared array, overwritten by the next call).
     *
     * @param ids          token ids
     * @param positions    rope positions, [3][ids.length]
     * @param imageEmbeds  rows that replace the image-pad tokens in order ([pads, hidden]); null when none
     */
    public float[] forward(int[] ids, int[][] positions, Tensor imageEmbeds, KvCache cache) {
        computeLogits(ids, positions, imageEmbeds, cache);
        backend.read(logits, logitsHost);
        return logitsHost;
    }

    /** As {@link #forward}, but only the index of the largest logit comes back (greedy decoding). */
    public int forwardArgmax(int[] ids, int[][] positions, Tensor imageEmbeds, KvCache cache) {
        return forwardChoosing(ids, positions, imageEmbeds, cache, backend::argmax);
    }

    /** As {@link #forward}, but the logits stay on the backend and only the chooser's token comes back. */
    public int forwardChoosing(int[] ids, int[][] positions, Tensor imageEmbeds, KvCache cache,
            ToIntFunction<Tensor> chooser) {
        computeLogits(ids, positions, imageEmbeds, cache);
        return chooser.applyAsInt(logits);
    }

    /** One greedy decode step: {@link #step} without bringing the logits back. */
    public int stepArgmax(int id, int position, KvCache cache) {
        return stepChoosing(id, position, cache, backend::argmax);
    }

    /** One decode step whose logits stay on the backend: {@link #forwardChoosing} for one token. */
    public int stepChoosing(int id, int position, KvCache cache, ToIntFunction<Tensor> chooser) {
        return forwardChoosing(new int[] {id}, new int[][] {{position}, {position}, {position}}, null, cache, chooser);
    }

    private void computeLogits(int[] ids, int[][] positions, Tensor imageEmbeds, KvCache cache) {
        int pads = countPads(ids);
        int available = imageEmbeds == null ? 0 : imageEmbeds.rows();
        if (pads != available) {
            throw new IllegalArgumentException("the prompt has " + pads + " image-pad tokens but the images give "
                    + available + " visual tokens");
        }
        if (ids.length > cache.free()) {
            throw new ContextOverflowException(cache.length(), ids.length, cache.capacity());
        }
        int padCursor = 0;
        for (int from = 0; from < ids.length; from += chunk) {
            int n = Math.min(chunk, ids.length - from);
            padCursor = embedChunk(ids, from, n, imageEmbeds, padCursor);
            runLayers(positions, from, n, cache);
        }
        backend.rmsNorm(lastNormed, x.rows(lastRow(ids.length), 1), weights.norm(), (float) config.rmsNormEps());
        backend.matmul(logits, lastNormed, weights.lmHead(), null);
    }

    /** One decode step: the token at the given rope position (same on all three axes). */
    public float[] step(int id, int position, KvCache cache) {
        stepId[0] = id;
        for (int[] axis : stepPosition) {
            axis[0] = position;
        }
        return forward(stepId, stepPosition, null, cache);
    }

    private int lastRow(int total) {
        int rem = total % chunk;
        return (rem == 0 ? chunk : rem) - 1;
    }

    private int countPads(int[] ids) {
        int n = 0;
        for (int id : ids) {
            if (id == imageTokenId) {
                n++;
            }
        }
        return n;
    }

    /** Embeds ids[from, from+n) into x, swapping image-pad rows for vision rows; returns the new pad cursor. */
    private int embedChunk(int[] ids, int from, int n, Tensor imageEmbeds, int padCursor) {
        int[] chunkIds = from == 0 && n == ids.length ? ids : java.util.Arrays.copyOfRange(ids, from, from + n);
        Tensor rows = x.rows(0, n);
        backend.embed(rows, weights.embedTokens(), chunkIds);
        for (int i = 0; i < n; ) {
            if (chunkIds[i] != imageTokenId) {
                i++;
                continue;
            }
            int run = 1;
            while (i + run < n && chunkIds[i + run] == imageTokenId) {
                run++;
            }
            backend.copy(x.rows(i, run), imageEmbeds.rows(padCursor, run));
            padCursor += run;
            i += run;
        }
        return padCursor;
    }

    private void runLayers(int[][] positions, int from, int n, KvCache cache) {
        // Decode steps reuse one-row tables; prefill chunks copy theirs (not per token).
        float[] cosRows = n == 1 ? stepCos : n == chunk ? cosHost : new float[n * config.headDim()];
        float[] sinRows = n == 1 ? stepSin : n == chunk ? sinHost : new float[n * config.headDim()];
        rope.tables(positions, from, n, cosRows, sinRows);
        backend.write(cos.rows(0, n), cosRows);
        backend.write(sin.rows(0, n), sinRows);
        Tensor xs = x.rows(0, n);
        Tensor ns = normed.rows(0, n);
        Tensor qs = q.rows(0, n);
        Tensor ks = k.rows(0, n);
        Tensor vs = v.rows(0, n);
        Tensor as = attn.rows(0, n);
        Tensor ps = proj.rows(0, n);
        Tensor gs = gate.rows(0, n);
        Tensor us = up.rows(0, n);
        float eps = (float) config.rmsNormEps();
        int cached = cache.length();
        for (int l = 0; l < config.layers(); l++) {
            DecoderWeights.Layer w = weights.layers().get(l);
            backend.rmsNorm(ns, xs, w.inputNorm(), eps);
            backend.matmul(qs, ns, w.q(), w.qBias());
            backend.matmul(ks, ns, w.k(), w.kBias());
            backend.matmul(vs, ns, w.v(), w.vBias());
            backend.rope(qs, cos.rows(0, n), sin.rows(0, n), config.headDim());
            backend.rope(ks, cos.rows(0, n), sin.rows(0, n), config.headDim());
            cache.append(l, ks, vs);
            backend.attention(as, qs, cache.keys(l, cached + n), cache.values(l, cached + n),
                    config.heads(), config.kvHeads(), config.headDim(), scale, cached);
            backend.matmul(ps, as, w.o(), null);
            backend.add(xs, ps);
            backend.rmsNorm(ns, xs, w.postNorm(), eps);
            backend.matmul(gs, ns, w.gate(), null);
            backend.matmul(us, ns, w.up(), null);
            backend.swiglu(gs, gs, us);
            backend.matmul(ps, gs, w.down(), null);
            backend.add(xs, ps);
        }
        cache.advance(n);
    }
}
