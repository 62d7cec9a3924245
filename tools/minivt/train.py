#!/usr/bin/env python3
"""Trains minivt (SFT, loss on assistant tokens only) and writes the checkpoint to models/minivt/.

    python3 tools/minivt/train.py            # resumes from work/minivt-train/state.pt if present

Every step draws a fresh batch of one transcript kind from make_data's generator (seeded by
(SEED, step), so a resumed run sees exactly the batches a fresh run would):
  vt_coarse    VisionThink round 1 on the half view, answered at once;
  vt_fine      round 1 on the half view ending in the resize call, then the tool-response turn with
               the original image and the answer (one sequence: both rounds, both images);
  high_coarse, high_fine   Glimpse's plain full-resolution prompt, answered, then 0-5 more questions
               about the same picture (more answers per encoded image).
Two auxiliary losses train the vision tower directly: linear heads read each merged token's layout
cell (content, shape, colour, the number's digits) and the shape count (FACT_HEADS), and the label's
token (plus CROPS label pictures) the three code digits. A second process makes the batches.
"""
import argparse
import collections
import multiprocessing
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import checkpoint
import fast_training
import make_data
import transcripts
import views
from decode import spec_positions
from fixture_images import pixel_values_from_rgb

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / "work" / "minivt-train" / "state.pt"
OUT = ROOT / "models" / "minivt"

SEED = 20250801
KINDS = ("vt_coarse", "vt_fine", "high_coarse", "high_fine", "half_coarse")
MIX = (0.25, 0.20, 0.20, 0.20, 0.15)
BATCH = 8
STEPS = 6000
LR, WARMUP, DECAY, MIN_LR_FRACTION = 2e-3, 100, 0.25, 0.05
SAVE_EVERY = 50
READER_WEIGHT = 1.0
FACTS_WEIGHT = 1.0
CROPS = 48  # extra 28x28 label crops per step for the reader (one merged token each)
MAX_EXTRA_TURNS = 5  # high transcripts ask up to this many more questions about the same picture

# What each merged vision token shows, predicted from it by linear heads (not saved): the content of
# the layout cell it lies in and the number of shapes in the picture. Every head has a class for
# tokens without that fact ("none"), so a fact's features live on its own tokens only: the text model
# can then read an answer from the mean of the image tokens before it has learnt to find the one
# token that holds it. The joint shape-and-colour class does that for the colour and shape questions.
# Dense, local targets teach the vision tower what the questions ask about far sooner than the
# answers alone do.
FACT_HEADS = [("content", 4), ("shape", len(make_data.SHAPES) + 1), ("colour", len(make_data.COLOURS) + 1),
              ("shape and colour", len(make_data.SHAPES) * len(make_data.COLOURS) + 1),
              ("tens", 12), ("units", 11), ("count", 4)] + [(f"code {i}", 11) for i in range(make_data.CODE_DIGITS)]
CONTENTS = ("empty", "shape", "number", "label")


def fact_targets(facts: dict, grid: list[int], scale: int) -> list[list[int]]:
    """FACT_HEADS targets for every merged token (raster order) of a view scaled down by `scale`.
    The last class of a head is "none"; the label's own token in a half view has no code target (-100)."""
    colours, shapes = list(make_data.COLOURS), make_data.SHAPES
    token_pixels = views.MERGE * make_data.PATCH * scale
    lx, ly = facts["label"]
    label_token = (ly // token_pixels, lx // token_pixels)
    rows = []
    for ty in range(grid[1] // views.MERGE):
        for tx in range(grid[2] // views.MERGE):
            cell = facts["cells"].get((ty * token_pixels // make_data.CELL, tx * token_pixels // make_data.CELL))
            content = CONTENTS.index(cell[0]) if cell else 0
            shape = shapes.index(cell[1]) if content == 1 else len(shapes)
            colour = colours.index(cell[2]) if content == 1 else len(colours)
            both = shape * len(colours) + colour if content == 1 else len(shapes) * len(colours)
            tens, units = 11, 10
            if content == 2:
                tens, units = (int(cell[1][0]) if len(cell[1]) == 2 else 10), int(cell[1][-1])
            code = [10] * make_data.CODE_DIGITS
            if (ty, tx) == label_token:
                code = [int(d) for d in facts["code"]] if scale == 1 else [-100] * make_data.CODE_DIGITS
            rows.append([content, shape, colour, both, tens, units, len(facts["shapes"]) - 1] + code)
    return rows


def all_questions_and_answers() -> tuple[list[str], list[str]]:
    """Every question template and answer the generator can produce (the tokenizer's corpus)."""
    questions = ["How many large shapes are there?", "What is the large number?", make_data.fine_question({"code": ""})[0]]
    questions += [f"Which shape is {c}?" for c in make_data.COLOURS] + [f"What colour is the {s}?" for s in make_data.SHAPES]
    answers = [str(n) for n in range(100)] + [f"{n:03d}" for n in range(1000)] + list(make_data.COLOURS) + list(make_data.SHAPES)
    return questions, answers


class Encoder:
    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.processor = views.Processor()

    def ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text).ids

    def sample(self, kind: str, rng: np.random.Generator) -> dict:
        picture, facts, question, answer = make_data.make_item(rng, "fine" if kind.endswith("fine") else "coarse")
        image = Image.fromarray(picture, "RGB")
        replies = transcripts.replies("fine" if kind.endswith("fine") else "coarse", answer)
        parts, pixels, grids = [], [], []  # parts: (ids, trained?, answer ids or None)

        label = []  # (image index in this sample, the label's merged token in that image, the code's digits)
        facts_per_image = []  # FACT_HEADS targets per image

        def add_image(view, full: bool):
            pv, grid, pads = self.processor(view)
            facts_per_image.append(fact_targets(facts, grid, 1 if full else 2))
            if full:
                lx, ly = facts["label"]
                per_row = grid[2] // views.MERGE
                label.append((len(grids), (ly // 28) * per_row + lx // 28, [int(c) for c in facts["code"]]))
            pixels.append(pv)
            grids.append(grid)
            return [pads]

        if kind.startswith("high") or kind == "half_coarse":
            full = kind != "half_coarse"
            pads = add_image(views.full_view(image) if full else views.half_view(image), full)
            parts += [(self.ids(transcripts.expand(transcripts.high_prompt(question), pads)), False, None),
                      (self.ids(replies["high"] + transcripts.END), True, answer)]
            for _ in range(int(rng.integers(0, MAX_EXTRA_TURNS + 1))):  # more answers from one picture
                more = "fine" if full and rng.random() < make_data.FINE_FRACTION else "coarse"
                q, a = make_data.fine_question(facts) if more == "fine" else make_data.coarse_question(rng, facts)
                parts += [(self.ids(transcripts.next_turn(q)), False, None),
                          (self.ids(transcripts.replies(more, a)["high"] + transcripts.END), True, a)]
        else:
            pads = add_image(views.half_view(image), False)
            parts += [(self.ids(transcripts.expand(transcripts.round1_prompt(question), pads)), False, None),
                      (self.ids(replies["round1"] + transcripts.END), True, None if kind == "vt_fine" else answer)]
            if kind == "vt_fine":
                pads = add_image(views.full_view(image), True)
                parts += [(self.ids(transcripts.expand(transcripts.round2_turn(), pads)), False, None),
                          (self.ids(replies["round2"] + transcripts.END), True, answer)]
        ids, labels, answer_mask = [], [], []
        for part, trained, answer_text in parts:
            mask = [False] * len(part)
            if answer_text is not None:  # mark the answer's tokens (for the log's answer accuracy)
                inner = self.ids(answer_text)
                start = next(i for i in range(len(part)) if part[i:i + len(inner)] == inner and
                             self.tokenizer.decode(part[:i]).endswith("<answer>"))
                mask[start:start + len(inner)] = [True] * len(inner)
            ids += part
            labels += part if trained else [-100] * len(part)
            answer_mask += mask
        return {"ids": ids, "labels": labels, "answer_mask": answer_mask, "pixels": pixels, "grids": grids,
                "label": label, "facts": facts_per_image}


def collate(samples: list[dict], config, pad_id: int) -> dict:
    length = max(len(s["ids"]) for s in samples)
    n = len(samples)
    ids = torch.full((n, length), pad_id, dtype=torch.long)
    labels = torch.full((n, length), -100, dtype=torch.long)
    answer_mask = torch.zeros((n, length), dtype=torch.bool)
    mask = torch.zeros((n, length), dtype=torch.long)
    positions = torch.zeros((3, n, length), dtype=torch.long)
    for i, s in enumerate(samples):
        k = len(s["ids"])
        ids[i, :k] = torch.tensor(s["ids"])
        labels[i, :k] = torch.tensor(s["labels"])
        answer_mask[i, :k] = torch.tensor(s["answer_mask"])
        mask[i, :k] = 1
        axes, _ = spec_positions(s["ids"], config.image_token_id, s["grids"], config.vision_config.spatial_merge_size)
        positions[:, i, :k] = torch.tensor(axes)
        positions[:, i, k:] = positions[:, i, k - 1:k] + torch.arange(1, length - k + 1)
    pixels = torch.cat([p for s in samples for p in s["pixels"]])
    grids = torch.tensor([g for s in samples for g in s["grids"]], dtype=torch.long)
    # The label's row among all merged image tokens of the batch (images in order, each in raster order).
    offsets = torch.cumsum(torch.tensor([0] + [t * h * w // 4 for t, h, w in grids.tolist()]), 0)
    label_rows, label_digits, image = [], [], 0
    for s in samples:
        for index, token, digits in s["label"]:
            label_rows.append(int(offsets[image + index]) + token)
            label_digits.append(digits)
        image += len(s["grids"])
    # FACT_HEADS targets of every merged token of the batch, images in order.
    facts = torch.tensor([row for s in samples for image in s["facts"] for row in image], dtype=torch.long)
    return {"input_ids": ids, "labels": labels, "answer_mask": answer_mask, "attention_mask": mask,
            "position_ids": positions, "pixel_values": pixels, "image_grid_thw": grids,
            "fact_targets": facts,
            "label_rows": torch.tensor(label_rows, dtype=torch.long),
            "label_digits": torch.tensor(label_digits, dtype=torch.long).view(-1, make_data.CODE_DIGITS)}


def label_crops(rng: np.random.Generator, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """28x28 pictures (one merged vision token) holding a label in one of their four patches, as
    make_data draws it, on a plain background: cheap extra examples for the reader."""
    pixels, digits = [], []
    for _ in range(count):
        canvas = np.empty((28, 28, 3), dtype=np.uint8)
        canvas[:] = rng.integers(200, 250, size=3)
        px, py = rng.integers(0, 2, size=2)
        code = make_data.draw_label(rng, canvas, 14 * int(px), 14 * int(py))
        pixels.append(torch.from_numpy(pixel_values_from_rgb(canvas)))
        digits.append([int(c) for c in code])
    return torch.cat(pixels), torch.tensor(digits, dtype=torch.long)


def batch_for(step: int, encoder: Encoder, config, pad_id: int) -> tuple[str, dict]:
    rng = np.random.default_rng([SEED, step])
    kind = KINDS[int(rng.choice(len(KINDS), p=MIX))]
    batch = collate([encoder.sample(kind, rng) for _ in range(BATCH)], config, pad_id)
    batch["crop_pixels"], batch["crop_digits"] = label_crops(rng, CROPS)
    return kind, batch


_WORKER = {}  # what the data process needs, set before it is forked


def _worker_batch(step: int) -> tuple[str, dict]:
    return batch_for(step, *_WORKER["args"])


def prefetched(steps: range, encoder: Encoder, config, pad_id: int, ahead: int = 3):
    """batch_for(step) for each step, made by a second process a few steps ahead (the data is about a
    sixth of a step's time; the batches are the same as made in line)."""
    _WORKER["args"] = (encoder, config, pad_id)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        pending = collections.deque()
        for step in steps:
            while len(pending) < ahead and step + len(pending) < steps.stop:
                pending.append(pool.apply_async(_worker_batch, (step + len(pending),)))
            yield step, pending.popleft().get()


def learning_rate(step: int) -> float:
    """Warm-up, constant, then a linear decay over the last DECAY of the steps."""
    if step < WARMUP:
        return LR * (step + 1) / WARMUP
    decay_start = STEPS * (1 - DECAY)
    if step < decay_start:
        return LR
    return LR * (1 - (1 - MIN_LR_FRACTION) * (step - decay_start) / (STEPS - decay_start))


def shared_prefix(ids: torch.Tensor, image_token_id: int) -> int:
    """How many leading tokens every row of the batch has in common, up to the first image."""
    same = (ids == ids[:1]).all(dim=0) & (ids[0] != image_token_id)
    return int(same.long().cumprod(0).sum())


def loss_of(model, reader: torch.nn.Module, batch: dict) -> tuple[torch.Tensor, float, float]:
    """Mean cross-entropy over the trained tokens plus the label reader's loss; and the argmax accuracy on
    the answers' tokens and the reader's digit accuracy.

    The reader (a linear map, not part of the checkpoint) reads the three code digits from the merged
    vision token that holds the label, in each full-resolution image and in CROPS extra 28x28 label
    pictures: a direct signal that teaches the vision tower to read the small print far sooner than
    the answers alone do.
    VisionThink transcripts all start with the same ~370 tokens (system prompt and user template up to
    the image): those are run once, at batch size 1, and their KV cache is shared by the batch (the
    same logits as running every row in full)."""
    ids, positions, labels = batch["input_ids"], batch["position_ids"], batch["labels"]
    crops = len(batch["crop_digits"])
    grids = torch.cat([batch["image_grid_thw"], torch.tensor([[1, 2, 2]] * crops, dtype=torch.long)])
    features = torch.cat(model.model.get_image_features(torch.cat([batch["pixel_values"], batch["crop_pixels"]]),
                                                        grids).pooler_output)
    features, crop_features = features[:-crops], features[-crops:]
    embeds = model.get_input_embeddings()(ids)
    embeds = embeds.masked_scatter((ids == model.config.image_token_id).unsqueeze(-1), features)
    language_model = model.model.language_model
    prefix = shared_prefix(ids, model.config.image_token_id)
    if prefix < 64:
        prefix = 0
        hidden = language_model(inputs_embeds=embeds, attention_mask=batch["attention_mask"], position_ids=positions,
                                use_cache=False).last_hidden_state
        logits = model.lm_head(hidden[:, :-1])
    else:
        rows = ids.shape[0]
        head = language_model(inputs_embeds=embeds[:1, :prefix], position_ids=positions[:, :1, :prefix],
                              use_cache=True)
        cache = head.past_key_values
        for layer in cache.layers:
            layer.keys = layer.keys.expand(rows, -1, -1, -1)
            layer.values = layer.values.expand(rows, -1, -1, -1)
        rest = language_model(inputs_embeds=embeds[:, prefix:], attention_mask=batch["attention_mask"],
                              position_ids=positions[:, :, prefix:], past_key_values=cache, use_cache=True)
        # No trained token lies in the prefix; only its last position predicts one.
        hidden = torch.cat([head.last_hidden_state[:, -1:].expand(rows, -1, -1), rest.last_hidden_state[:, :-1]], 1)
        logits = model.lm_head(hidden)
    targets = labels[:, max(prefix, 1):]
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)
    # The reader on the labels of the full-resolution images and on the crops.
    read = reader["label"](torch.cat([features[batch["label_rows"]], crop_features])).view(-1, 10)
    digits = torch.cat([batch["label_digits"], batch["crop_digits"]]).flatten()
    loss = loss + READER_WEIGHT * torch.nn.functional.cross_entropy(read, digits)
    # What every merged token shows: one cross-entropy per head, averaged over the heads.
    predicted, first = reader["facts"](features), 0
    for head, (_, classes) in enumerate(FACT_HEADS):
        wanted = batch["fact_targets"][:, head]
        if (wanted >= 0).any():  # no digits to read when no view in the batch shows the number
            loss = loss + FACTS_WEIGHT / len(FACT_HEADS) * torch.nn.functional.cross_entropy(
                predicted[:, first:first + classes], wanted, ignore_index=-100)
        first += classes
    read_accuracy = float((read.argmax(-1) == digits).float().mean())
    mask = batch["answer_mask"][:, max(prefix, 1):]
    accuracy = float((logits.argmax(-1)[mask] == targets[mask]).float().mean())
    return loss, accuracy, read_accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS, help="stop after this step (the schedule stays STEPS long)")
    parser.add_argument("--fresh", action="store_true", help="ignore a saved state")
    parser.add_argument("--out", type=Path, default=OUT, help="where the checkpoint goes (written after --steps)")
    parser.add_argument("--state", type=Path, default=STATE, help="the resumable training state")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    fast_training.install()

    questions, answers = all_questions_and_answers()
    tokenizer = transcripts.train_tokenizer(questions, answers)
    model = checkpoint.new_model(tokenizer, SEED)
    config = model.config
    encoder = Encoder(tokenizer)
    pad_id = tokenizer.token_to_id("<|endoftext|>")
    hidden = config.text_config.hidden_size
    reader = torch.nn.ModuleDict({"label": torch.nn.Linear(hidden, 10 * make_data.CODE_DIGITS),
                                  "facts": torch.nn.Linear(hidden, sum(c for _, c in FACT_HEADS))})
    parameters = list(model.named_parameters()) + list(reader.named_parameters())
    decay = [p for n, p in parameters if p.ndim >= 2]
    no_decay = [p for n, p in parameters if p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=LR, betas=(0.9, 0.98), eps=1e-8)
    start = 0
    if args.state.exists() and not args.fresh:
        state = torch.load(args.state, weights_only=True)
        model.load_state_dict(state["model"])
        reader.load_state_dict(state["reader"])
        optimizer.load_state_dict(state["optimizer"])
        start = state["step"]
        print(f"resumed at step {start}", flush=True)
    params = sum(p.numel() for p in model.parameters())
    print(f"parameters {params} ({params * 4 / 1e6:.1f} MB float32), vocab {config.text_config.vocab_size}", flush=True)

    # The patched vision tower must compute what transformers' does (a transformers update could break it).
    probe = batch_for(start, encoder, config, pad_id)[1]
    with torch.no_grad():
        difference = fast_training.check(model, probe["pixel_values"], probe["image_grid_thw"])
    if difference > 1e-5:
        raise RuntimeError(f"fast_training differs from transformers' vision tower by {difference:.2e} (relative)")
    print(f"fast_training matches transformers' vision tower (relative difference {difference:.1e})", flush=True)
    model.train()
    began, recent, answers, reads = time.time(), {k: [] for k in KINDS}, {k: [] for k in KINDS}, []
    for step, (kind, batch) in prefetched(range(start, args.steps), encoder, config, pad_id):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step)
        loss, accuracy, read_accuracy = loss_of(model, reader, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in parameters], 1.0)
        optimizer.step()
        recent[kind].append(loss.item())
        answers[kind].append(accuracy)
        reads.append(read_accuracy)
        if (step + 1) % 10 == 0:  # per kind: loss and answer-token accuracy over its last 10 batches; reader accuracy
            losses = " ".join(f"{k} {np.mean(recent[k][-10:]):.3f}/{np.mean(answers[k][-10:]):.2f}"
                              for k in KINDS if recent[k])
            print(f"step {step + 1} lr {learning_rate(step):.2e} {losses} reader {np.mean(reads[-10:]):.2f} "
                  f"({time.time() - began:.0f} s, {time.process_time():.0f} s CPU)", flush=True)
        if (step + 1) % SAVE_EVERY == 0 or step + 1 == args.steps:
            args.state.parent.mkdir(parents=True, exist_ok=True)
            torch.save({"model": model.state_dict(), "reader": reader.state_dict(), "optimizer": optimizer.state_dict(), "step": step + 1},
                       args.state.with_suffix(".tmp"))
            args.state.with_suffix(".tmp").replace(args.state)
    model.eval()
    checkpoint.save(model, tokenizer, args.out)
    print(f"wrote {args.out} after {time.time() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()
