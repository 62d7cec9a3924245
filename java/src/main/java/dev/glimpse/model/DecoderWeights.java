package dev.glimpse.model;

import dev.glimpse.backend.Backend;
import dev.glimpse.io.Checkpoint;
import dev.glimpse.io.CheckpointException;
import dev.glimpse.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/** The text decoder's weights, shape-checked against the config and made resident on a backend. */
public record DecoderWeights(Tensor embedTokens, List<Layer> layers, Tensor norm, Tensor lmHead) {

    /** One decoder layer (Qwen2): attention with q/k/v bias, SwiGLU MLP, two RMSNorms. */
    public record Layer(Tensor inputNorm, Tensor q, Tensor qBias, Tensor k, Tensor kBias, Tensor v, Tensor vBias,
            Tensor o, Tensor postNorm, Tensor gate, Tensor up, Tensor down) {}

    public static DecoderWeights load(Checkpoint checkpoint, TextConfig c, Backend backend) {
        var loader = new Loader(checkpoint, backend);
        int h = c.hiddenSize();
        int qDim = c.heads() * c.headDim();
        int kvDim = c.kvHeads() * c.headDim();
        int ffn = c.intermediateSize();
        Tensor embed = loader.get("model.embed_tokens.weight", c.vocabSize(), h);
        List<Layer> layers = IntStream.range(0, c.layers()).mapToObj(i -> {
            String p = "model.layers." + i + ".";
            return new Layer(
                    loader.get(p + "input_layernorm.weight", h),
                    loader.get(p + "self_attn.q_proj.weight", qDim, h),
                    loader.get(p + "self_attn.q_proj.bias", qDim),
                    loader.get(p + "self_attn.k_proj.weight", kvDim, h),
                    loader.get(p + "self_attn.k_proj.bias", kvDim),
                    loader.get(p + "self_attn.v_proj.weight", kvDim, h),
                    loader.get(p + "self_attn.v_proj.bias", kvDim),
                    loader.get(p + "self_attn.o_proj.weight", h, qDim),
                    loader.get(p + "post_attention_layernorm.weight", h),
                    loader.get(p + "mlp.gate_proj.weight", ffn, h),
                    loader.get(p + "mlp.up_proj.weight", ffn, h),
                    loader.get(p + "mlp.down_proj.weight", h, ffn));
        }).toList();
        Tensor norm = loader.get("model.norm.weight", h);
        // Tied models (Qwen2.5-VL-3B) may omit lm_head.weight: the embedding matrix serves as the head.
        // An untied model without one is a broken checkpoint: loader.get names the missing tensor.
        Tensor head = c.tieWordEmbeddings() ? embed : loader.get("lm_head.weight", c.vocabSize(), h);
        return new DecoderWeights(embed, layers, norm, head);
    }

    /** Fetches tensors by canonical name, checks shapes, uploads them. */
    record Loader(Checkpoint checkpoint, Backend backend) {
        Tensor get(String name, long... expected) {
            Tensor t = checkpoint.tensor(name);
            if (!Arrays.equals(t.shape(), expected)) {
                throw new CheckpointException("tensor " + name + " in " + checkpoint.dir() + " has shape "
                        + Arrays.toString(t.shape()) + " but config.json implies " + Arrays.toString(expected));
            }
            return backend.upload(t);
        }
    }
}
