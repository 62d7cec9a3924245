"""Small synthetic test images and what Qwen2VLImageProcessor (PIL path) makes of them.

The sizes are chosen for the vision tower's edge cases at min_pixels 3136, max_pixels 25088:
  photo-a  130x150 RGBA (alpha dropped, not composited) -> 140x140, merged grid 5x5:
           padded to 8x8, four windows of 16, 4, 4 and 1 merged tokens.
  photo-b  294x196 RGB, above max_pixels -> 168x112, patch grid 8x12 (SPEC §3's example):
           merged 4x6, a whole empty row of windows is dropped, windows of 16 and 8.
  photo-b-half  photo-b halved with LANCZOS as VisionThink's round 1 does (147x98) ->
           140x112 (98/28 = 3.5 rounds half to even, to 4), windows of 16 and 4.
"""
from pathlib import Path

import numpy as np
from PIL import Image
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil, smart_resize

MIN_PIXELS = 3136
MAX_PIXELS = 25088
IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073]
IMAGE_STD = [0.26862954, 0.26130258, 0.27577711]
PATCH, MERGE, TEMPORAL = 14, 2, 2


def _picture(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Smooth gradients, a few flat shapes and one square of noise: small as PNG, still exercises the filters."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    rgb = np.stack([255 * x / width, 255 * y / height, 128 + 100 * np.sin((x + 2 * y) / 9.0)], axis=-1)
    for _ in range(4):
        x0, y0 = rng.integers(0, width - 8), rng.integers(0, height - 8)
        w, h = rng.integers(6, width // 2), rng.integers(6, height // 2)
        rgb[y0:y0 + h, x0:x0 + w] = rng.integers(0, 256, size=3)
    x0, y0 = rng.integers(0, width - 24), rng.integers(0, height - 24)
    rgb[y0:y0 + 24, x0:x0 + 24] = rng.integers(0, 256, size=(24, 24, 3))  # one noisy square: sharp taps
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def make_images(directory: Path) -> dict[str, Path]:
    """Writes the source PNGs (fixed seed) and returns name -> path, in the order the fixtures use them."""
    rng = np.random.default_rng(20250717)
    a = _picture(rng, 130, 150)
    y, x = np.mgrid[0:150, 0:130]
    alpha = ((x * 2 + y) % 256).astype(np.uint8)  # includes 0: RGB under alpha 0 must survive as is
    Image.fromarray(np.dstack([a, alpha]), "RGBA").save(directory / "photo-a.png", optimize=True)
    Image.fromarray(_picture(rng, 294, 196), "RGB").save(directory / "photo-b.png", optimize=True)
    with Image.open(directory / "photo-b.png") as b:
        half = b.convert("RGB").resize((b.width // 2, b.height // 2), Image.LANCZOS)
    half.save(directory / "photo-b-half.png", optimize=True)
    return {name: directory / f"{name}.png" for name in ("photo-a", "photo-b", "photo-b-half")}


def new_processor() -> Qwen2VLImageProcessorPil:
    # An explicit size dict: passing min/max_pixels mutates the class-level default (SPEC §4 pitfall).
    return Qwen2VLImageProcessorPil(size={"shortest_edge": MIN_PIXELS, "longest_edge": MAX_PIXELS})


def preprocess(processor: Qwen2VLImageProcessorPil, path: Path) -> tuple[np.ndarray, list[int]]:
    with Image.open(path) as image:
        out = processor(images=[image.copy()], return_tensors="np")
    return out["pixel_values"].astype(np.float32, copy=False), [int(v) for v in out["image_grid_thw"][0]]


def resized_rgb(path: Path) -> np.ndarray:
    """SPEC §2 steps 1-3 done by hand with Pillow: RGB, smart_resize, BICUBIC."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        h, w = smart_resize(rgb.height, rgb.width, factor=PATCH * MERGE, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
        return np.asarray(rgb.resize((w, h), Image.BICUBIC))


def pixel_values_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """SPEC §2 steps 4-5 by hand, to check the processor against the written-out rule."""
    x = (rgb.astype(np.float64) / 255).astype(np.float32)
    x = (x - np.float32(IMAGE_MEAN)) / np.float32(IMAGE_STD)
    h, w, _ = x.shape
    gh, gw = h // PATCH, w // PATCH
    x = x.transpose(2, 0, 1).reshape(3, gh // MERGE, MERGE, PATCH, gw // MERGE, MERGE, PATCH)
    x = x.transpose(1, 4, 2, 5, 0, 3, 6)  # (bh, bw, mh, mw, C, py, px)
    x = np.repeat(x[:, :, :, :, :, None], TEMPORAL, axis=5)  # (..., C, frame, py, px)
    return x.reshape(gh * gw, 3 * TEMPORAL * PATCH * PATCH)
