"""minivt's shapes and its checkpoint files, laid out as a transformers-made Qwen2.5-VL checkpoint."""
import json
import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer
from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

import views

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "reference"))
import tiny_model  # noqa: E402
import tiny_tokenizer  # noqa: E402

# head_dim 32 with M-RoPE section [4, 6, 6] as in Qwen's layout (sections sum to head_dim / 2).
TEXT = dict(hidden_size=128, intermediate_size=384, num_hidden_layers=3, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=4096, max_window_layers=3, rms_norm_eps=1e-6)
ROPE = {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [4, 6, 6]}
# head_dim 32; window 112 px = 4x4 merged tokens; full attention in blocks 1 and 3.
VISION = dict(depth=4, hidden_size=64, intermediate_size=192, num_heads=2, patch_size=14, spatial_merge_size=2,
              temporal_patch_size=2, window_size=112, fullatt_block_indexes=[1, 3], tokens_per_second=2)


def make_config(tokenizer: Tokenizer) -> Qwen2_5_VLConfig:
    ids = tiny_model.SpecialIds(tokenizer)
    vocab = tokenizer.get_vocab_size()
    text = dict(TEXT, vocab_size=vocab, bos_token_id=ids.endoftext, eos_token_id=ids.im_end,
                pad_token_id=ids.endoftext, tie_word_embeddings=False, rope_parameters=dict(ROPE))
    config = Qwen2_5_VLConfig(
        text_config=text, vision_config=dict(VISION, out_hidden_size=TEXT["hidden_size"]),
        image_token_id=ids.image_pad, video_token_id=ids.video_pad, vision_start_token_id=ids.vision_start,
        vision_end_token_id=ids.vision_end, tie_word_embeddings=False)
    return config


def new_model(tokenizer: Tokenizer, seed: int, attention: str = "sdpa") -> Qwen2_5_VLForConditionalGeneration:
    torch.manual_seed(seed)
    config = make_config(tokenizer)
    config._attn_implementation = attention
    return Qwen2_5_VLForConditionalGeneration(config)


def _write_json(path: Path, value: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def save(model, tokenizer: Tokenizer, directory: Path) -> None:
    """config.json + model.safetensors (float32) as save_pretrained writes them, generation_config.json,
    preprocessor_config.json (min_pixels / max_pixels keys, as the released checkpoints have them),
    tokenizer.json and tokenizer_config.json."""
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    config = json.loads((directory / "config.json").read_text())
    config.pop("_attn_implementation_autoset", None)
    _write_json(directory / "config.json", config)
    _write_json(directory / "generation_config.json", tiny_model._generation_config(tiny_model.SpecialIds(tokenizer)))
    tiny_model.write_preprocessor_config(directory, views.MIN_PIXELS, views.MAX_PIXELS, dialect=4)
    tiny_tokenizer.write(tokenizer, directory)


def load(directory: Path, attention: str = "eager") -> tuple[Qwen2_5_VLForConditionalGeneration, Tokenizer]:
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(directory, attn_implementation=attention,
                                                               dtype=torch.float32).eval()
    return model, Tokenizer.from_file(str(directory / "tokenizer.json"))
