"""Writes the end-to-end fidelity fixtures under java/src/test/resources/fixtures/ (see README.md).

    python3 tools/reference/make_fixtures.py [--out DIR]

Deterministic: fixed seeds everywhere; a model seed is bumped (and recorded) until every greedy
step of every case has a top-1/top-2 logit margin of at least 1e-3.
"""
import argparse
import json
import platform
import shutil
import sys
from pathlib import Path

import numpy as np
import PIL
import safetensors
from PIL import Image
import tokenizers
import torch
import transformers
from transformers import AutoTokenizer, Qwen2_5_VLForConditionalGeneration
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil
from transformers.vision_utils import get_vision_position_ids, get_vision_window_index

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fixture_images  # noqa: E402
import reference_run  # noqa: E402
import tiny_model  # noqa: E402
import tiny_tokenizer  # noqa: E402

REPO = HERE.parent.parent
DEFAULT_OUT = REPO / "java/src/test/resources/fixtures"
VOCAB_SIZE = 480  # tokenizer size (472) rounded up, like Qwen's 151665 -> 152064
DEFAULT_SYSTEM = "You are a helpful assistant."
TOOL_CALL = '<tool_call>\n{"name": "resize_image", "arguments": {"action": "resize"}}\n</tool_call>'
IMAGE = "<|vision_start|><|image_pad|><|vision_end|>"

CHECKPOINTS = {
    # bf16: weights rounded to bfloat16 and stored so; dialect: config.json, tensor names and
    # preprocessor_config.json as transformers 4.x or 5.x write them (see tiny_model.py); first_seed: where
    # the margin search starts.
    "text-f32": dict(bf16=False, tied=False, dialect=4, first_seed=1),
    "text-bf16": dict(bf16=True, tied=True, dialect=5, first_seed=101),
}


def versions() -> dict:
    return {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
            "pillow": PIL.__version__, "numpy": np.__version__, "tokenizers": tokenizers.__version__,
            "safetensors": safetensors.__version__}


def f32_list(tensor) -> list[float]:
    """Shortest decimal that parses back (as float or as double then float) to the same float32."""
    values = np.asarray(tensor, dtype=np.float32).ravel()
    out = [float(str(v)) for v in values]
    if not np.array_equal(np.asarray(out, dtype=np.float32), values):
        raise RuntimeError("float32 values do not round-trip through their decimal form")
    return out


def render_chat(messages: list[dict], add_generation_prompt: bool = True) -> str:
    """SPEC §5, written out: what the engine's ChatFormat must produce (images as one <|image_pad|>)."""
    out = ""
    if messages[0]["role"] != "system":
        out += f"<|im_start|>system\n{DEFAULT_SYSTEM}<|im_end|>\n"
    for message in messages:
        content = message["content"]
        if not isinstance(content, str):
            content = "".join(IMAGE if part["type"] == "image" else part["text"] for part in content)
        out += f"<|im_start|>{message['role']}\n{content}<|im_end|>\n"
    return out + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def visionthink_strings(question: str) -> dict:
    vt = {p.stem: p.read_text(encoding="utf-8") for p in (HERE / "visionthink").glob("*.txt")}
    user = vt["user_template"].replace("{Question}", f"{IMAGE}\n{question}")
    round1 = f"<|im_start|>system\n{vt['system_prompt']}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    reply = f"{TOOL_CALL}<|im_end|>"
    round2 = (f"<|im_start|>user\n<tool_response>\nThe resized image is shown below:\n{IMAGE}\n</tool_response>\n"
              f"{vt['after_resize']}<|im_end|>\n<|im_start|>assistant\n")
    return {"round1_prompt": round1, "round1_reply": reply, "round2_turn": round2}


def expand_image_pads(ids: list[int], image_pad: int, grids: list[list[int]]) -> list[int]:
    out, grid_iter = [], iter(grids)
    for token in ids:
        if token == image_pad:
            t, h, w = next(grid_iter)
            out.extend([image_pad] * (t * h * w // 4))
        else:
            out.append(token)
    if next(grid_iter, None) is not None:
        raise RuntimeError("more images than <|image_pad|> tokens")
    return out


# ---------------------------------------------------------------------------------------------- cases

def text_cases(tokenizer, ids: tiny_model.SpecialIds) -> list[dict]:
    rng = np.random.default_rng(7)
    allowed = [i for i in range(VOCAB_SIZE) if i not in (ids.image_pad, ids.video_pad)]
    raw40 = [int(v) for v in rng.choice(allowed, 40)]
    raw40[5], raw40[23] = 0, VOCAB_SIZE - 1  # first and last embedding rows (the last is padding past the tokenizer)
    cases = [
        {"name": "raw-1", "kind": "raw", "prompt_ids": [int(rng.choice(allowed))]},
        {"name": "raw-17", "kind": "raw", "prompt_ids": [int(v) for v in rng.choice(allowed, 17)]},
        {"name": "raw-40", "kind": "raw", "prompt_ids": raw40},
    ]
    chats = {
        "chat-default-system": [{"role": "user", "content":
                                 "Describe the picture in one sentence, please. 图片里有什么？ I count 3 cats and 12 dogs."}],
        "chat-multi-turn": [{"role": "system", "content": "You are a careful assistant who answers briefly."},
                            {"role": "user", "content": "What is 7 + 8?"},
                            {"role": "assistant", "content": "7 + 8 = 15."},
                            {"role": "user", "content": "And 100 / 4?"}],
    }
    for name, messages in chats.items():
        prompt = render_chat(messages)
        cases.append({"name": name, "kind": "chat", "messages": messages, "prompt": prompt,
                      "prompt_ids": tokenizer.encode(prompt).ids})
    return cases


def vl_cases(tokenizer, ids: tiny_model.SpecialIds, grids: dict) -> list[dict]:
    one = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Describe this image."}]}]
    two = [{"role": "user", "content": [{"type": "image"}, {"type": "image"},
                                        {"type": "text", "text": "What differs between these two pictures?"}]}]
    cases = []
    for name, messages, images in (("image-one", one, ["photo-a"]), ("image-two", two, ["photo-a", "photo-b"])):
        cases.append({"name": name, "kind": "image", "messages": messages, "images": images,
                      "prompt": render_chat(messages)})
    question = "What number is written in the blue square?"
    parts = visionthink_strings(question)
    visionthink = {"name": "visionthink-resize", "kind": "visionthink", "question": question,
                   "images": ["photo-b-half", "photo-b"], "prompt": "".join(parts.values()), "parts": parts}
    cases.append(visionthink)
    for case in cases:
        case["image_grid_thw"] = [grids[n] for n in case["images"]]
        case["prompt_ids"] = expand_image_pads(tokenizer.encode(case["prompt"]).ids, ids.image_pad,
                                               case["image_grid_thw"])
    # Token ranges of the three VisionThink parts, each tokenized alone: they must add up to the whole prompt.
    start, spans, grid_iter = 0, {}, iter(visionthink["image_grid_thw"])
    for part, text in parts.items():
        part_ids = tokenizer.encode(text).ids
        part_grids = [next(grid_iter) for _ in range(part_ids.count(ids.image_pad))]
        part_ids = expand_image_pads(part_ids, ids.image_pad, part_grids)
        if part_ids != visionthink["prompt_ids"][start:start + len(part_ids)]:
            raise RuntimeError(f"VisionThink part {part} tokenizes differently alone")
        spans[part] = [start, start + len(part_ids)]
        start += len(part_ids)
    if start != len(visionthink["prompt_ids"]):
        raise RuntimeError("VisionThink parts do not tokenize to the whole prompt")
    visionthink["spans"] = spans
    return cases


# ---------------------------------------------------------------------------------------------- images

def build_images(out: Path) -> tuple[dict, dict]:
    """Writes fixtures/images/ and returns (name -> pixel_values tensor, name -> grid)."""
    directory = out / "images"
    directory.mkdir(parents=True)
    sources = fixture_images.make_images(directory)
    processor = fixture_images.new_processor()
    entries, pixels, grids = [], {}, {}
    for name, path in sources.items():
        pixel_values, grid = fixture_images.preprocess(processor, path)
        rgb = fixture_images.resized_rgb(path)
        if not np.array_equal(fixture_images.pixel_values_from_rgb(rgb), pixel_values):
            raise RuntimeError(f"{name}: the processor disagrees with SPEC §2 done by hand")
        Image.fromarray(rgb, "RGB").save(directory / f"{name}.resized.png", optimize=True)
        np.save(directory / f"{name}.pixel_values.npy", pixel_values)
        grid_tensor = torch.tensor([grid])
        window_index, cu_window_seqlens = get_vision_window_index(grid_tensor, 2, 112, 14)
        patch_hw = get_vision_position_ids(grid_tensor, 2)
        with Image.open(path) as image:
            mode, width, height = image.mode, image.width, image.height
        entry = {"name": name, "file": path.name, "mode": mode, "width": width, "height": height,
                 "resized_file": f"{name}.resized.png", "resized_height": rgb.shape[0], "resized_width": rgb.shape[1],
                 "image_grid_thw": grid, "merged_tokens": grid[0] * grid[1] * grid[2] // 4,
                 "pixel_values": f"{name}.pixel_values.npy", "pixel_values_shape": list(pixel_values.shape),
                 "patch_positions_hw": patch_hw.T.tolist(),
                 "window_index": window_index.tolist(), "cu_window_seqlens": cu_window_seqlens.tolist()}
        if name == "photo-b-half":
            entry["made_from"] = "photo-b.png: convert('RGB'), resize((w // 2, h // 2), LANCZOS), as VisionThink round 1"
        entries.append(entry)
        pixels[name], grids[name] = torch.from_numpy(pixel_values), grid
    write_json(directory / "expected.json", {
        "generator": versions(), "min_pixels": fixture_images.MIN_PIXELS, "max_pixels": fixture_images.MAX_PIXELS,
        "image_mean": fixture_images.IMAGE_MEAN, "image_std": fixture_images.IMAGE_STD,
        "window_size": 112, "patch_size": 14, "merge_size": 2, "temporal_patch_size": 2, "images": entries})
    return pixels, grids


# ---------------------------------------------------------------------------------------------- checkpoints

def run_cases(model, cases: list[dict], pixels: dict, eos: list[int]) -> list[dict]:
    results = []
    for case in cases:
        images = case.get("images", [])
        pixel_values = torch.cat([pixels[n] for n in images]) if images else None
        r = reference_run.run(model, case["prompt_ids"], pixel_values, case.get("image_grid_thw"))
        eos_steps = [i for i, t in enumerate(r["generated_ids"]) if t in eos]
        result = dict(case)
        result.update(last_logits=f32_list(r["last_logits"]), generated_ids=r["generated_ids"],
                      eos_generated=bool(eos_steps), first_eos_step=eos_steps[0] if eos_steps else None,
                      min_margin=min(r["margins"]), min_margin_step=int(np.argmin(r["margins"])))
        if images:
            result.update(position_ids=r["position_ids"], rope_delta=r["rope_delta"])
        if case["kind"] == "visionthink":
            end = case["spans"]["round1_prompt"][1]
            round1 = reference_run.run(model, case["prompt_ids"][:end], pixels[images[0]],
                                       case["image_grid_thw"][:1], new_tokens=1)
            result["round1_prompt_last_logits"] = f32_list(round1["last_logits"])
        results.append(result)
    return results


def choose_seed(spec: dict, config, cases: list[dict], pixels: dict, eos: list[int]):
    for seed in range(spec["first_seed"], spec["first_seed"] + 50):
        model = tiny_model.make_model(config, seed, spec["bf16"])
        results = run_cases(model, cases, pixels, eos)
        worst = min(r["min_margin"] for r in results)
        print(f"  seed {seed}: min greedy margin {worst:.4g}")
        if worst >= reference_run.MIN_MARGIN:
            return seed, model, results
    raise RuntimeError("no seed in 50 gives greedy margins >= 1e-3")


def vision_outputs(model, pixels: dict, grids: dict) -> dict:
    outputs = {}
    with torch.no_grad():
        for name, pv in pixels.items():
            outputs[name] = model.model.visual(pv, grid_thw=torch.tensor([grids[name]])).pooler_output
        joint = model.model.visual(torch.cat([pixels["photo-a"], pixels["photo-b"]]),
                                   grid_thw=torch.tensor([grids["photo-a"], grids["photo-b"]])).pooler_output
    if not torch.allclose(joint, torch.cat([outputs["photo-a"], outputs["photo-b"]]), rtol=0, atol=1e-5):
        raise RuntimeError("two images encoded together differ from each encoded alone")
    return outputs


def verify_reload(directory: Path, model, ids: tiny_model.SpecialIds, tied: bool, cases: list[dict], pixels: dict,
                  image_dir: Path, tokenizer) -> None:
    """The written files must load back into the same model, tokenizer and preprocessing (guards the rewrites)."""
    loaded = Qwen2_5_VLForConditionalGeneration.from_pretrained(directory, dtype=torch.float32,
                                                                attn_implementation="eager").eval()
    want, got = model.state_dict(), loaded.state_dict()
    if want.keys() != got.keys() or any(not torch.equal(want[k], got[k]) for k in want):
        raise RuntimeError(f"{directory.name}: reloaded weights differ")
    c = loaded.config
    checks = {"mrope_section": (c.text_config.rope_parameters.get("mrope_section"), tiny_model.TEXT["mrope_section"]),
              "rope_theta": (c.text_config.rope_parameters["rope_theta"], tiny_model.TEXT["rope_theta"]),
              "tie_word_embeddings": (c.tie_word_embeddings, tied),
              "image_token_id": (c.image_token_id, ids.image_pad),
              "vision_start_token_id": (c.vision_start_token_id, ids.vision_start),
              "fullatt_block_indexes": (list(c.vision_config.fullatt_block_indexes),
                                        tiny_model.VISION["fullatt_block_indexes"])}
    for key, (value, expected) in checks.items():
        if value != expected:
            raise RuntimeError(f"{directory.name}: reloaded {key} is {value}, expected {expected}")
    for case in cases:
        images = case.get("images", [])
        pv = torch.cat([pixels[n] for n in images]) if images else None
        r = reference_run.run(loaded, case["prompt_ids"], pv, case.get("image_grid_thw"), new_tokens=1)
        if f32_list(r["last_logits"]) != case["last_logits"]:
            raise RuntimeError(f"{directory.name}/{case['name']}: reloaded model gives other logits")
    hf_tokenizer = AutoTokenizer.from_pretrained(directory)
    for case in cases:
        if "messages" in case:
            rendered = hf_tokenizer.apply_chat_template(case["messages"], tokenize=False, add_generation_prompt=True)
            if rendered != case["prompt"]:
                raise RuntimeError(f"{case['name']}: the chat template renders {rendered!r}")
        if "prompt" in case and hf_tokenizer(case["prompt"])["input_ids"] != tokenizer.encode(case["prompt"]).ids:
            raise RuntimeError(f"{case['name']}: transformers' tokenizer gives other ids")
    processor = Qwen2VLImageProcessorPil.from_pretrained(directory)
    if (processor.size["shortest_edge"], processor.size["longest_edge"]) != (fixture_images.MIN_PIXELS,
                                                                             fixture_images.MAX_PIXELS):
        raise RuntimeError(f"{directory.name}: preprocessor_config.json gives size {processor.size}")
    for name, pixel_values in pixels.items():
        if not torch.equal(torch.from_numpy(fixture_images.preprocess(processor, image_dir / f"{name}.png")[0]),
                           pixel_values):
            raise RuntimeError(f"{directory.name}: preprocessor_config.json gives other pixel values for {name}")


def build_checkpoint(out: Path, name: str, spec: dict, tokenizer, ids, pixels: dict, grids: dict) -> None:
    print(f"{name}:")
    config = tiny_model.make_config(VOCAB_SIZE, ids, tied=spec["tied"])
    text, vl = text_cases(tokenizer, ids), vl_cases(tokenizer, ids, grids)
    seed, model, results = choose_seed(spec, config, text + vl, pixels, ids.eos)
    text_results, vl_results = results[:len(text)], results[len(text):]

    directory = out / name
    directory.mkdir(parents=True)
    if spec["dialect"] == 4:
        tiny_model.save_v4_classic(model, ids, directory)
    else:
        tiny_model.save_v5_language_model(model, ids, directory)
    tiny_model.write_preprocessor_config(directory, fixture_images.MIN_PIXELS, fixture_images.MAX_PIXELS,
                                         spec["dialect"])
    tiny_tokenizer.write(tokenizer, directory)
    verify_reload(directory, model, ids, spec["tied"], results, pixels, out / "images", tokenizer)

    common = {
        "generator": versions(),
        "weights_dtype": "bfloat16" if spec["bf16"] else "float32",
        "reference": "transformers float32 (weights upcast), eager attention, greedy argmax without EOS stop",
        "config_dialect": f"transformers-{spec['dialect']}",
        "tensor_names": "model.language_model.*/model.visual.*" if spec["dialect"] == 5 else "classic",
        "tied_embeddings": spec["tied"],
        "seed": seed,
        "vocab_size": VOCAB_SIZE,
        "tokenizer_size": tokenizer.get_vocab_size(),
        "special_ids": ids.as_dict(),
        "new_tokens": reference_run.NEW_TOKENS,
        "min_margin_required": reference_run.MIN_MARGIN,
    }
    write_json(directory / "expected.json", dict(common, fixture=name, checkpoint=".", cases=text_results))

    vl_name = name.replace("text-", "vl-")
    vl_dir = out / vl_name
    vl_dir.mkdir(parents=True)
    vision = []
    for image, embeds in vision_outputs(model, pixels, grids).items():
        file = f"vision-{image}.npy"
        np.save(vl_dir / file, embeds.numpy().astype(np.float32))
        vision.append({"image": image, "image_grid_thw": grids[image], "embeds": file, "shape": list(embeds.shape)})
    write_json(vl_dir / "expected.json", dict(common, fixture=vl_name, checkpoint=f"../{name}", images="../images",
                                              vision=vision, cases=vl_results))
    for r in results:
        print(f"  {r['name']:<20} prompt {len(r['prompt_ids']):>4} tokens, margin {r['min_margin']:.4f}, "
              f"eos {r['eos_generated']}, {len(set(r['generated_ids']))} distinct, generated {r['generated_ids'][:8]}...")


def write_json(path: Path, value: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in ["images", *CHECKPOINTS, *(n.replace("text-", "vl-") for n in CHECKPOINTS)]:
        shutil.rmtree(args.out / name, ignore_errors=True)

    tokenizer = tiny_tokenizer.build()
    ids = tiny_model.SpecialIds(tokenizer)
    if tokenizer.get_vocab_size() > VOCAB_SIZE:
        raise RuntimeError(f"tokenizer has {tokenizer.get_vocab_size()} entries, more than VOCAB_SIZE {VOCAB_SIZE}")
    pixels, grids = build_images(args.out)
    for name, spec in CHECKPOINTS.items():
        build_checkpoint(args.out, name, spec, tokenizer, ids, pixels, grids)

    total = 0
    for path in sorted(p for name in ["images", *CHECKPOINTS, *(n.replace("text-", "vl-") for n in CHECKPOINTS)]
                       for p in (args.out / name).rglob("*") if p.is_file()):
        total += path.stat().st_size
    print(f"fixtures written under {args.out}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
