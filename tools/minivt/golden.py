#!/usr/bin/env python3
"""Golden transcripts of minivt for the Java engine's test: data/minivt/golden.json.

    python3 tools/minivt/golden.py

The first 20 items of the committed split (data/minivt/seed1) whose greedy steps all have a top-1/top-2
logit margin >= 1e-2 (the others are listed in skipped_items), each under `adaptive` (round 2 when the
model asks for the full image) and `high`, decoded greedily in float32 with eager attention and explicit
M-RoPE positions (decode.py). Round-2 prompt ids are the new turn only and WITHOUT round 1's last
generated token (<|im_end|>): as in Glimpse, that token is not yet in the KV cache when round 1 ends
and is prefilled first in round 2, so round 2 feeds [round-1 last token] + round2_prompt_ids.

Every transcript is also checked on transformers' own path: the whole conversation (both rounds, both
images) is run as one forward pass with input_ids + mm_token_type_ids and positions left to the model,
and every generated token must be its argmax there.
"""
import argparse
import json
import platform
from pathlib import Path

import numpy as np
import PIL
import safetensors
import tokenizers
import torch
import transformers
from PIL import Image

import checkpoint
import decode
import views

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "minivt"
DATA = ROOT / "data" / "minivt" / "seed1" / "data.jsonl"
OUT = ROOT / "data" / "minivt" / "golden.json"
ITEMS = 20
MAX_NEW = 96
MIN_MARGIN = 1e-2  # items with a closer greedy step are skipped: a 1e-4 logit error must not flip a token


@torch.no_grad()
def check_on_transformers_path(model, processor, image, result) -> None:
    ids, generated_at, pixels, grids = [], [], [], []
    views_by_round = [views.full_view(image)] if result["policy"] == "high" else \
        [views.half_view(image), views.full_view(image)]
    for r, view in zip(result["rounds"], views_by_round):
        pv, grid, _ = processor(view)
        pixels.append(pv)
        grids.append(grid)
        ids += r["prompt_ids"]
        generated_at += list(range(len(ids) - 1, len(ids) - 1 + len(r["generated_ids"])))
        ids += r["generated_ids"]
    input_ids = torch.tensor([ids])
    model.model.rope_deltas = None
    logits = model(input_ids=input_ids, mm_token_type_ids=(input_ids == model.config.image_token_id).int(),
                   pixel_values=torch.cat(pixels), image_grid_thw=torch.tensor(grids)).logits[0]
    expected = [t for r in result["rounds"] for t in r["generated_ids"]]
    got = torch.argmax(logits[generated_at], dim=-1).tolist()
    # A round cut by its budget has its last token replaced by <|im_end|>: that one is not an argmax.
    budget_cut = [len(r["generated_ids"]) for r in result["rounds"] if r["hit_budget"]]
    if budget_cut or got != expected:
        raise RuntimeError(f"transformers' own forward disagrees with the greedy transcript (budget cut: {budget_cut})")


def entry(index: int, item: dict, result: dict) -> dict:
    rounds = result["rounds"]
    second = rounds[1] if len(rounds) > 1 else None
    return {
        "index": index, "image": "seed1/" + item["image"], "question": item["question"], "expected": item["answer"],
        "kind": item["kind"], "policy": result["policy"], "resize_requested": result["resize_requested"],
        "round1_prompt_ids": rounds[0]["prompt_ids"], "round1_generated_ids": rounds[0]["generated_ids"],
        "round1_image_grid_thw": rounds[0]["image_grid_thw"], "round1_text": rounds[0]["text"],
        "round2_prompt_ids": second["prompt_ids"] if second else None,
        "round2_generated_ids": second["generated_ids"] if second else None,
        "round2_image_grid_thw": second["image_grid_thw"] if second else None,
        "round2_text": second["text"] if second else None,
        "answer": result["answer"], "correct": decode.normalize(result["answer"]) == decode.normalize(item["answer"]),
        "min_margin": min(r["min_margin"] for r in rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model, tokenizer = checkpoint.load(args.model, attention="eager")
    processor = views.Processor()
    items = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    entries, skipped = [], []
    for index, item in enumerate(items):
        if len(entries) == 2 * ITEMS:
            break
        with Image.open(DATA.parent / item["image"]) as f:
            image = f.convert("RGB")
        pair = []
        for policy in ("adaptive", "high"):
            result = decode.ask(model, tokenizer, processor, image, item["question"], policy, MAX_NEW)
            check_on_transformers_path(model, processor, image, result)
            pair.append(entry(index, item, result))
        if min(e["min_margin"] for e in pair) < MIN_MARGIN:
            skipped.append(index)
            continue
        entries += pair
    resized = sum(e["resize_requested"] for e in entries if e["policy"] == "adaptive")
    if not 0 < resized < ITEMS:
        raise RuntimeError(f"{resized} of {ITEMS} items resize: the golden set needs both cases")
    def tid(t):
        return tokenizer.token_to_id(t)
    golden = {
        "generator": {"python": platform.python_version(), "torch": torch.__version__,
                      "transformers": transformers.__version__, "pillow": PIL.__version__, "numpy": np.__version__,
                      "tokenizers": tokenizers.__version__, "safetensors": safetensors.__version__},
        "model": "../../models/minivt",
        "images": "images are relative to this file's folder",
        "reference": "transformers float32, eager attention, greedy (argmax), explicit M-RoPE positions, "
                     f"at most {MAX_NEW} new tokens per round, stop at <|im_end|> or <|endoftext|>",
        "round2_prompt_ids_note": "the new turn only, without round 1's last generated token (<|im_end|>): that "
                                  "token is not in the KV cache after round 1 and is prefilled first in round 2",
        "special_ids": {"im_start": tid("<|im_start|>"), "im_end": tid("<|im_end|>"), "endoftext": tid("<|endoftext|>"),
                        "vision_start": tid("<|vision_start|>"), "vision_end": tid("<|vision_end|>"),
                        "image_pad": tid("<|image_pad|>"), "tool_call": tid("<tool_call>"),
                        "tool_call_end": tid("</tool_call>")},
        "max_new_tokens": MAX_NEW,
        "min_margin": min(e["min_margin"] for e in entries),
        "skipped_items": skipped,
        "selection": f"the first {ITEMS} items of the split whose greedy steps all have a top-1/top-2 logit margin "
                     f">= {MIN_MARGIN} under both policies (skipped_items lists the others before them)",
        "items": entries,
    }
    # One entry per line keeps the file small and diffable.
    text = json.dumps({k: v for k, v in golden.items() if k != "items"}, indent=1)[:-2]
    text += ',\n "items": [\n' + ",\n".join("  " + json.dumps(e) for e in entries) + "\n ]\n}\n"
    json.loads(text)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {len(entries)} transcripts, {resized} of {ITEMS} items resize, "
          f"smallest top-1/top-2 logit margin {golden['min_margin']:.4f}")


if __name__ == "__main__":
    main()
