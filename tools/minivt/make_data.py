#!/usr/bin/env python3
"""The minivt benchmark: synthetic 224x224 pictures with coarse questions (a half-size view answers
them) and fine ones (they need the full resolution).

    python3 tools/minivt/make_data.py --seed 1 --count 300 --out data/minivt/seed1

Every picture has the same parts, so every seed gives an equally hard split:
  - 1 to 4 large flat shapes (circle, square, triangle; 40-52 px) in distinct colours of six;
  - a large digit (a 5x7 bitmap font scaled x4: 20x28 px);
  - a small label: a 28x28 grey box (one merged vision token, snapped to the token grid) holding a
    digit of a 3x5 font printed in a 1-pixel checkerboard halftone whose two inks average to the grey.
Coarse questions (70%): the colour of a shape, the shape of a colour, how many shapes, the large
digit. Fine questions (30%): the digit in the label. Halved (LANCZOS, as VisionThink's round 1 does)
the checkerboard averages to the box's grey and the digit is gone; at full size its pixels reach the
vision tower as drawn (224 and its half 112 are multiples of 28, so Qwen's smart_resize keeps the
sizes). check_unreadable.py measures it. Every answer is one word or one digit.

Writes DIR/data.jsonl ({"image", "question", "answer", "kind"} per line, image relative to DIR) and
DIR/images/NNNN.png. Deterministic from the seed (numpy PCG64 + Pillow PNG encoding).
"""
import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 224
PATCH = 14
CELL = 56  # the layout grid: 4x4 cells
GRID = SIZE // CELL
MARGIN = 2  # an object keeps this far from its cell's edges
SHAPE_MIN, SHAPE_MAX = 40, 52
NUMBER_JITTER = 2  # the large number is centred in its cell, give or take this many pixels
FINE_FRACTION = 0.3

COLOURS = {
    "red": (215, 35, 35), "green": (35, 150, 55), "blue": (35, 70, 215),
    "yellow": (235, 195, 25), "purple": (135, 55, 170), "orange": (245, 125, 25),
}
SHAPES = ("circle", "square", "triangle")

# 5x7 digits for the large number.
BIG_FONT = {
    "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    "3": ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
    "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    "5": ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
    "6": ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
    "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    "8": ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    "9": ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
}
# 3x5 digits for the small print.
SMALL_FONT = {
    "0": ["111", "101", "101", "101", "111"], "1": ["010", "110", "010", "010", "111"],
    "2": ["111", "001", "111", "100", "111"], "3": ["111", "001", "111", "001", "111"],
    "4": ["101", "101", "111", "001", "001"], "5": ["111", "100", "111", "001", "111"],
    "6": ["111", "100", "111", "101", "111"], "7": ["111", "001", "001", "001", "001"],
    "8": ["111", "101", "111", "101", "111"], "9": ["111", "101", "111", "001", "111"],
}
BIG_SCALE = 4
LABEL = 28  # the label box: one merged vision token at full size, one patch in the half view
INK_CELL = 3  # a small-font pixel is 3x3 pixels of halftone: the digit is 9x15
INK_BLUR = 1.0  # the glyph's edges are softened (Gaussian sigma in pixels) so halving leaves no trace
NOISE = 6.0
def _glyph(font: dict, ch: str) -> np.ndarray:
    return np.array([[c == "1" for c in row] for row in font[ch]], dtype=bool)


def _draw_text(canvas: np.ndarray, text: str, font: dict, scale: int, x: int, y: int, rgb) -> None:
    for i, ch in enumerate(text):
        glyph = np.kron(_glyph(font, ch), np.ones((scale, scale), dtype=bool))
        gx = x + i * (glyph.shape[1] + scale)
        canvas[y:y + glyph.shape[0], gx:gx + glyph.shape[1]][glyph] = rgb


def _shape_mask(shape: str, size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    if shape == "square":
        return np.ones((size, size), dtype=bool)
    if shape == "circle":
        r = size / 2
        return (x - r) ** 2 + (y - r) ** 2 <= r * r
    # an upright isosceles triangle filling the box
    return np.abs(x - size / 2) <= (y / size) * (size / 2)


def _soften(mask: np.ndarray, sigma: float) -> np.ndarray:
    radius = int(3 * sigma) + 1
    kernel = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2 * sigma ** 2))
    kernel /= kernel.sum()
    mask = np.apply_along_axis(lambda v: np.convolve(v, kernel, "same"), 0, mask)
    return np.apply_along_axis(lambda v: np.convolve(v, kernel, "same"), 1, mask)


def draw_label(rng: np.random.Generator, canvas: np.ndarray, lx: int, ly: int) -> str:
    """The small label in the 28x28 box at (lx, ly) (even coordinates): a dark border around flat grey
    holding one digit of the 3x5 font printed as a 1-pixel checkerboard halftone of two inks whose mean
    is that grey. At full size the checker stands out clearly; halving (LANCZOS) averages each 2x2 of
    the checker to the grey around it, and the glyph's softened edges leave nothing that tells two
    digits apart (check_unreadable.py measures it)."""
    canvas[ly:ly + LABEL, lx:lx + LABEL] = (60, 60, 60)
    inner = LABEL - 2
    grey = float(rng.integers(110, 150))
    digit = str(int(rng.integers(0, 10)))
    mask = np.zeros((inner, inner))
    height, width = 5 * INK_CELL, 3 * INK_CELL
    oy = (inner - height) // 2 + 2 * int(rng.integers(-1, 2))  # even shifts keep the checker's phase
    ox = (inner - width) // 2 + 2 * int(rng.integers(-1, 2))
    mask[oy:oy + height, ox:ox + width] = np.kron(_glyph(SMALL_FONT, digit), np.ones((INK_CELL, INK_CELL)))
    yy, xx = np.mgrid[0:inner, 0:inner]
    checker = np.where((xx + yy) % 2 == 0, 1.0, -1.0)
    box = grey + rng.uniform(60, 100) * checker * _soften(mask, INK_BLUR) + rng.normal(0.0, NOISE, size=mask.shape)
    canvas[ly + 1:ly + 1 + inner, lx + 1:lx + 1 + inner] = np.clip(np.rint(box), 0, 255).astype(np.uint8)[:, :, None]
    return digit


def make_picture(rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """One picture and the facts questions are asked about. Objects sit in the cells of a 4x4 grid of
    56x56 pixels (two merged vision tokens square at full size, one in the half view), with a small
    random offset inside their cell: 1 to 4 large shapes, the large digit and the small label, each in
    a cell of its own; the other cells are empty."""
    background = rng.integers(200, 250, size=3)
    canvas = np.empty((SIZE, SIZE, 3), dtype=np.uint8)
    canvas[:] = background
    cells = [divmod(int(c), GRID) for c in rng.permutation(GRID * GRID)]  # (row, column)
    count = int(rng.integers(1, 5))
    cell_of = {}  # what fills each occupied cell: ("shape", shape, colour), ("number", digit) or ("label", digit)

    # The small label: one of the four 28x28 quarters of its cell (a merged token at full size).
    row, column = cells[0]
    qx, qy = rng.integers(0, CELL // LABEL, size=2)
    lx, ly = column * CELL + int(qx) * LABEL, row * CELL + int(qy) * LABEL
    small = draw_label(rng, canvas, lx, ly)
    cell_of[cells[0]] = ("label", small)

    # The large digit, about centred in its cell.
    row, column = cells[1]
    number = str(int(rng.integers(0, 10)))
    width, height = 5 * BIG_SCALE, 7 * BIG_SCALE
    x = column * CELL + (CELL - width) // 2 + int(rng.integers(-NUMBER_JITTER, NUMBER_JITTER + 1))
    y = row * CELL + (CELL - height) // 2 + int(rng.integers(-NUMBER_JITTER, NUMBER_JITTER + 1))
    _draw_text(canvas, number, BIG_FONT, BIG_SCALE, x, y, (15, 15, 15))
    cell_of[cells[1]] = ("number", number)

    # Large shapes in distinct colours.
    colours = [str(c) for c in rng.choice(list(COLOURS), size=count, replace=False)]
    shapes = []
    for (row, column), colour in zip(cells[2:], colours):
        shape = SHAPES[int(rng.integers(0, len(SHAPES)))]
        size = int(rng.integers(SHAPE_MIN, SHAPE_MAX + 1))
        x = column * CELL + int(rng.integers(MARGIN, CELL - size - MARGIN + 1))
        y = row * CELL + int(rng.integers(MARGIN, CELL - size - MARGIN + 1))
        canvas[y:y + size, x:x + size][_shape_mask(shape, size)] = COLOURS[colour]
        shapes.append((shape, colour, (row, column)))
        cell_of[(row, column)] = ("shape", shape, colour)
    number_cell = cells[1]
    return canvas, {"small": small, "label": (lx, ly), "number": number, "number_cell": number_cell,
                    "shapes": shapes, "cells": cell_of}


def _cell_region(cell: tuple[int, int]) -> tuple[int, int, int, int]:
    row, column = cell
    return column * CELL, row * CELL, (column + 1) * CELL, (row + 1) * CELL


def coarse_question(rng: np.random.Generator, facts: dict) -> tuple[str, str, list[tuple]]:
    """A coarse question, its answer and the picture regions (x0, y0, x1, y1) the answer is read from."""
    shapes = facts["shapes"]
    by_shape = {}
    for shape, colour, cell in shapes:
        by_shape.setdefault(shape, []).append((colour, cell))
    kinds = ["count", "number", "shape"] + (["colour"] if any(len(v) == 1 for v in by_shape.values()) else [])
    kind = kinds[int(rng.integers(0, len(kinds)))]
    if kind == "count":
        return "How many large shapes are there?", str(len(shapes)), [_cell_region(cell) for _, _, cell in shapes]
    if kind == "number":
        return "What is the large number?", facts["number"], [_cell_region(facts["number_cell"])]
    if kind == "shape":
        shape, colour, cell = shapes[int(rng.integers(0, len(shapes)))]
        return f"Which shape is {colour}?", shape, [_cell_region(cell)]
    unique = sorted(s for s, v in by_shape.items() if len(v) == 1)
    shape = unique[int(rng.integers(0, len(unique)))]
    colour, cell = by_shape[shape][0]
    return f"What colour is the {shape}?", colour, [_cell_region(cell)]


FINE_QUESTION = "What digit is printed in the small grey box?"


def fine_question(facts: dict) -> tuple[str, str, list[tuple]]:
    lx, ly = facts["label"]
    return FINE_QUESTION, facts["small"], [(lx, ly, lx + LABEL, ly + LABEL)]


def make_item(rng: np.random.Generator, kind: str) -> tuple[np.ndarray, dict, str, str, list[tuple]]:
    """A picture, its facts, a question of this kind ("coarse" or "fine"), the answer and its regions."""
    picture, facts = make_picture(rng)
    question, answer, regions = fine_question(facts) if kind == "fine" else coarse_question(rng, facts)
    return picture, facts, question, answer, regions


def kinds_for(rng: np.random.Generator, count: int) -> list[str]:
    fine = round(FINE_FRACTION * count)
    kinds = np.array(["fine"] * fine + ["coarse"] * (count - fine))
    return [str(k) for k in rng.permutation(kinds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    (args.out / "images").mkdir(parents=True, exist_ok=True)
    with open(args.out / "data.jsonl", "w", encoding="utf-8") as f:
        for i, kind in enumerate(kinds_for(rng, args.count)):
            picture, _, question, answer, _ = make_item(rng, kind)
            name = f"images/{i:04d}.png"
            Image.fromarray(picture, "RGB").save(args.out / name, optimize=True)
            f.write(json.dumps({"image": name, "question": question, "answer": answer, "kind": kind}) + "\n")


if __name__ == "__main__":
    main()
