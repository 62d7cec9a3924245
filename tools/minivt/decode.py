"""Greedy decoding of minivt under Glimpse's three policies, one conversation on one KV cache.

Positions are explicit (SPEC §4's rule, tools/reference/reference_run.spec_positions, over the whole
conversation so far), so no transformers generate() state is involved. As in Glimpse, a round's last
sampled token is not fed to the cache; round 2's prefill starts with it.
"""
import json
import re
import sys
from pathlib import Path

import torch
from PIL import Image

import transcripts
import views

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "reference"))
from reference_run import spec_positions  # noqa: E402

TOOL_CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
OBJECT = re.compile(r"\{.*?\}\}")


def resize_requested(text: str) -> bool:
    """VISIONTHINK.md: exactly one JSON object in the tool calls, with arguments.action "resize"."""
    objects = []
    for call in TOOL_CALL.findall(text):
        for match in OBJECT.findall(call):
            try:
                objects.append(json.loads(match))
            except ValueError:
                return False
    return len(objects) == 1 and isinstance(objects[0], dict) and \
        isinstance(objects[0].get("arguments"), dict) and objects[0]["arguments"].get("action") == "resize"


def extract_answer(text: str) -> str:
    start = text.rfind("<answer>")
    if start < 0:
        return text.strip()
    start += len("<answer>")
    end = text.find("</answer>", start)
    return (text[start:] if end < 0 else text[start:end]).strip()


def normalize(text: str) -> str:
    text = text.strip().lower()
    while text and text[-1] in ".,;:!?。，！？":
        text = text[:-1]
    return text.strip()


class Conversation:
    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer
        self.ids: list[int] = []          # everything in the cache, in order
        self.grids: list[list[int]] = []  # grids of the images in self.ids
        self.cache = None
        self.pending: int | None = None   # the last sampled token, not yet fed
        self.eos = {tokenizer.token_to_id("<|im_end|>"), tokenizer.token_to_id("<|endoftext|>")}

    @torch.no_grad()
    def _feed(self, new_ids: list[int], image_embeds: torch.Tensor | None, new_grids: list[list[int]]) -> torch.Tensor:
        config = self.model.config
        start = len(self.ids)
        self.ids += new_ids
        self.grids += new_grids
        axes, delta = spec_positions(self.ids, config.image_token_id, self.grids, config.vision_config.spatial_merge_size)
        positions = torch.tensor(axes, dtype=torch.long)[:, start:].unsqueeze(1)
        ids = torch.tensor([new_ids], dtype=torch.long)
        embeds = self.model.get_input_embeddings()(ids)
        if image_embeds is not None:
            mask = ids == config.image_token_id
            embeds[mask] = image_embeds
        out = self.model.model.language_model(inputs_embeds=embeds, position_ids=positions,
                                              past_key_values=self.cache, use_cache=True)
        self.cache = out.past_key_values
        return self.model.lm_head(out.last_hidden_state[0, -1])

    @torch.no_grad()
    def round(self, prompt_ids: list[int], pixel_values, grids: list[list[int]], max_new: int) -> dict:
        """Prefills [pending token] + prompt_ids (with the images' embeddings) and decodes greedily."""
        image_embeds = None
        if grids:
            grid = torch.tensor(grids, dtype=torch.long)
            image_embeds = torch.cat(self.model.model.get_image_features(pixel_values, grid).pooler_output, dim=0)
        head = [self.pending] if self.pending is not None else []
        logits = self._feed(head + prompt_ids, image_embeds, grids)
        generated, margins, hit_budget = [], [], True
        for step in range(max_new):
            top = torch.topk(logits, 2).values
            margins.append(float(top[0] - top[1]))
            token = int(torch.argmax(logits))
            generated.append(token)
            if token in self.eos:
                hit_budget = False
                break
            if step < max_new - 1:
                logits = self._feed([token], None, [])
        if hit_budget:  # VISIONTHINK.md: the round's last token becomes <|im_end|>
            generated[-1] = self.tokenizer.token_to_id("<|im_end|>")
        self.pending = generated[-1]
        return {"prompt_ids": prompt_ids, "generated_ids": generated, "hit_budget": hit_budget, "min_margin": min(margins),
                "text": self.tokenizer.decode(generated, skip_special_tokens=True), "image_grid_thw": grids}


def visual(processor: views.Processor, image: Image.Image):
    pixel_values, grid, pads = processor(image)
    return pixel_values, [grid], [pads]


def ask(model, tokenizer, processor, image: Image.Image, question: str, policy: str, max_new: int = 96) -> dict:
    """One question under one policy (low is adaptive's round 1 alone)."""
    conversation = Conversation(model, tokenizer)
    image = image.convert("RGB")
    if policy == "high":
        pixels, grids, pads = visual(processor, views.full_view(image))
        prompt = tokenizer.encode(transcripts.expand(transcripts.high_prompt(question), pads)).ids
        rounds = [conversation.round(prompt, pixels, grids, max_new)]
        resize = False
    else:
        pixels, grids, pads = visual(processor, views.half_view(image))
        prompt = tokenizer.encode(transcripts.expand(transcripts.round1_prompt(question), pads)).ids
        rounds = [conversation.round(prompt, pixels, grids, max_new)]
        resize = resize_requested(rounds[0]["text"])
        if policy == "adaptive" and resize:
            pixels2, grids2, pads2 = visual(processor, views.full_view(image))
            turn = tokenizer.encode(transcripts.expand(transcripts.round2_turn(), pads2)).ids
            rounds.append(conversation.round(turn, pixels2, grids2, max_new))
    text = "".join(r["text"] for r in rounds)
    visual_tokens = sum(len([t for t in r["prompt_ids"] if t == model.config.image_token_id]) for r in rounds)
    return {"policy": policy, "rounds": rounds, "resize_requested": resize, "text": text,
            "answer": extract_answer(text), "visual_tokens": visual_tokens}
