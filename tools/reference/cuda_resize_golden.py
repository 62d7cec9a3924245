"""Pillow resize goldens for the CUDA resize kernels' shim test (CudaResizeShimTest).

Writes java/src/test/resources/dev/glimpse/backend/cuda/resize-golden.bin: a sequence of cases, each
six little-endian int32 (filter 0 = BICUBIC / 1 = LANCZOS, in_w, in_h, out_w, out_h, channels = 3)
followed by the RGB input bytes and Pillow's output bytes. Run: python3 tools/reference/cuda_resize_golden.py
"""
import struct
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

OUT = Path(__file__).resolve().parents[2] / "java/src/test/resources/dev/glimpse/backend/cuda/resize-golden.bin"
CASES = [  # (filter, in_w, in_h, out_w, out_h): shrink, enlarge, one axis only, very tall (vertical pass first)
    (0, 23, 17, 11, 29),
    (1, 23, 17, 40, 9),
    (0, 37, 41, 37, 13),
    (1, 64, 48, 28, 28),
    (0, 3, 310, 28, 28),
    (1, 2, 300, 28, 28),
]


def main():
    rng = np.random.default_rng(20251124)
    blob = bytearray()
    for filt, in_w, in_h, out_w, out_h in CASES:
        pixels = rng.integers(0, 256, size=(in_h, in_w, 3), dtype=np.uint8)
        resample = Image.Resampling.BICUBIC if filt == 0 else Image.Resampling.LANCZOS
        out = np.asarray(Image.fromarray(pixels, "RGB").resize((out_w, out_h), resample))
        blob += struct.pack("<6i", filt, in_w, in_h, out_w, out_h, 3) + pixels.tobytes() + out.tobytes()
    OUT.write_bytes(bytes(blob))
    print(f"wrote {OUT} ({len(blob)} bytes) with Pillow {PIL.__version__}")


if __name__ == "__main__":
    main()
