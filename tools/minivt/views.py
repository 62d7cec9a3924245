"""The images each round sees, as VisionThink makes them (VISIONTHINK.md), and Qwen's preprocessing
(transformers' Qwen2VLImageProcessor, PIL path, without torchvision)."""
import numpy as np
import torch
from PIL import Image
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

# 224x224 stays 224x224 (16x16 patches, 64 visual tokens); its half view 112x112 gets 16.
MIN_PIXELS = 3136
MAX_PIXELS = 224 * 224
MERGE = 2


def min_side_28(image: Image.Image) -> Image.Image:
    """If a side is under 28, both sides are scaled up by max(28/w, 28/h) (int truncation), LANCZOS."""
    w, h = image.size
    if w >= 28 and h >= 28:
        return image
    scale = max(28 / w, 28 / h)
    return image.resize((int(w * scale), int(h * scale)), Image.LANCZOS)


def half_view(image: Image.Image) -> Image.Image:
    """Round 1: (w // 2, h // 2) with LANCZOS (a 0 side becomes 1), then the min-28 rule."""
    w, h = image.size
    return min_side_28(image.resize((max(1, w // 2), max(1, h // 2)), Image.LANCZOS))


def full_view(image: Image.Image) -> Image.Image:
    """Round 2 and --policy high: the original, through the min-28 rule only."""
    return min_side_28(image)


class Processor:
    def __init__(self):
        # An explicit size dict: passing min/max_pixels would change the class-level default (SPEC §4).
        self.processor = Qwen2VLImageProcessorPil(size={"shortest_edge": MIN_PIXELS, "longest_edge": MAX_PIXELS})

    def __call__(self, image: Image.Image) -> tuple[torch.Tensor, list[int], int]:
        """pixel_values (patches x 1176), grid (t, h, w), merged visual tokens."""
        out = self.processor(images=[image.convert("RGB")], return_tensors="np")
        grid = [int(v) for v in out["image_grid_thw"][0]]
        return torch.from_numpy(out["pixel_values"].astype(np.float32)), grid, grid[0] * grid[1] * grid[2] // MERGE ** 2
