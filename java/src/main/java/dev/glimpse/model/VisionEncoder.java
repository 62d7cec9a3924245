package dev.glimpse.model;

import dev.glimpse.backend.Backend;
import dev.glimpse.backend.Scratch;
import dev.glimpse.tensor.Tensor;
import java.util.List;

/**
 * Qwen2.5-VL's vision tower (SPEC §3): patch embedding, 2D rotary embedding, window and full
 * attention blocks, patch merger. Images are encoded one at a time (attention never crosses images,
 * every other op is per row), so several images equal one batched call.
 */
public final class VisionEncoder implements AutoCloseable {

    /** One image's patches: rows of pixel_values in Qwen's order and the {t, h, w} patch grid. */
    public record Patches(float[] pixelValues, int gridT, int gridH, int gridW) {
        public int rows() {
            return gridT * gridH * gridW;
        }
    }

    private final VisionConfig config;
    private final VisionWeights weights;
    private final Backend backend;
    private final Scratch scratch;
    private final float[] invFreq;
    private final float scale;
    private final int unit;
    private final int window;

    public VisionEncoder(VisionConfig config, VisionWeights weights, Backend backend) {
        this.config = config;
        this.weights = weights;
        this.backend = backend;
        this.scratch = new Scratch(backend);
        int headDim = config.hiddenSize() / config.heads();
        int quarter = headDim / 4;
        this.invFreq = new float[quarter];
        for (int k = 0; k < quarter; k++) {
            // VisionRotaryEmbedding(dim = headDim/2): 1 / 10000^(2k / (headDim/2)), in float32.
            invFreq[k] = 1f / (float) Math.pow(10000.0, (float) (2 * k) / (float) (headDim / 2));
        }
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.unit = config.spatialMergeSize() * config.spatialMergeSize();
        this.window = config.windowSize() / config.spatialMergeSize() / config.patchSize();
    }

    /** Merged tokens an image yields. */
    public int tokens(Patches p) {
        return p.rows() / unit;
    }

    /** Encodes the images into out ([Σ tokens, outHidden]), rows in prompt order, each image in raster order. */
    public void encode(List<Patches> images, Tensor out) {
        int row = 0;
        for (Patches p : images) {
            int n = tokens(p);
            encodeOne(p, out.rows(row, n));
            row += n;
        }
    }

    private void encodeOne(Patches p, Tensor out) {
        int cols = config.inChannels() * config.temporalPatchSize() * config.patchSize() * config.patchSize();
        if (p.pixelValues().length != (long) p.rows() * cols) {
            throw new IllegalArgumentException("pixel_values has " + p.pixelValues().length + " values, grid "
                    + p.gridT() + "×" + p.gridH() + "×" + p.gridW() + " needs " + (long) p.rows() * cols);
        }
        int merge = config.spatialMergeSize();
        int mergedH = p.gridH() / merge;
        int mergedW = p.gridW() / merge;
        int framePatches = p.gridH() * p.gridW();
        WindowIndex windows = WindowIndex.of(mergedH, mergedW, window, unit);
        int n = p.rows();
        int C = config.hiddenSize();
        int headDim = C / config.heads();

        // Window order is applied to the inputs: patch embedding and rotary tables are per row.
        float[] permuted = new float[p.pixelValues().length];
        float[] cos = new float[n * headDim];
        float[] sin = new float[n * headDim];
        for (int frame = 0; frame < p.gridT(); frame++) {
            for (int i = 0; i < windows.order().length; i++) {
                int src = windows.order()[i];
                for (int u = 0; u < unit; u++) {
                    int from = frame * framePatches + src * unit + u;
                    int to = frame * framePatches + i * unit + u;
                    System.arraycopy(p.pixelValues(), from * cols, permuted, to * cols, cols);
                    int hp = (src / mergedW) * merge + u / merge;
                    int wp = (src % mergedW) * merge + u % merge;
                    rotary(hp, wp, to, headDim, cos, sin);
                }
            }
        }
        Tensor pixels = scratch.get("vision.pixels", n, cols);
        backend.write(pixels, permuted);
        Tensor cosT = scratch.get("vision.cos", n, headDim);
        Tensor sinT = scratch.get("vision.sin", n, headDim);
        backend.write(cosT, cos);
        backend.write(sinT, sin);

        Tensor x = scratch.get("vision.x", n, C);
        Tensor normed = scratch.get("vision.normed", n, C);
        Tensor q = scratch.get("vision.q", n, C);
        Tensor k = scratch.get("vision.k", n, C);
        Tensor v = scratch.get("vision.v", n, C);
        Tensor attn = scratch.get("vision.attn", n, C);
        Tensor proj = scratch.get("vision.proj", n, C);
        Tensor gate = scratch.get("vision.gate", n, config.intermediateSize());
        Tensor up = scratch.get("vision.up", n, config.intermediateSize());
        backend.matmul(x, pixels, weights.patchEmbed(), null);

        int[] fullSegments = new int[p.gridT() + 1];
        for (int f = 1; f <= p.gridT(); f++) {
            fullSegments[f] = f * framePatches;
        }
        int[] windowSegments = framesOf(windows.cuWindowSeqlens(), p.gridT(), framePatches);
        float eps = 1e-6f;
        for (int b = 0; b < config.depth(); b++) {
            VisionWeights.Block w = weights.blocks().get(b);
            backend.rmsNorm(normed, x, w.norm1(), eps);
            backend.matmul(q, normed, w.q(), w.qBias());
            backend.matmul(k, normed, w.k(), w.kBias());
            backend.matmul(v, normed, w.v(), w.vBias());
            backend.rope(q, cosT, sinT, headDim);
            backend.rope(k, cosT, sinT, headDim);
            int[] segments = isFullAttention(b) ? fullSegments : windowSegments;
            for (int s = 0; s + 1 < segments.length; s++) {
                int from = segments[s];
                int len = segments[s + 1] - from;
                backend.attention(attn.rows(from, len), q.rows(from, len), k.rows(from, len), v.rows(from, len),
                        config.heads(), config.heads(), headDim, scale, Backend.NON_CAUSAL);
            }
            backend.matmul(proj, attn, w.proj(), w.projBias());
            backend.add(x, proj);
            backend.rmsNorm(normed, x, w.norm2(), eps);
            backend.matmul(gate, normed, w.gate(), w.gateBias());
            backend.matmul(up, normed, w.up(), w.upBias());
            backend.swiglu(gate, gate, up);
            backend.matmul(proj, gate, w.down(), w.downBias());
            backend.add(x, proj);
        }

        int tokens = n / unit;
        backend.rmsNorm(normed, x, weights.mergerNorm(), eps);
        Tensor grouped = normed.slice(0, tokens, (long) unit * C);
        Tensor hidden = scratch.get("vision.merger", tokens, unit * C);
        Tensor merged = scratch.get("vision.out", tokens, config.outHiddenSize());
        backend.matmul(hidden, grouped, weights.mergerFc1(), weights.mergerFc1Bias());
        backend.gelu(hidden);
        backend.matmul(merged, hidden, weights.mergerFc2(), weights.mergerFc2Bias());
        // Undo the window order: merged token i goes back to its raster place.
        int perFrame = framePatches / unit;
        for (int frame = 0; frame < p.gridT(); frame++) {
            for (int i = 0; i < windows.order().length; i++) {
                int at = frame * perFrame;
                backend.copy(out.rows(at + windows.order()[i], 1), merged.rows(at + i, 1));
            }
        }
    }

    /** Frees the work buffers. */
    @Override
    public void close() {
        scratch.close();
    }

    private boolean isFullAttention(int block) {
        for (int b : config.fullAttBlockIndexes()) {
            if (b == block) {
                return true;
            }
        }
        return false;
    }

    /** Window boundaries repeated for every frame, offset by the frame's first patch. */
    private static int[] framesOf(int[] cu, int frames, int framePatches) {
        int per = cu.length - 1;
        int[] out = new int[frames * per + 1];
        for (int f = 0; f < frames; f++) {
            for (int s = 1; s <= per; s++) {
                out[f * per + s] = f * framePatches + cu[s];
            }
        }
        return out;
    }

    /** cos/sin row `row` for patch (hp, wp): angles [hp·inv, wp·inv, hp·inv, wp·inv]. */
    private void rotary(int hp, int wp, int row, int headDim, float[] cos, float[] sin) {
        int quarter = invFreq.length;
        int base = row * headDim;
        for (int kq = 0; kq < quarter; kq++) {
            float ah = (float) hp * invFreq[kq];
            float aw = (float) wp * invFreq[kq];
            float ch = (float) Math.cos(ah);
            float sh = (float) Math.sin(ah);
            float cw = (float) Math.cos(aw);
            float sw = (float) Math.sin(aw);
            for (int half = 0; half < 2; half++) {
                int o = base + half * 2 * quarter;
                cos[o + kq] = ch;
                sin[o + kq] = sh;
                cos[o + quarter + kq] = cw;
                sin[o + quarter + kq] = sw;
            }
        }
    }
}
