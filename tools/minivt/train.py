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
A looking loss teaches the text model where each answer is: at the position that predicts the
answer, one query head per layer in LOOK_LAYERS attends to the image tokens of the answer's region.
Two auxiliary losses train the vision tower directly: linear heads read each merged token's layout
cell (content, shape, colour, the large digit) and the shape count (FACT_HEADS), and the label's
token (plus CROPS label pictures) the label's digit. A second process makes the batches.
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
MIX = (0.30, 0.15, 0.15, 0.20, 0.20)
BATCH = 8
STEPS = 5000
LR, WARMUP, DECAY, MIN_LR_FRACTION = 2e-3, 100, 0.25, 0.05
SAVE_EVERY = 50
READER_WEIGHT = 1.0
FACTS_WEIGHT = 1.0
LOOK_WEIGHT = 1.0
LOOK_LAYERS = (1, 2)  # query head 0 of these text layers learns where each answer is (loss_of)
LOOK_FLOOR = 1e-30  # the attention mass is clamped to this before the log (only to keep it finite)
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
              ("shape and colour", len(make_data.SHAPES) * len(make_data.COLOURS) + 1), ("large digit", 11), ("count", 4)]
CONTENTS = ("empty", "shape", "number", "label")


def fact_targets(facts: dict, grid: list[int], scale: int) -> list[list[int]]:
    """FACT_HEADS targets for every merged token (raster order) of a view scaled down by `scale`. The
    last class of a head is "none". At full size the label fills one of its cell's four tokens; the
    other three show background."""
    colours, shapes = list(make_data.COLOURS), make_data.SHAPES
    token_pixels = views.MERGE * make_data.PATCH * scale
    rows = []
    for ty in range(grid[1] // views.MERGE):
        for tx in range(grid[2] // views.MERGE):
            cell = facts["cells"].get((ty * token_pixels // make_data.CELL, tx * token_pixels // make_data.CELL))
            if cell and cell[0] == "label" and scale == 1 and (tx * token_pixels, ty * token_pixels) != facts["label"]:
                cell = None
            content = CONTENTS.index(cell[0]) if cell else 0
            shape = shapes.index(cell[1]) if content == 1 else len(shapes)
            colour = colours.index(cell[2]) if content == 1 else len(colours)
            both = shape * len(colours) + colour if content == 1 else len(shapes) * len(colours)
            digit = int(cell[1]) if content == 2 else 10
            rows.append([content, shape, colour, both, digit, len(facts["shapes"]) - 1])
    return rows


def region_tokens(regions: list[tuple], grid: list[int], scale: int) -> list[int]:
    """The merged tokens (raster indices) of a view scaled down by `scale` that show picture regions:
    per region, those whose centre lies in it, or else the one holding the region's centre."""
    token_pixels = views.MERGE * make_data.PATCH * scale
    per_row = grid[2] // views.MERGE
    tokens = []
    for x0, y0, x1, y1 in regions:
        inside = [ty * per_row + tx for ty in range(grid[1] // views.MERGE) for tx in range(per_row)
                  if x0 <= (tx + 0.5) * token_pixels < x1 and y0 <= (ty + 0.5) * token_pixels < y1]
        tokens += inside or [int((y0 + y1) / 2 // token_pixels) * per_row + int((x0 + x1) / 2 // token_pixels)]
    return tokens


def all_questions_and_answers() -> tuple[list[str], list[str]]:
    """Every question template and answer the generator can produce (the tokenizer's corpus)."""
    questions = ["How many large shapes are there?", "What is the large number?", make_data.FINE_QUESTION]
    questions += [f"Which shape is {c}?" for c in make_data.COLOURS] + [f"What colour is the {s}?" for s in make_data.SHAPES]
    answers = [str(n) for n in range(10)] + list(make_data.COLOURS) + list(make_data.SHAPES)
    return questions, answers


class Encoder:
    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.processor = views.Processor()
        self.image_token = tokenizer.token_to_id("<|image_pad|>")

    def ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text).ids

    def sample(self, kind: str, rng: np.random.Generator) -> dict:
        fine = kind.endswith("fine")
        picture, facts, question, answer, regions = make_data.make_item(rng, "fine" if fine else "coarse")
        image = Image.fromarray(picture, "RGB")
        replies = transcripts.replies("fine" if fine else "coarse", answer)
        # parts: (ids, trained?, the answer and its region's tokens in the last image so far, or None)
        parts, pixels, grids, scales = [], [], [], []
        label = []  # (image index in this sample, the label's merged token in that image, its digit)
        facts_per_image = []  # FACT_HEADS targets per image

        def add_image(view, full: bool):
            pv, grid, pads = self.processor(view)
            facts_per_image.append(fact_targets(facts, grid, 1 if full else 2))
            if full:
                label.append((len(grids), region_tokens(make_data.fine_question(facts)[2], grid, 1)[0], int(facts["small"])))
            pixels.append(pv)
            grids.append(grid)
            scales.append(1 if full else 2)
            return [pads]

        def answered(text: str, where: list[tuple]):
            return text, region_tokens(where, grids[-1], scales[-1])

        if kind.startswith("high") or kind == "half_coarse":
            full = kind != "half_coarse"
            pads = add_image(views.full_view(image) if full else views.half_view(image), full)
            parts += [(self.ids(transcripts.expand(transcripts.high_prompt(question), pads)), False, None),
                      (self.ids(replies["high"] + transcripts.END), True, answered(answer, regions))]
            for _ in range(int(rng.integers(0, MAX_EXTRA_TURNS + 1))):  # more answers from one picture
                more = "fine" if full and rng.random() < make_data.FINE_FRACTION else "coarse"
                q, a, where = make_data.fine_question(facts) if more == "fine" else make_data.coarse_question(rng, facts)
                parts += [(self.ids(transcripts.next_turn(q)), False, None),
                          (self.ids(transcripts.replies(more, a)["high"] + transcripts.END), True, answered(a, where))]
        else:
            pads = add_image(views.half_view(image), False)
            parts += [(self.ids(transcripts.expand(transcripts.round1_prompt(question), pads)), False, None),
                      (self.ids(replies["round1"] + transcripts.END), True, None if kind == "vt_fine" else answered(answer, regions))]
            if kind == "vt_fine":
                pads = add_image(views.full_view(image), True)
                parts += [(self.ids(transcripts.expand(transcripts.round2_turn(), pads)), False, None),
                          (self.ids(replies["round2"] + transcripts.END), True, answered(answer, regions))]
        ids, labels, answer_mask, looks = [], [], [], []
        image_starts = []  # where each image's pads begin
        for part, trained, answer_info in parts:
            mask = [False] * len(part)
            if answer_info is not None:  # mark the answer's tokens (for the log's answer accuracy)
                answer_text, tokens = answer_info
                inner = self.ids(answer_text)
                start = next(i for i in range(len(part)) if part[i:i + len(inner)] == inner and
                             self.tokenizer.decode(part[:i]).endswith("<answer>"))
                mask[start:start + len(inner)] = [True] * len(inner)
                if tokens:  # the position that predicts the answer's first token looks at its region
                    looks.append((len(ids) + start - 1, [image_starts[-1] + t for t in tokens]))
            image_starts += [len(ids) + i for i in range(len(part)) if part[i] == self.image_token and
                             (i == 0 or part[i - 1] != self.image_token)]
            ids += part
            labels += part if trained else [-100] * len(part)
            answer_mask += mask
        return {"ids": ids, "labels": labels, "answer_mask": answer_mask, "pixels": pixels, "grids": grids,
                "label": label, "facts": facts_per_image, "looks": looks}


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
        for index, token, digit in s["label"]:
            label_rows.append(int(offsets[image + index]) + token)
            label_digits.append(digit)
        image += len(s["grids"])
    # Where each answer's first token is predicted (row, position) and the key positions it should look at.
    look_rows = torch.tensor([i for i, s in enumerate(samples) for _ in s["looks"]], dtype=torch.long)
    look_positions = torch.tensor([q for s in samples for q, _ in s["looks"]], dtype=torch.long)
    look_keys = torch.zeros((len(look_rows), length), dtype=torch.bool)
    for j, keys in enumerate(k for s in samples for _, k in s["looks"]):
        look_keys[j, keys] = True
    # FACT_HEADS targets of every merged token of the batch, images in order.
    facts = torch.tensor([row for s in samples for image in s["facts"] for row in image], dtype=torch.long)
    return {"input_ids": ids, "labels": labels, "answer_mask": answer_mask, "attention_mask": mask,
            "position_ids": positions, "pixel_values": pixels, "image_grid_thw": grids,
            "fact_targets": facts,
            "label_rows": torch.tensor(label_rows, dtype=torch.long),
            "label_digits": torch.tensor(label_digits, dtype=torch.long),
            "look_rows": look_rows, "look_positions": look_positions, "look_keys": look_keys}


def label_crops(rng: np.random.Generator, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """28x28 label pictures (one merged vision token each), as make_data draws the label: cheap extra
    examples for the reader."""
    pixels, digits = [], []
    for _ in range(count):
        canvas = np.empty((make_data.LABEL, make_data.LABEL, 3), dtype=np.uint8)
        digits.append(int(make_data.draw_label(rng, canvas, 0, 0)))
        pixels.append(torch.from_numpy(pixel_values_from_rgb(canvas)))
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


def loss_of(model, reader: torch.nn.Module, batch: dict) -> tuple[torch.Tensor, dict]:
    """The training loss: mean cross-entropy over the trained tokens, plus the looking, reader and fact
    losses (below); and for the log the argmax accuracy on the answers' tokens, the reader's accuracy
    and the attention mass the supervised heads put on the answers' regions.

    Looking: at the position that predicts an answer's first token, query head 0 of each layer in
    LOOK_LAYERS should attend to the image tokens showing the region the answer is read from (the
    cell of the shape or the large digit, the label's token); the loss is -log of the attention mass
    on those tokens. It teaches the 3-layer text model where to look far sooner than the answers
    alone (without it, it never learnt to copy the large number from its token in 6,000 steps).
    Reader: a linear map (not part of the checkpoint) reads the label's digit from its merged token in
    every full-resolution image and in CROPS extra label pictures.
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
        out = language_model(inputs_embeds=embeds, attention_mask=batch["attention_mask"], position_ids=positions,
                             use_cache=False, output_attentions=True)
        logits = model.lm_head(out.last_hidden_state[:, :-1])
    else:
        rows = ids.shape[0]
        head = language_model(inputs_embeds=embeds[:1, :prefix], position_ids=positions[:, :1, :prefix],
                              use_cache=True)
        cache = head.past_key_values
        for layer in cache.layers:
            layer.keys = layer.keys.expand(rows, -1, -1, -1)
            layer.values = layer.values.expand(rows, -1, -1, -1)
        out = language_model(inputs_embeds=embeds[:, prefix:], attention_mask=batch["attention_mask"],
                             position_ids=positions[:, :, prefix:], past_key_values=cache, use_cache=True,
                             output_attentions=True)
        # No trained token lies in the prefix; only its last position predicts one.
        hidden = torch.cat([head.last_hidden_state[:, -1:].expand(rows, -1, -1), out.last_hidden_state[:, :-1]], 1)
        logits = model.lm_head(hidden)
    targets = labels[:, max(prefix, 1):]
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)
    # Looking: attention rows are query positions from `prefix` on, columns all key positions.
    looked = []
    if len(batch["look_rows"]):
        for layer in LOOK_LAYERS:
            weights = out.attentions[layer][batch["look_rows"], 0, batch["look_positions"] - prefix]
            looked.append((weights * batch["look_keys"]).sum(-1))
        mass = torch.stack(looked)
        # A higher floor cuts the gradient of the answers that look furthest away (with 1e-6, some
        # half-view answers stayed there for ~1,000 steps).
        loss = loss + LOOK_WEIGHT * -torch.log(mass.clamp_min(LOOK_FLOOR)).mean()
    # The reader on the labels of the full-resolution images and on the crops.
    read = reader["label"](torch.cat([features[batch["label_rows"]], crop_features]))
    digits = torch.cat([batch["label_digits"], batch["crop_digits"]])
    loss = loss + READER_WEIGHT * torch.nn.functional.cross_entropy(read, digits)
    # What every merged token shows: one cross-entropy per head, averaged over the heads.
    predicted, first = reader["facts"](features), 0
    for head, (_, classes) in enumerate(FACT_HEADS):
        loss = loss + FACTS_WEIGHT / len(FACT_HEADS) * torch.nn.functional.cross_entropy(
            predicted[:, first:first + classes], batch["fact_targets"][:, head])
        first += classes
    mask = batch["answer_mask"][:, max(prefix, 1):]
    return loss, {"answer": float((logits.argmax(-1)[mask] == targets[mask]).float().mean()),
                  "read": float((read.argmax(-1) == digits).float().mean()),
                  "look": float(torch.stack(looked).detach().mean()) if looked else float("nan")}


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
    model = checkpoint.new_model(tokenizer, SEED, attention="eager")  # eager: the looking loss reads attention weights
    config = model.config
    encoder = Encoder(tokenizer)
    pad_id = tokenizer.token_to_id("<|endoftext|>")
    hidden = config.text_config.hidden_size
    reader = torch.nn.ModuleDict({"label": torch.nn.Linear(hidden, 10),
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
    began, recent, answers, reads, looks = time.time(), {k: [] for k in KINDS}, {k: [] for k in KINDS}, [], []
    for step, (kind, batch) in prefetched(range(start, args.steps), encoder, config, pad_id):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step)
        loss, measured = loss_of(model, reader, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in parameters], 1.0)
        optimizer.step()
        recent[kind].append(loss.item())
        answers[kind].append(measured["answer"])
        reads.append(measured["read"])
        looks.append(measured["look"])
        if (step + 1) % 10 == 0:  # per kind: loss and answer-token accuracy over its last 10 batches; reader, looking
            losses = " ".join(f"{k} {np.mean(recent[k][-10:]):.3f}/{np.mean(answers[k][-10:]):.2f}"
                              for k in KINDS if recent[k])
            print(f"step {step + 1} lr {learning_rate(step):.2e} {losses} reader {np.mean(reads[-10:]):.2f} "
                  f"look {np.nanmean(looks[-10:]):.2f} "
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
