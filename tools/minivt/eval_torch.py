#!/usr/bin/env python3
"""Evaluates minivt in PyTorch under Glimpse's three policies and checks issue 8's targets.

    python3 tools/minivt/eval_torch.py --data data/minivt/seed1/data.jsonl [--model models/minivt] [--json OUT]

Greedy decoding, --max-new-tokens per round. low is adaptive's round 1 alone (the same prompt and
greedy tokens), so each item runs adaptive and high. Scoring as DESIGN.md: the text between the last
<answer> and </answer> (whole text if absent), lower-cased, trimmed of whitespace and final
punctuation, equal to the answer.
"""
import argparse
import json
import time
from pathlib import Path

import torch
from PIL import Image

import checkpoint
import decode
import views

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ("low", "high", "adaptive")


def summarize(policy: str, rows: list[dict]) -> dict:
    kinds = sorted({r["kind"] for r in rows})
    result = {"policy": policy, "items": len(rows), "accuracy": sum(r["correct"] for r in rows) / len(rows),
              "accuracy_by_kind": {}, "resize_ratio": sum(r["resize"] for r in rows) / len(rows),
              "resize_ratio_by_kind": {}, "visual_tokens": sum(r["visual_tokens"] for r in rows)}
    for kind in kinds:
        sub = [r for r in rows if r["kind"] == kind]
        result["accuracy_by_kind"][kind] = sum(r["correct"] for r in sub) / len(sub)
        result["resize_ratio_by_kind"][kind] = sum(r["resize"] for r in sub) / len(sub)
    return result


def targets(by_policy: dict) -> list[tuple[str, bool]]:
    low, high, adaptive = by_policy["low"], by_policy["high"], by_policy["adaptive"]
    return [
        (f"high accuracy {high['accuracy']:.3f} >= 0.90", high["accuracy"] >= 0.90),
        (f"adaptive {adaptive['accuracy']:.3f} within 0.02 of high", adaptive["accuracy"] >= high["accuracy"] - 0.02),
        (f"low fine {low['accuracy_by_kind']['fine']:.3f} at least 0.30 below high fine "
         f"{high['accuracy_by_kind']['fine']:.3f}",
         low["accuracy_by_kind"]["fine"] <= high["accuracy_by_kind"]["fine"] - 0.30),
        (f"resize ratio coarse {adaptive['resize_ratio_by_kind']['coarse']:.3f} <= 0.15",
         adaptive["resize_ratio_by_kind"]["coarse"] <= 0.15),
        (f"resize ratio fine {adaptive['resize_ratio_by_kind']['fine']:.3f} >= 0.85",
         adaptive["resize_ratio_by_kind"]["fine"] >= 0.85),
        (f"adaptive visual tokens {adaptive['visual_tokens']} <= 0.65 x high's {high['visual_tokens']}",
         adaptive["visual_tokens"] <= 0.65 * high["visual_tokens"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "minivt")
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--limit", type=int, default=0, help="only the first N items")
    parser.add_argument("--json", type=Path, help="write the summary and per-item results here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model, tokenizer = checkpoint.load(args.model, attention="sdpa")
    processor = views.Processor()
    items = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.limit:
        items = items[:args.limit]
    rows = {p: [] for p in POLICIES}
    began = time.time()
    for i, item in enumerate(items):
        with Image.open(args.data.parent / item["image"]) as f:
            image = f.convert("RGB")
        adaptive = decode.ask(model, tokenizer, processor, image, item["question"], "adaptive", args.max_new_tokens)
        high = decode.ask(model, tokenizer, processor, image, item["question"], "high", args.max_new_tokens)
        first = adaptive["rounds"][0]
        low = {"text": first["text"], "answer": decode.extract_answer(first["text"]),
               "resize_requested": adaptive["resize_requested"],
               "visual_tokens": sum(t == model.config.image_token_id for t in first["prompt_ids"])}
        for policy, result in (("low", low), ("high", high), ("adaptive", adaptive)):
            rows[policy].append({
                "image": item["image"], "question": item["question"], "answer": item["answer"], "kind": item["kind"],
                "text": result["text"], "predicted": result["answer"],
                "correct": decode.normalize(result["answer"]) == decode.normalize(item["answer"]),
                "resize": result["resize_requested"], "visual_tokens": result["visual_tokens"]})
        if (i + 1) % 25 == 0:
            print(f"{i + 1}/{len(items)} items ({time.time() - began:.0f} s)", flush=True)
    summary = {p: summarize(p, rows[p]) for p in POLICIES}
    print(f"{'policy':9} {'acc':>6} {'coarse':>7} {'fine':>6} {'resize c/f':>11} {'visual tokens':>14}")
    for p in POLICIES:
        s = summary[p]
        print(f"{p:9} {s['accuracy']:6.3f} {s['accuracy_by_kind'].get('coarse', 0):7.3f} "
              f"{s['accuracy_by_kind'].get('fine', 0):6.3f} {s['resize_ratio_by_kind'].get('coarse', 0):5.2f}/"
              f"{s['resize_ratio_by_kind'].get('fine', 0):4.2f} {s['visual_tokens']:14d}")
    checks = targets(summary)
    for text, ok in checks:
        print(("PASS " if ok else "FAIL ") + text)
    if args.json:
        args.json.write_text(json.dumps({"data": str(args.data), "model": str(args.model),
                                         "max_new_tokens": args.max_new_tokens, "policies": list(summary.values()),
                                         "targets": [{"target": t, "pass": ok} for t, ok in checks],
                                         "items": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
