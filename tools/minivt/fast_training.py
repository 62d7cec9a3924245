"""Training-only speed-ups of transformers' Qwen2.5-VL vision tower, with the same math.

A training step encodes ~60 small images (the batch's views and the label crops); transformers runs
one attention call per image or window (its non-flash path), ~270 calls per step, and the patch
embedding's Conv3d backward is slow on CPU. Here chunks of equal length share one batched attention
call, and the patch embedding (a convolution whose kernel covers its whole input) is a matrix product.
check() compares both with the originals.
"""
import torch
from transformers.models.qwen2_5_vl import modeling_qwen2_5_vl as qwen


def _attention(self, hidden_states, cu_seqlens, position_embeddings=None, **kwargs):
    length = hidden_states.shape[0]
    q, k, v = self.qkv(hidden_states).reshape(length, 3, self.num_heads, -1).permute(1, 0, 2, 3).unbind(0)
    q, k = qwen.apply_rotary_pos_emb_vision(q, k, *position_embeddings)
    out = torch.empty_like(q)
    bounds = cu_seqlens.tolist()
    chunks = {}  # chunk length -> start offsets
    for start, end in zip(bounds[:-1], bounds[1:]):
        if end > start:
            chunks.setdefault(end - start, []).append(start)
    for size, starts in chunks.items():
        index = (torch.tensor(starts)[:, None] + torch.arange(size)).flatten()
        def gather(t):
            return t[index].view(len(starts), size, self.num_heads, -1).transpose(1, 2)
        o = torch.nn.functional.scaled_dot_product_attention(gather(q), gather(k), gather(v), scale=self.scaling)
        out = out.index_copy(0, index, o.transpose(1, 2).reshape(len(starts) * size, self.num_heads, -1))
    return self.proj(out.reshape(length, -1))


def _patch_embed(self, hidden_states):
    weight = self.proj.weight
    return hidden_states.view(-1, weight[0].numel()).to(weight.dtype) @ weight.view(weight.shape[0], -1).T


def install() -> None:
    qwen.Qwen2_5_VLVisionAttention.forward = _attention
    qwen.Qwen2_5_VisionPatchEmbed.forward = _patch_embed


def check(model, pixel_values: torch.Tensor, grids: torch.Tensor) -> float:
    """The largest difference between the patched and the original tower's outputs on these images,
    relative to the largest output (float32 sums in another order differ in the last bits)."""
    patched = torch.cat(model.model.get_image_features(pixel_values, grids).pooler_output)
    saved = qwen.Qwen2_5_VLVisionAttention.forward, qwen.Qwen2_5_VisionPatchEmbed.forward
    qwen.Qwen2_5_VLVisionAttention.forward, qwen.Qwen2_5_VisionPatchEmbed.forward = ORIGINAL
    try:
        original = torch.cat(model.model.get_image_features(pixel_values, grids).pooler_output)
    finally:
        qwen.Qwen2_5_VLVisionAttention.forward, qwen.Qwen2_5_VisionPatchEmbed.forward = saved
    return float((patched - original).abs().max() / original.abs().max())


ORIGINAL = qwen.Qwen2_5_VLVisionAttention.forward, qwen.Qwen2_5_VisionPatchEmbed.forward
