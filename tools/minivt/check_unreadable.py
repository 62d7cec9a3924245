#!/usr/bin/env python3
"""Checks that the label's digit is unreadable at half size and readable at full size.

    python3 tools/minivt/check_unreadable.py

For many pictures from make_data.py, the label's box is cut out of (a) the original and (b) the
VisionThink half-size view (Pillow LANCZOS to w//2 x h//2; 112 is a multiple of 28, so Qwen's
smart_resize keeps it as is), with a few pixels of context. A small MLP per view is trained to read
the digit (it is told where the label is, which the VLM is not) and tested on held-out pictures.
Prints the accuracy for both views (chance 0.1).
"""
import numpy as np
import torch
from PIL import Image

import make_data

TRAIN, TEST = 4000, 1000


def crops(seed: int, count: int):
    rng = np.random.default_rng(seed)
    full, half, digits = [], [], []
    for _ in range(count):
        picture, facts = make_data.make_picture(rng)
        lx, ly = facts["label"]
        small = np.asarray(Image.fromarray(picture).resize((112, 112), Image.LANCZOS))
        pad_full = np.pad(picture, ((4, 4), (4, 4), (0, 0)), mode="edge")
        pad_half = np.pad(small, ((2, 2), (2, 2), (0, 0)), mode="edge")
        size = make_data.LABEL
        full.append(pad_full[ly:ly + size + 8, lx:lx + size + 8].astype(np.float32) / 255)
        half.append(pad_half[ly // 2:ly // 2 + size // 2 + 4, lx // 2:lx // 2 + size // 2 + 4].astype(np.float32) / 255)
        digits.append(int(facts["small"]))
    return np.stack(full), np.stack(half), np.array(digits)


def accuracy(x_train, y_train, x_test, y_test) -> float:
    torch.manual_seed(0)
    x_train = torch.tensor(x_train.reshape(len(x_train), -1))
    x_test = torch.tensor(x_test.reshape(len(x_test), -1))
    mean, std = x_train.mean(0), x_train.std(0) + 1e-3
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)
    model = torch.nn.Sequential(torch.nn.Linear(x_train.shape[1], 256), torch.nn.GELU(), torch.nn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    for _ in range(30):
        for i in torch.randperm(len(x_train)).split(100):
            loss = torch.nn.functional.cross_entropy(model(x_train[i]), y_train[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        pred = model(x_test).argmax(-1)
    return float((pred == y_test).float().mean())


def main() -> None:
    torch.set_num_threads(1)
    f_train, h_train, y_train = crops(11, TRAIN)
    f_test, h_test, y_test = crops(12, TEST)
    for name, a, b in (("full size", f_train, f_test), ("half size", h_train, h_test)):
        print(f"{name}: digit accuracy {accuracy(a, y_train, b, y_test):.3f} (chance 0.100)")


if __name__ == "__main__":
    main()
