"""What transformers computes for one prompt: last-position logits, greedy tokens, M-RoPE positions.

Greedy decoding is a plain loop over the KV cache with explicit 3-axis positions (prefill positions
from get_rope_index, decode positions cache index + rope_delta), so no generate() state is involved.
Every run is then checked against transformers' own paths:
  - the prompt is run again the way a user of transformers would (input_ids + mm_token_type_ids,
    rope_deltas reset, positions left to the model): its last logits must equal the loop's;
  - prompt + generated tokens are run again as one fresh prefill: each generated token must be the
    argmax there too (this guards the decode positions and the cache);
  - the positions must equal an independent implementation of SPEC §4's rule.
"""
import torch

NEW_TOKENS = 32
MIN_MARGIN = 1e-3


def spec_positions(ids: list[int], image_pad: int, grids: list[list[int]], merge: int) -> tuple[list[list[int]], int]:
    """SPEC §4: text tokens get the running index on all three axes; an image's H'xW' tokens get (s, s+i, s+j);
    text after it resumes at max + 1."""
    axes = [[], [], []]
    next_pos, i, grid_iter = 0, 0, iter(grids)
    while i < len(ids):
        if ids[i] != image_pad:
            for axis in axes:
                axis.append(next_pos)
            next_pos += 1
            i += 1
            continue
        t, h, w = next(grid_iter)
        rows, cols = h // merge, w // merge
        for r in range(rows):
            for c in range(cols):
                axes[0].append(next_pos)
                axes[1].append(next_pos + r)
                axes[2].append(next_pos + c)
        i += t * rows * cols
        next_pos += max(rows, cols)
    return axes, next_pos - len(ids)


def _margin(logits: torch.Tensor) -> float:
    top = torch.topk(logits, 2).values
    return float(top[0] - top[1])


@torch.no_grad()
def _forward(model, **kwargs):
    model.model.rope_deltas = None  # never let one call's cached deltas leak into the next
    return model(**kwargs, return_dict=True)


@torch.no_grad()
def run(model, prompt_ids: list[int], pixel_values: torch.Tensor | None = None,
        grid_thw: list[list[int]] | None = None, new_tokens: int = NEW_TOKENS) -> dict:
    config = model.config
    ids = torch.tensor([prompt_ids], dtype=torch.long)
    grid = torch.tensor(grid_thw, dtype=torch.long) if grid_thw else None
    mm_token_type_ids = (ids == config.image_token_id).int()
    n = len(prompt_ids)

    if grid is not None:
        positions, deltas = model.model.get_rope_index(ids, mm_token_type_ids, image_grid_thw=grid)
        rope_delta = int(deltas[0, 0])
    else:
        positions, rope_delta = torch.arange(n).view(1, 1, n).expand(3, 1, n), 0
    expected_axes, expected_delta = spec_positions(prompt_ids, config.image_token_id, grid_thw or [],
                                                   config.vision_config.spatial_merge_size)
    if positions[:, 0].tolist() != expected_axes or rope_delta != expected_delta:
        raise RuntimeError("get_rope_index disagrees with SPEC §4's position rule")

    image_kwargs = dict(pixel_values=pixel_values, image_grid_thw=grid) if grid is not None else {}
    out = _forward(model, input_ids=ids, position_ids=positions, use_cache=True, **image_kwargs)
    last_logits = out.logits[0, -1].clone()

    # transformers' own position path must give the same logits (SPEC §4 "Reference pitfall").
    own = _forward(model, input_ids=ids, mm_token_type_ids=mm_token_type_ids, **image_kwargs).logits[0, -1]
    if not torch.allclose(own, last_logits, rtol=0, atol=1e-5):
        raise RuntimeError(f"model-computed positions change the logits by {float((own - last_logits).abs().max())}")

    cache, logits, generated, margins = out.past_key_values, last_logits, [], []
    for step in range(new_tokens):
        margins.append(_margin(logits))
        token = int(torch.argmax(logits))
        generated.append(token)
        if step == new_tokens - 1:
            break
        pos = torch.full((3, 1, 1), n + step + rope_delta, dtype=torch.long)
        step_out = _forward(model, input_ids=torch.tensor([[token]]), position_ids=pos,
                            past_key_values=cache, use_cache=True)
        cache, logits = step_out.past_key_values, step_out.logits[0, -1]

    _check_fresh_prefill(model, prompt_ids, generated, positions, rope_delta, pixel_values, grid)
    return {
        "last_logits": last_logits,
        "generated_ids": generated,
        "margins": margins,
        "position_ids": positions[:, 0].tolist(),
        "rope_delta": rope_delta,
    }


@torch.no_grad()
def _check_fresh_prefill(model, prompt_ids, generated, positions, rope_delta, pixel_values, grid) -> None:
    """Prompt + generated tokens in one prefill. Built from embeddings so that a generated <|image_pad|>
    (a random model may emit one) stays a text token, as it is during decoding."""
    ids = torch.tensor([prompt_ids + generated[:-1]], dtype=torch.long)
    n = len(prompt_ids)
    embeds = model.get_input_embeddings()(ids)
    if grid is not None:
        image_embeds = torch.cat(model.model.get_image_features(pixel_values, grid).pooler_output, dim=0)
        mask = torch.zeros_like(ids, dtype=torch.bool)
        mask[0, :n] = ids[0, :n] == model.config.image_token_id
        embeds[mask] = image_embeds
    tail = torch.arange(n, ids.shape[1]) + rope_delta
    all_positions = torch.cat([positions, tail.view(1, 1, -1).expand(3, 1, -1)], dim=2)
    logits = _forward(model, inputs_embeds=embeds, position_ids=all_positions).logits[0, n - 1:]
    if torch.argmax(logits, dim=-1).tolist() != generated:
        raise RuntimeError("a fresh prefill of prompt + generated tokens does not reproduce the greedy tokens")
