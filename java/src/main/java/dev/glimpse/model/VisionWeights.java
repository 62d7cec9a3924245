package dev.glimpse.model;

import dev.glimpse.backend.Backend;
import dev.glimpse.io.Checkpoint;
import dev.glimpse.tensor.Tensor;
import java.util.List;
import java.util.stream.IntStream;

/** The vision tower's weights, shape-checked and resident on a backend; qkv split into q, k and v. */
public record VisionWeights(Tensor patchEmbed, List<Block> blocks, Tensor mergerNorm, Tensor mergerFc1,
        Tensor mergerFc1Bias, Tensor mergerFc2, Tensor mergerFc2Bias) {

    /** One vision block: RMSNorm, attention with fused qkv (split here), RMSNorm, SwiGLU MLP with biases. */
    public record Block(Tensor norm1, Tensor q, Tensor qBias, Tensor k, Tensor kBias, Tensor v, Tensor vBias,
            Tensor proj, Tensor projBias, Tensor norm2, Tensor gate, Tensor gateBias, Tensor up, Tensor upBias,
            Tensor down, Tensor downBias) {}

    public static VisionWeights load(Checkpoint checkpoint, VisionConfig c, Backend backend) {
        var loader = new DecoderWeights.Loader(checkpoint, backend);
        int C = c.hiddenSize();
        int I = c.intermediateSize();
        int patchCols = c.inChannels() * c.temporalPatchSize() * c.patchSize() * c.patchSize();
        int merged = C * c.spatialMergeSize() * c.spatialMergeSize();
        Tensor patch = loader.get("visual.patch_embed.proj.weight", C, c.inChannels(), c.temporalPatchSize(),
                c.patchSize(), c.patchSize()).reshape(C, patchCols);
        List<Block> blocks = IntStream.range(0, c.depth()).mapToObj(i -> {
            String p = "visual.blocks." + i + ".";
            Tensor qkv = loader.get(p + "attn.qkv.weight", 3L * C, C);
            Tensor qkvBias = loader.get(p + "attn.qkv.bias", 3L * C);
            return new Block(
                    loader.get(p + "norm1.weight", C),
                    qkv.rows(0, C), qkvBias.slice(0, C),
                    qkv.rows(C, C), qkvBias.slice(C, C),
                    qkv.rows(2L * C, C), qkvBias.slice(2L * C, C),
                    loader.get(p + "attn.proj.weight", C, C), loader.get(p + "attn.proj.bias", C),
                    loader.get(p + "norm2.weight", C),
                    loader.get(p + "mlp.gate_proj.weight", I, C), loader.get(p + "mlp.gate_proj.bias", I),
                    loader.get(p + "mlp.up_proj.weight", I, C), loader.get(p + "mlp.up_proj.bias", I),
                    loader.get(p + "mlp.down_proj.weight", C, I), loader.get(p + "mlp.down_proj.bias", C));
        }).toList();
        return new VisionWeights(patch, blocks,
                loader.get("visual.merger.ln_q.weight", C),
                loader.get("visual.merger.mlp.0.weight", merged, merged), loader.get("visual.merger.mlp.0.bias", merged),
                loader.get("visual.merger.mlp.2.weight", c.outHiddenSize(), merged),
                loader.get("visual.merger.mlp.2.bias", c.outHiddenSize()));
    }
}
