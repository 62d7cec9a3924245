"""Tiny random Qwen2.5-VL checkpoints, written in both config dialects and both tensor-name dialects.

Shapes: text hidden 128 = 4 query heads x head_dim 32 (2 KV heads, GQA 2:1), MLP 240, 2 layers,
M-RoPE section [4, 6, 6] (sums to head_dim/2); vision hidden 48 = 2 heads x head_dim 24 (2D RoPE:
head_dim/4 = 6 frequencies), MLP 72, 4 blocks with full attention in [1, 3], patch 14,
temporal patch 2, merge 2, window 112 px, out_hidden 128. The odd sizes (24, 72, 240) leave
tails after every 512-bit vector.

Weights are not transformers' default init (std 0.02 makes attention nearly uniform, so a
position bug would barely move the logits): every linear weight is N(0, 1/fan_in), biases and
norm weights are clearly non-trivial, and the untied lm_head is scaled so logits spread over a
few units (large greedy margins).
"""
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

from fixture_images import IMAGE_MEAN, IMAGE_STD, MERGE, PATCH, TEMPORAL

TEXT = dict(hidden_size=128, intermediate_size=240, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=4096, max_window_layers=2, rms_norm_eps=1e-6,
            rope_theta=1e6, mrope_section=[4, 6, 6])
VISION = dict(depth=4, hidden_size=48, intermediate_size=72, num_heads=2, patch_size=14, spatial_merge_size=2,
              temporal_patch_size=2, window_size=112, fullatt_block_indexes=[1, 3], tokens_per_second=2)


class SpecialIds:
    """The fixture tokenizer's ids for the tokens the model config and generation config name."""

    def __init__(self, tokenizer):
        def tid(content):
            return tokenizer.token_to_id(content)
        self.endoftext = tid("<|endoftext|>")
        self.im_start = tid("<|im_start|>")
        self.im_end = tid("<|im_end|>")
        self.vision_start = tid("<|vision_start|>")
        self.vision_end = tid("<|vision_end|>")
        self.vision_pad = tid("<|vision_pad|>")
        self.image_pad = tid("<|image_pad|>")
        self.video_pad = tid("<|video_pad|>")
        self.tool_call = tid("<tool_call>")
        self.tool_call_end = tid("</tool_call>")
        self.eos = [self.im_end, self.endoftext]

    def as_dict(self) -> dict:
        return dict(vars(self))


def make_config(vocab_size: int, ids: SpecialIds, tied: bool) -> Qwen2_5_VLConfig:
    text = {k: v for k, v in TEXT.items() if k not in ("rope_theta", "mrope_section")}
    text.update(vocab_size=vocab_size, bos_token_id=ids.endoftext, eos_token_id=ids.im_end,
                pad_token_id=ids.endoftext, tie_word_embeddings=tied,
                rope_parameters={"rope_type": "default", "rope_theta": TEXT["rope_theta"],
                                 "mrope_section": TEXT["mrope_section"]})
    config = Qwen2_5_VLConfig(
        text_config=text, vision_config=dict(VISION, out_hidden_size=TEXT["hidden_size"]),
        image_token_id=ids.image_pad, video_token_id=ids.video_pad, vision_start_token_id=ids.vision_start,
        vision_end_token_id=ids.vision_end, tie_word_embeddings=tied)
    config._attn_implementation = "eager"
    return config


def make_model(config: Qwen2_5_VLConfig, seed: int, bf16_weights: bool) -> Qwen2_5_VLForConditionalGeneration:
    """A float32 model with seeded weights; with bf16_weights every weight is rounded to bfloat16 first
    (the float32 reference on bf16 weights)."""
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    generator = torch.Generator().manual_seed(seed)
    hidden = config.text_config.hidden_size
    with torch.no_grad():
        for name, param in sorted(model.named_parameters()):  # tied lm_head is not listed twice
            if name.endswith("embed_tokens.weight"):
                value = 0.1 * torch.randn(param.shape, generator=generator)
            elif name == "lm_head.weight":
                value = torch.randn(param.shape, generator=generator) * (4.0 / hidden ** 0.5)
            elif param.ndim == 1 and ("norm" in name or "ln_q" in name):
                value = 1.0 + 0.1 * torch.randn(param.shape, generator=generator)
            elif param.ndim == 1:  # bias
                scale = 0.2 if any(p in name for p in ("q_proj", "k_proj", "v_proj", "qkv")) else 0.05
                value = scale * torch.randn(param.shape, generator=generator)
            else:
                fan_in = param[0].numel()
                value = torch.randn(param.shape, generator=generator) / fan_in ** 0.5
            if bf16_weights:
                value = value.to(torch.bfloat16).to(torch.float32)
            param.copy_(value)
    if config.tie_word_embeddings and model.lm_head.weight.data_ptr() != model.get_input_embeddings().weight.data_ptr():
        raise RuntimeError("lm_head is not tied to embed_tokens")
    return model


def _generation_config(ids: SpecialIds) -> dict:
    # Qwen2.5-VL's shape; the sampling fields are there to be ignored by greedy decoding.
    return {"bos_token_id": ids.endoftext, "pad_token_id": ids.endoftext, "do_sample": True,
            "eos_token_id": ids.eos, "repetition_penalty": 1.05, "temperature": 0.1, "top_p": 0.001,
            "top_k": 1, "transformers_version": "4.49.0"}


def _write_json(path: Path, value: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def _config_v4(saved: dict, ids: SpecialIds) -> dict:
    """transformers 4.x (released VisionThink) dialect: flat text fields, rope_scaling type mrope, in_chans, torch_dtype."""
    text = saved["text_config"]
    vision = saved["vision_config"]
    return {
        "architectures": ["Qwen2_5_VLForConditionalGeneration"],
        "attention_dropout": 0.0,
        "bos_token_id": ids.endoftext,
        "eos_token_id": ids.im_end,
        "vision_start_token_id": ids.vision_start,
        "vision_end_token_id": ids.vision_end,
        "vision_token_id": ids.vision_pad,
        "image_token_id": ids.image_pad,
        "video_token_id": ids.video_pad,
        "hidden_act": text["hidden_act"],
        "hidden_size": text["hidden_size"],
        "initializer_range": 0.02,
        "intermediate_size": text["intermediate_size"],
        "max_position_embeddings": text["max_position_embeddings"],
        "max_window_layers": text["max_window_layers"],
        "model_type": "qwen2_5_vl",
        "num_attention_heads": text["num_attention_heads"],
        "num_hidden_layers": text["num_hidden_layers"],
        "num_key_value_heads": text["num_key_value_heads"],
        "rms_norm_eps": text["rms_norm_eps"],
        "rope_theta": text["rope_parameters"]["rope_theta"],
        "sliding_window": 4096,
        "tie_word_embeddings": saved["tie_word_embeddings"],
        "torch_dtype": saved["dtype"],
        "transformers_version": "4.49.0",
        "use_cache": True,
        "use_sliding_window": False,
        "vision_config": {
            "depth": vision["depth"],
            "hidden_act": vision["hidden_act"],
            "hidden_size": vision["hidden_size"],
            "intermediate_size": vision["intermediate_size"],
            "num_heads": vision["num_heads"],
            "in_chans": vision["in_channels"],
            "out_hidden_size": vision["out_hidden_size"],
            "patch_size": vision["patch_size"],
            "spatial_merge_size": vision["spatial_merge_size"],
            "spatial_patch_size": vision["patch_size"],
            "window_size": vision["window_size"],
            "fullatt_block_indexes": vision["fullatt_block_indexes"],
            "tokens_per_second": vision["tokens_per_second"],
            "temporal_patch_size": vision["temporal_patch_size"],
        },
        "rope_scaling": {"type": "mrope", "mrope_section": text["rope_parameters"]["mrope_section"]},
        "vocab_size": text["vocab_size"],
    }


def _language_model_name(name: str) -> str:
    """Classic tensor name -> the model.language_model.* / model.visual.* dialect (transformers 4.52-4.57)."""
    if name.startswith("model."):
        return "model.language_model." + name[len("model."):]
    if name.startswith("visual."):
        return "model." + name
    return name


def _write_two_shards(tensors: dict, directory: Path) -> None:
    names = sorted(tensors)
    sizes = [tensors[n].numel() * tensors[n].element_size() for n in names]
    total, running, cut = sum(sizes), 0, 0
    while running + sizes[cut] <= total // 2:
        running += sizes[cut]
        cut += 1
    weight_map = {}
    for index, part in enumerate((names[:cut], names[cut:]), start=1):
        file = f"model-{index:05d}-of-00002.safetensors"
        save_file({n: tensors[n].contiguous() for n in part}, str(directory / file), metadata={"format": "pt"})
        weight_map.update({n: file for n in part})
    _write_json(directory / "model.safetensors.index.json",
                {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})


def save_v4_classic(model, ids: SpecialIds, directory: Path) -> None:
    """float32, transformers-4.x config, classic tensor names, one file."""
    model.save_pretrained(directory)
    saved = json.loads((directory / "config.json").read_text())
    _write_json(directory / "config.json", _config_v4(saved, ids))
    _write_json(directory / "generation_config.json", _generation_config(ids))


def save_v5_language_model(model, ids: SpecialIds, directory: Path) -> None:
    """bfloat16, transformers-5.x config, model.language_model.* names, tied (no lm_head), two shards."""
    staging = directory / "staging"
    model.save_pretrained(staging)  # float32: converting the live model would also round its rotary tables
    tensors = load_file(str(staging / "model.safetensors"))
    if "lm_head.weight" in tensors:
        raise RuntimeError("tied checkpoint was saved with lm_head.weight")
    bf16 = {}
    for name, tensor in tensors.items():
        bf16[_language_model_name(name)] = tensor.to(torch.bfloat16)
        if not torch.equal(bf16[_language_model_name(name)].to(torch.float32), tensor):
            raise RuntimeError(f"{name} was not rounded to bfloat16 before saving")
    _write_two_shards(bf16, directory)
    config = json.loads((staging / "config.json").read_text())
    config["dtype"] = "bfloat16"
    _write_json(directory / "config.json", config)
    shutil.rmtree(staging)
    _write_json(directory / "generation_config.json", _generation_config(ids))


def write_preprocessor_config(directory: Path, min_pixels: int, max_pixels: int, dialect: int) -> None:
    config = {"do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
              "image_mean": IMAGE_MEAN, "image_std": IMAGE_STD,
              "image_processor_type": "Qwen2VLImageProcessor", "merge_size": MERGE, "patch_size": PATCH,
              "processor_class": "Qwen2_5_VLProcessor", "resample": 3, "rescale_factor": 1 / 255,
              "temporal_patch_size": TEMPORAL}
    if dialect == 4:  # the released checkpoints: min_pixels / max_pixels keys
        config.update(min_pixels=min_pixels, max_pixels=max_pixels)
    else:  # what transformers 5.x saves: size.shortest_edge / size.longest_edge
        config["size"] = {"longest_edge": max_pixels, "shortest_edge": min_pixels}
    _write_json(directory / "preprocessor_config.json", dict(sorted(config.items())))
