"""Writes the checkpoint/config fixtures read by java/src/test/java/dev/glimpse/io.

Safetensors files come from the `safetensors` package (its torch writer), config files from
transformers' own config classes, so the Java reader is checked against files it did not write.
expected.json records, for every tensor, the float32 bit pattern of each element as torch sees it.

    python3 tools/reference/io_fixtures.py [--transformers4 DIR]

--transformers4 names a folder holding a transformers 4.5x package (e.g. `pip install --no-deps
--target DIR transformers==4.57.6`); with it, the 7B config is also re-saved by that version, which
writes the flat 4.x fields, `rope_scaling` with "type": "default" and a `text_config` side by side.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import safetensors
import torch
import transformers
from safetensors.torch import save_file
from transformers import Qwen2_5_VLConfig, Qwen2VLImageProcessor

OUT = Path(__file__).resolve().parents[2] / "java/src/test/resources/dev/glimpse/io"

# The released Qwen2.5-VL-7B-Instruct config.json (transformers 4.41 field names); VisionThink's
# 7B checkpoints are fine-tunes of it with the same sizes.
QWEN25_VL_7B_RELEASED = {
    "architectures": ["Qwen2_5_VLForConditionalGeneration"],
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
    "vision_token_id": 151654,
    "image_token_id": 151655,
    "video_token_id": 151656,
    "hidden_act": "silu",
    "hidden_size": 3584,
    "initializer_range": 0.02,
    "intermediate_size": 18944,
    "max_position_embeddings": 128000,
    "max_window_layers": 28,
    "model_type": "qwen2_5_vl",
    "num_attention_heads": 28,
    "num_hidden_layers": 28,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.41.2",
    "use_cache": True,
    "use_sliding_window": False,
    "vision_config": {
        "depth": 32,
        "hidden_act": "silu",
        "hidden_size": 1280,
        "intermediate_size": 3420,
        "num_heads": 16,
        "in_chans": 3,
        "out_hidden_size": 3584,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "spatial_patch_size": 14,
        "window_size": 112,
        "fullatt_block_indexes": [7, 15, 23, 31],
        "tokens_per_second": 2,
        "temporal_patch_size": 2,
    },
    "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
    "vocab_size": 152064,
}

QWEN25_VL_7B_GENERATION = {
    "bos_token_id": 151643,
    "pad_token_id": 151643,
    "do_sample": True,
    "eos_token_id": [151645, 151643],
    "repetition_penalty": 1.05,
    "temperature": 0.1,
    "top_p": 0.001,
    "top_k": 1,
    "transformers_version": "4.37.0",
}

QWEN25_VL_7B_PREPROCESSOR = {
    "min_pixels": 3136,
    "max_pixels": 12845056,
    "patch_size": 14,
    "temporal_patch_size": 2,
    "merge_size": 2,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "image_processor_type": "Qwen2VLImageProcessor",
    "processor_class": "Qwen2_5_VLProcessor",
}


def write_json(path, value, indent=2):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=indent) + "\n")


def f32_bits(t):
    return t.float().contiguous().view(torch.int32).flatten().tolist()


def describe(tensors):
    out = {}
    for name, t in tensors.items():
        entry = {"dtype": {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16",
                           torch.int64: "I64"}[t.dtype], "shape": list(t.shape)}
        if t.dtype == torch.int64:
            entry["values"] = t.flatten().tolist()
        else:
            entry["f32_bits"] = f32_bits(t)
        out[name] = entry
    return out


def values(gen, n, specials):
    """n float32 values: random normals with the given special values at the front."""
    v = torch.randn(n, generator=gen, dtype=torch.float32)
    v[: len(specials)] = torch.tensor(specials, dtype=torch.float32)
    return v


def tiny_config(tied):
    return Qwen2_5_VLConfig(
        text_config=dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                         intermediate_size=32, vocab_size=32, bos_token_id=0, eos_token_id=31,
                         rms_norm_eps=1e-6, max_position_embeddings=4096,
                         rope_parameters=dict(rope_type="default", mrope_section=[1, 1, 2], rope_theta=10000.0)),
        vision_config=dict(depth=2, hidden_size=16, num_heads=2, intermediate_size=24, out_hidden_size=16,
                           fullatt_block_indexes=[1], window_size=56),
        tie_word_embeddings=tied, image_token_id=28, vision_start_token_id=29, vision_end_token_id=30)


def single_file_classic(gen, expected):
    """One model.safetensors, classic names, tied embeddings (no lm_head), every stored dtype."""
    d = OUT / "classic"
    inf = float("inf")
    tensors = {
        "model.embed_tokens.weight": values(gen, 32 * 16, [inf, -inf, -0.0, 1e-40, 3.0e38]).bfloat16().reshape(32, 16),
        "model.norm.weight": values(gen, 16, [inf, -0.0, 1e-45, 3.4028235e38, -1.5]).reshape(16),
        "model.layers.0.self_attn.q_proj.weight": values(gen, 256, [6e-8, 65504.0, -inf, -0.0]).half().reshape(16, 16),
        "model.layers.0.self_attn.q_proj.bias": values(gen, 16, []),
        "visual.merger.mlp.0.bias": values(gen, 64, []).bfloat16(),
        "test.scalar": torch.tensor(2.5, dtype=torch.float32),
        "test.empty": torch.zeros(0, 16, dtype=torch.float16),
        "test.steps": torch.tensor([3, -1, 1 << 40], dtype=torch.int64),
    }
    metadata = {"format": "pt"}  # one key: the Rust writer orders several at random
    d.mkdir(parents=True, exist_ok=True)
    save_file(tensors, d / "model.safetensors", metadata=metadata)
    tiny_config(tied=True).save_pretrained(d)
    write_json(d / "generation_config.json", {"eos_token_id": [31, 0], "bos_token_id": 0})
    Qwen2VLImageProcessor(min_pixels=3136, max_pixels=200704).save_pretrained(d)
    expected["classic/model.safetensors"] = {"metadata": metadata, "tensors": describe(tensors)}


def sharded_new_names(gen, expected):
    """Two shards + index in the model.language_model.* / model.visual.* dialect, untied head."""
    d = OUT / "sharded"
    shards = {
        "model-00001-of-00002.safetensors": {
            "model.language_model.embed_tokens.weight": values(gen, 32 * 16, []).bfloat16().reshape(32, 16),
            "model.language_model.layers.0.self_attn.q_proj.weight": values(gen, 256, []).half().reshape(16, 16),
            "model.visual.blocks.0.norm1.weight": values(gen, 16, []),
        },
        "model-00002-of-00002.safetensors": {
            "model.language_model.norm.weight": values(gen, 16, []),
            "lm_head.weight": values(gen, 32 * 16, []).bfloat16().reshape(32, 16),
            "model.visual.merger.ln_q.weight": values(gen, 16, []),
        },
    }
    d.mkdir(parents=True, exist_ok=True)
    weight_map, total = {}, 0
    for file, tensors in shards.items():
        save_file(tensors, d / file, metadata={"format": "pt"})
        expected["sharded/" + file] = {"metadata": {"format": "pt"}, "tensors": describe(tensors)}
        for name, t in tensors.items():
            weight_map[name] = file
            total += t.numel() * t.element_size()
    write_json(d / "model.safetensors.index.json",
               {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})
    tiny_config(tied=False).save_pretrained(d)
    # transformers 5.x writes size.shortest_edge / longest_edge and no min_pixels / max_pixels keys.
    Qwen2VLImageProcessor(size={"shortest_edge": 6272, "longest_edge": 401408},
                          image_mean=[0.5, 0.5, 0.5], image_std=[0.25, 0.5, 1.0]).save_pretrained(d)


def writer_reference(gen, expected):
    """A file the Java writer must reproduce byte for byte from the same float32 source values."""
    half_way = [1.00390625, 1.01171875, -1.00390625, 3.0e38, 1e-40, 65520.0, 2.0 ** -25, float("inf"), -0.0]
    source = {
        "a.weight": values(gen, 6, [1.5, -0.0]).reshape(2, 3),
        "b.weight": values(gen, 12, half_way).reshape(3, 4),
        "c.weight": values(gen, 12, half_way).reshape(2, 2, 3),
        "d.bias": values(gen, 5, []),
    }
    dtypes = {"a.weight": torch.float32, "b.weight": torch.bfloat16, "c.weight": torch.float16, "d.bias": torch.bfloat16}
    stored = {name: t.to(dtypes[name]) for name, t in source.items()}
    (OUT / "writer").mkdir(parents=True, exist_ok=True)
    save_file(stored, OUT / "writer/reference.safetensors", metadata={"format": "pt"})
    expected["writer/reference.safetensors"] = {
        "metadata": {"format": "pt"},
        "tensors": describe(stored),
        "source_f32_bits": {name: f32_bits(t) for name, t in source.items()},
    }


def configs(transformers4):
    d = OUT / "configs"
    write_json(d / "qwen2.5-vl-7b-released.json", QWEN25_VL_7B_RELEASED)
    write_json(d / "generation_config.json", QWEN25_VL_7B_GENERATION)
    write_json(d / "preprocessor_config.json", QWEN25_VL_7B_PREPROCESSOR)
    Qwen2_5_VLConfig.from_json_file(d / "qwen2.5-vl-7b-released.json").save_pretrained(d / "tmp")
    (d / "tmp/config.json").rename(d / f"qwen2.5-vl-7b-{transformers.__version__}.json")
    (d / "tmp").rmdir()
    if transformers4:
        script = ("import sys, transformers\n"
                  "from transformers import Qwen2_5_VLConfig\n"
                  "Qwen2_5_VLConfig.from_json_file(sys.argv[1]).save_pretrained(sys.argv[2])\n"
                  "print(transformers.__version__)\n")
        env = dict(os.environ, PYTHONPATH=transformers4)
        version = subprocess.run([sys.executable, "-c", script, str(d / "qwen2.5-vl-7b-released.json"), str(d / "tmp")],
                                 env=env, check=True, capture_output=True, text=True).stdout.split()[-1]
        (d / "tmp/config.json").rename(d / f"qwen2.5-vl-7b-{version}.json")
        (d / "tmp").rmdir()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--transformers4", help="PYTHONPATH of a transformers 4.5x install")
    args = parser.parse_args()
    gen = torch.Generator().manual_seed(20250101)
    expected = {}
    single_file_classic(gen, expected)
    sharded_new_names(gen, expected)
    writer_reference(gen, expected)
    configs(args.transformers4)
    write_json(OUT / "expected.json", {
        "versions": {"torch": torch.__version__, "safetensors": safetensors.__version__,
                     "transformers": transformers.__version__},
        "files": expected,
    }, indent=None)


if __name__ == "__main__":
    main()
