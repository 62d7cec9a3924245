"""Pillow's own resize time, the baseline for bench/ ResizeBench (same sizes, one thread).

Run: python3 tools/reference/pillow_resize_bench.py
Prints the best of several runs (wall and thread CPU time) for BICUBIC 2048x2048 -> 1024x1024 and
BICUBIC/LANCZOS 4032x3024 -> 2016x1512 on a gradient + noise RGB image.
"""
import time

import numpy as np
import PIL
from PIL import Image


def photo(w: int, h: int) -> Image.Image:
    rng = np.random.default_rng(42)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 220 // w, y * 200 // h, (x + y) * 150 // (w + h) + 50], -1)
    img = img + rng.integers(-12, 13, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def bench(w: int, h: int, flt: Image.Resampling, runs: int) -> None:
    img = photo(w, h)
    wall = cpu = float("inf")
    for _ in range(runs):
        t, c = time.perf_counter(), time.thread_time()
        img.resize((w // 2, h // 2), flt)
        cpu = min(cpu, time.thread_time() - c)
        wall = min(wall, time.perf_counter() - t)
    print(f"Pillow {PIL.__version__} {flt.name:8s} {w}x{h} -> {w // 2}x{h // 2}: "
          f"{wall * 1e3:7.1f} ms wall, {cpu * 1e3:7.1f} ms cpu (best of {runs})")


if __name__ == "__main__":
    bench(2048, 2048, Image.Resampling.BICUBIC, 10)
    bench(4032, 3024, Image.Resampling.BICUBIC, 5)
    bench(4032, 3024, Image.Resampling.LANCZOS, 5)
