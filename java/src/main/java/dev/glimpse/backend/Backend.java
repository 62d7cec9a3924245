package dev.glimpse.backend;

import dev.glimpse.tensor.Tensor;

/**
 * The math the models need, and nothing model-specific. Activations are F32 tensors this backend
 * allocated; weights are tensors passed through {@link #upload} once. Shapes are read from the
 * tensors: a matrix argument is seen as [rows, cols] (see {@link Tensor#rows()}, {@link Tensor#cols()}),
 * so callers pass row views ({@link Tensor#rows(long, long)}) to work on part of a buffer.
 * An op writes only its output. Matrix ops (matmul, attention, rmsNorm, embed) must not alias output
 * and input; element-wise ops (swiglu, gelu, add, rope) may write over one of their inputs.
 */
public interface Backend extends AutoCloseable {

    /** Marks {@link #attention} as bidirectional: every query sees every key. */
    int NON_CAUSAL = -1;

    String name();

    /**
     * Rows a caller should batch into one call (a model's prefill chunk): enough to keep this
     * backend's matrix units busy, few enough for its caches and memory.
     */
    default int batchRows() {
        return 256;
    }

    /** A zero-filled F32 tensor owned by this backend, freed when the backend closes. */
    Tensor allocate(String name, long... shape);

    /**
     * Frees a tensor that {@link #allocate} returned (not a view of one, not a weight) before the
     * backend closes: KV caches and work buffers come and go with conversations.
     */
    void release(Tensor allocated);

    /** The weight as this backend computes with it: CPU may return it as is, a GPU copies it over once. */
    Tensor upload(Tensor hostWeight);

    /** Copies host floats into an F32 tensor (dst.numel() == src.length). */
    void write(Tensor dst, float[] src);

    /** Copies an F32 tensor into host floats (dst.length == src.numel()). */
    void read(Tensor src, float[] dst);

    /** dst = src, both F32 with the same element count. */
    void copy(Tensor dst, Tensor src);

    /** out[i, :] = table[ids[i], :] widened to F32; out is [ids.length, table.cols()]. */
    void embed(Tensor out, Tensor table, int[] ids);

    /** out[n, o] = x[n, k] · w[o, k]ᵀ + bias[o] (bias may be null). Weights F32 or BF16 (F16 after upload). */
    void matmul(Tensor out, Tensor x, Tensor w, Tensor bias);

    /** Per row: out = x · rsqrt(mean(x²) + eps) · weight, in F32. */
    void rmsNorm(Tensor out, Tensor x, Tensor weight, float eps);

    /**
     * Rotary embedding in place, rotate_half form: x is [n, heads·headDim], cos and sin are
     * [n, headDim]; for each head, x' = x·cos + rotate_half(x)·sin, rotate_half(x) = [−x[d/2:], x[:d/2]].
     */
    void rope(Tensor x, Tensor cos, Tensor sin, int headDim);

    /** out = silu(gate) ⊙ up, silu(g) = g / (1 + e^−g). */
    void swiglu(Tensor out, Tensor gate, Tensor up);

    /** x = gelu(x) in place, exact erf form: x·(1 + erf(x/√2))/2. */
    void gelu(Tensor x);

    /** x += y in place (same element count). */
    void add(Tensor x, Tensor y);

    /** Softmax over each row, in place, in F32. */
    void softmax(Tensor x);

    /**
     * Index of the largest element of an F32 tensor taken as one flat row (the lowest index on ties,
     * as torch.argmax): greedy decoding's choice without bringing the logits back to the host.
     */
    int argmax(Tensor x);

    /**
     * The token {@link NucleusDraw#pick} draws from an F32 tensor taken as one flat row, with u uniform
     * in [0, 1): sampling's choice. This default brings the logits to the host; a device backend draws
     * where they are.
     */
    default int draw(Tensor logits, NucleusDraw draw, double u) {
        float[] host = new float[Math.toIntExact(logits.numel())];
        read(logits, host);
        return draw.pick(host, host.length, u);
    }

    /**
     * Scaled dot-product attention with grouped KV heads. q is [n, heads·headDim]; k and v are
     * [m, kvHeads·headDim]; out is [n, heads·headDim]. Query head h uses KV head h / (heads / kvHeads).
     * With causalOffset ≥ 0, query i sees keys 0 … causalOffset + i (the KV cache case: causalOffset is
     * the number of cached tokens before this chunk); with {@link #NON_CAUSAL}, it sees all m keys.
     * Scores are scaled by scale; softmax in F32.
     */
    void attention(Tensor out, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int headDim, float scale,
            int causalOffset);

    @Override
    void close();
}
