"""Golden data for dev.glimpse.image: what Pillow and transformers compute.

Writes java/src/test/resources/image/ (a manifest, fixtures.json, plus small PNG/JPEG/BMP/WebP
inputs and Pillow's outputs as PNG; pixel_values as raw little-endian float32):
  - resize:      Pillow BICUBIC and LANCZOS on odd sizes, 1-pixel sides, extreme ratios (the
                 Pillow >= 12.3 vertical-first rule), upscales, /2 downscales, photo-like and
                 synthetic-edge images;
  - visionthink: the round-1 half-size rule and the min-28 rule, as VisionThink's eval loop
                 does them (a 0-pixel side, which Pillow refuses, becomes 1 as Glimpse does);
  - decode:      files made by Pillow (JPEG baseline/4:4:4/progressive/gray/EXIF-rotated, PNG
                 RGBA/gray/palette/16-bit, BMP, WebP) and the RGB pixels Pillow decodes;
  - smart_resize: transformers' smart_resize on many sizes (round-half-even cases included);
  - process:     pixel_values and image_grid_thw of Qwen2VLImageProcessorPil.

Run from the repository root: python3 tools/reference/pillow_fixtures.py
Needs pillow==12.3.0, numpy, transformers==5.17.0. Fixed seeds: the output is reproducible.
"""
from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import PIL
import transformers
from PIL import Image
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
    Qwen2VLImageProcessorPil,
    smart_resize,
)

ROOT = Path(__file__).resolve().parents[2] / "java/src/test/resources/image"
FILTERS = {"bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS}


def save(img: Image.Image, rel: str, **kw) -> str:
    path = ROOT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kw)
    return rel


def photo(w: int, h: int, seed: int) -> Image.Image:
    """Smooth gradients, soft blobs and sensor-like noise: a stand-in for a photograph."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([20 + 200 * x / w, 30 + 180 * y / h, 50 + 150 * (x + y) / (w + h)], axis=-1)
    for _ in range(4):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.1, 0.4) * max(w, h)
        amp = rng.uniform(-90, 90, 3)
        img += amp * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
    img += rng.normal(0, 10, img.shape)
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")


def edges(w: int, h: int, seed: int) -> Image.Image:
    """Hard 0/255 edges (checkerboard, one-pixel lines, a diagonal) that push the filters into clamping."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.where(((x // 3) + (y // 4)) % 2 == 0, 255, 0)
    img[..., 1] = np.where(x % 7 == 0, 255, np.where(y % 5 == 0, 0, 128))
    img[..., 2] = np.where(x * h > y * w, 255, 0)
    img[rng.integers(0, h, 5), :, :] = rng.integers(0, 256, (5, 1, 3))
    return Image.fromarray(img, "RGB")


def noise(w: int, h: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


# ---------------------------------------------------------------------------------------------
def resize_cases() -> list[dict]:
    inputs = {
        "photo_320x240": photo(320, 240, 1),
        "photo_101x67": photo(101, 67, 2),
        "edges_64x64": edges(64, 64, 3),
        "edges_37x23": edges(37, 23, 4),
        "noise_53x47": noise(53, 47, 5),
        "noise_13x9": noise(13, 9, 6),
        "noise_1x40": noise(1, 40, 7),
        "noise_40x1": noise(40, 1, 8),
        "noise_1x1": noise(1, 1, 9),
        "noise_2x300": noise(2, 300, 10),   # 2 wide, 300 tall: vertical pass first in Pillow 12.3
        "noise_300x2": noise(300, 2, 11),
        "noise_3x301": noise(3, 301, 12),   # just over the 100:1 rule
        "noise_2x200": noise(2, 200, 13),   # exactly 100:1: horizontal first
        "photo_200x150": photo(200, 150, 14),
    }
    targets = [
        ("photo_320x240", 160, 120), ("photo_320x240", 224, 168), ("photo_320x240", 97, 311),
        ("photo_101x67", 50, 33), ("photo_101x67", 56, 28), ("photo_101x67", 101, 34),
        ("photo_101x67", 30, 67), ("photo_101x67", 101, 67), ("photo_101x67", 252, 140),
        ("edges_64x64", 32, 32), ("edges_64x64", 27, 35), ("edges_64x64", 112, 84),
        ("edges_37x23", 19, 41), ("edges_37x23", 28, 28),
        ("noise_53x47", 28, 28), ("noise_53x47", 26, 23), ("noise_13x9", 56, 84),
        ("noise_1x40", 1, 20), ("noise_1x40", 28, 28), ("noise_40x1", 28, 28), ("noise_40x1", 20, 3),
        ("noise_1x1", 5, 3), ("noise_2x300", 28, 28), ("noise_300x2", 28, 28), ("noise_2x300", 1, 150),
        ("noise_3x301", 3, 28), ("noise_3x301", 28, 56), ("noise_2x200", 28, 28),
        ("photo_200x150", 7, 5), ("photo_200x150", 1, 1),
    ]
    cases = []
    for name, img in inputs.items():
        save(img, f"resize/in/{name}.png")
    for name, w, h in targets:
        img = inputs[name]
        for fname, flt in FILTERS.items():
            out = img.resize((w, h), flt)
            rel = save(out, f"resize/out/{name}_to_{w}x{h}_{fname}.png")
            cases.append({"input": f"resize/in/{name}.png", "filter": fname, "width": w, "height": h,
                          "expected": rel})
    return cases


# ---------------------------------------------------------------------------------------------
def min_side_28(img: Image.Image) -> Image.Image:
    """VisionThink's eval loop: a side under 28 scales both sides by max(28/w, 28/h), truncated."""
    w, h = img.size
    if w < 28 or h < 28:
        scale = max(28 / w, 28 / h)
        img = img.resize((int(w * scale), int(h * scale)), Image.Resampling.LANCZOS)
    return img


def half_size(img: Image.Image) -> Image.Image:
    w, h = img.size
    # Pillow refuses a 0-pixel side; Glimpse uses 1 there (VISIONTHINK.md).
    img = img.resize((max(w // 2, 1), max(h // 2, 1)), Image.Resampling.LANCZOS)
    return min_side_28(img)


def visionthink_cases() -> list[dict]:
    inputs = {
        "photo_101x67": photo(101, 67, 20),
        "photo_41x33": photo(41, 33, 21),
        "noise_1x61": noise(1, 61, 22),
        "noise_57x3": noise(57, 3, 23),
        "photo_20x100": photo(20, 100, 24),
        "photo_56x60": photo(56, 60, 25),
    }
    cases = []
    for name, img in inputs.items():
        src = save(img, f"visionthink/in/{name}.png")
        for op, fn in (("half_size", half_size), ("min_side_28", min_side_28)):
            out = fn(img)
            rel = save(out, f"visionthink/out/{name}_{op}.png")
            cases.append({"input": src, "op": op, "width": out.size[0], "height": out.size[1],
                          "expected": rel})
    return cases


# ---------------------------------------------------------------------------------------------
def png_bytes(arr: np.ndarray, bit_depth: int, color_type: int) -> bytes:
    """A minimal PNG writer, for the 16-bit colour PNGs that Pillow cannot write."""
    h, w = arr.shape[:2]
    raw = arr.astype(">u2" if bit_depth == 16 else "u1").tobytes()
    row = len(raw) // h
    data = b"".join(b"\x00" + raw[i * row:(i + 1) * row] for i in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(data))
            + chunk(b"IEND", b""))


def over_white(img: Image.Image) -> Image.Image:
    """What qwen_vl_utils does with RGBA: paste onto white through the alpha channel."""
    background = Image.new("RGB", img.size, (255, 255, 255))
    background.paste(img, mask=img.split()[3])
    return background


def decode_cases() -> list[dict]:
    cases = []

    def add(rel: str, note: str, alpha: str = "drop", expected_img: Image.Image | None = None):
        decoded = expected_img if expected_img is not None else Image.open(ROOT / rel).convert("RGB")
        exp = save(decoded, "decode/expected/" + Path(rel).name.replace(".", "_") + f"_{alpha}.png")
        cases.append({"file": rel, "alpha": alpha, "width": decoded.size[0], "height": decoded.size[1],
                      "expected": exp, "note": note})

    pic = photo(123, 77, 30)
    add(save(pic, "decode/photo_420.jpg", quality=90), "baseline JPEG, 4:2:0")
    add(save(pic, "decode/photo_444.jpg", quality=95, subsampling=0), "baseline JPEG, 4:4:4")
    add(save(pic, "decode/photo_progressive.jpg", quality=85, progressive=True), "progressive JPEG")
    add(save(pic.convert("L"), "decode/gray.jpg", quality=90), "grayscale JPEG")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90; Pillow's open ignores it, so must Glimpse
    add(save(pic, "decode/exif_rotated.jpg", quality=90, exif=exif.tobytes()), "EXIF orientation 6, ignored")

    rgba = np.dstack([np.asarray(photo(45, 31, 31)), np.random.default_rng(32).integers(0, 256, (31, 45))])
    rgba[:8, :8, 3] = 0
    rgba[0, 0] = (200, 0, 0, 0)
    rgba_img = Image.fromarray(rgba.astype(np.uint8), "RGBA")
    rel = save(rgba_img, "decode/rgba.png")
    add(rel, "RGBA: alpha dropped, as convert('RGB')")
    add(rel, "RGBA composited over white, as qwen_vl_utils", "white", over_white(rgba_img))
    add(save(pic.convert("L"), "decode/gray.png"), "8-bit grayscale PNG")
    add(save(rgba_img.convert("LA"), "decode/gray_alpha.png"), "grayscale + alpha PNG")
    add(save(pic.convert("P", palette=Image.Palette.ADAPTIVE, colors=37), "decode/palette.png",
             transparency=3), "palette PNG with a transparent index")
    rng = np.random.default_rng(33)
    rgb16 = rng.integers(0, 65536, (19, 23, 3), dtype=np.uint16)
    (ROOT / "decode/rgb16.png").write_bytes(png_bytes(rgb16, 16, 2))
    add("decode/rgb16.png", "16-bit RGB PNG: Pillow keeps the high byte")
    rgba16 = rng.integers(0, 65536, (19, 23, 4), dtype=np.uint16)
    (ROOT / "decode/rgba16.png").write_bytes(png_bytes(rgba16, 16, 6))
    add("decode/rgba16.png", "16-bit RGBA PNG: high byte, alpha dropped")
    gray16 = rng.integers(0, 1024, (19, 23), dtype=np.uint16)
    gray16[0, :5] = (0, 255, 256, 65535, 128)
    (ROOT / "decode/gray16.png").write_bytes(png_bytes(gray16, 16, 0))
    add("decode/gray16.png", "16-bit gray PNG: Pillow's I;16 -> RGB clamps to 255")
    add(save(pic, "decode/photo.bmp"), "24-bit BMP")
    add(save(pic.convert("L"), "decode/gray.bmp"), "8-bit palette (gray) BMP")
    add(save(pic, "decode/lossless.webp", lossless=True), "lossless WebP")
    add(save(pic, "decode/lossy.webp", quality=80), "lossy WebP")
    add(save(rgba_img, "decode/rgba_lossless.webp", lossless=True), "lossless WebP with alpha: dropped")
    add(save(pic, "decode/extended.webp", quality=80, exif=exif.tobytes()), "extended (VP8X) WebP with EXIF")
    add(save(noise(200, 1, 35), "decode/ratio_200x1.png"), "aspect ratio 200: accepted")
    save(noise(201, 1, 34), "decode/ratio_201x1.png")  # refused (ratio > 200), see the Java test
    return cases


# ---------------------------------------------------------------------------------------------
def smart_resize_cases() -> list[dict]:
    sizes = [(70, 98), (42, 14), (14, 42), (98, 70), (126, 182), (14, 14), (13, 13), (1, 200),
             (200, 1), (3024, 4032), (4032, 3024), (476, 644), (1080, 1920), (28, 28), (27, 29),
             (5, 900), (10000, 60), (56, 56), (700, 1)]
    limits = [(3136, 12845056), (3136, 1003520), (56 * 56, 28 * 28 * 64), (6272, 20000), (100000, 200000)]
    rng = np.random.default_rng(40)
    while len(sizes) < 220:
        h, w = (int(v) for v in rng.integers(1, 5000, 2))
        if max(h, w) / min(h, w) <= 200:
            sizes.append((h, w))
    cases = []
    for i, (h, w) in enumerate(sizes):
        lo, hi = limits[i % len(limits)]
        case = {"height": h, "width": w, "min_pixels": lo, "max_pixels": hi}
        try:
            case["resized"] = list(smart_resize(h, w, factor=28, min_pixels=lo, max_pixels=hi))
        except ValueError as e:
            case["error"] = str(e)
        cases.append(case)
    for h, w in ((1, 201), (201, 1), (2, 403)):
        try:
            smart_resize(h, w, 28, 3136, 12845056)
            raise AssertionError("expected an aspect-ratio error")
        except ValueError as e:
            cases.append({"height": h, "width": w, "min_pixels": 3136, "max_pixels": 12845056, "error": str(e)})
    return cases


def process_cases() -> list[dict]:
    mean = [0.48145466, 0.4578275, 0.40821073]
    std = [0.26862954, 0.26130258, 0.27577711]
    specs = [("photo_100x70", photo(100, 70, 50), 3136, 12845056),   # 70/28 = 2.5 rounds to 2
             ("photo_150x98", photo(150, 98, 51), 3136, 8000),       # max_pixels binds
             ("edges_30x20", edges(30, 20, 52), 6272, 12845056)]     # min_pixels binds
    cases = []
    for name, img, lo, hi in specs:
        src = save(img, f"process/{name}.png")
        # One processor per configuration, with `size` given explicitly: in transformers 5.17,
        # passing min/max_pixels mutates the class-level size dict (SPEC §4).
        proc = Qwen2VLImageProcessorPil(size={"shortest_edge": lo, "longest_edge": hi},
                                        image_mean=mean, image_std=std)
        out = proc(images=[Image.open(ROOT / src)], return_tensors="np")
        pv = np.ascontiguousarray(out["pixel_values"], dtype="<f4")
        rel = f"process/{name}_pixel_values.f32"
        (ROOT / rel).write_bytes(pv.tobytes())
        cases.append({"input": src, "min_pixels": lo, "max_pixels": hi, "image_mean": mean, "image_std": std,
                      "grid_thw": [int(v) for v in out["image_grid_thw"][0]], "rows": pv.shape[0],
                      "cols": pv.shape[1], "pixel_values": rel})
    return cases


def main() -> None:
    ROOT.mkdir(parents=True, exist_ok=True)
    manifest = {
        "versions": {"pillow": PIL.__version__, "numpy": np.__version__,
                     "transformers": transformers.__version__},
        "resize": resize_cases(),
        "visionthink": visionthink_cases(),
        "decode": decode_cases(),
        "smart_resize": smart_resize_cases(),
        "process": process_cases(),
    }
    (ROOT / "fixtures.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in ROOT.rglob("*") if p.is_file())
    print(f"wrote {ROOT} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
