"""Captioned shapes: two shapes on noise, one left of the other, and the caption that says which.

Each image (32 x 48 by default, grey noise) holds two shapes, a circle, a square or a
triangle, each red, green or blue, one in the left half and one in the right
half, at a jittered place and size; its caption is
"a <colour> <shape> left of a <colour> <shape>" (left shape first). The two
shapes never match in both colour and form, so there are 9 x 9 - 9 = 72
captions; every caption is drawn equally often (the captions cycle, the order
is shuffled). A caption says exactly what is drawn, so retrieval is checkable
exactly: an image answers a caption when its own caption is that caption.

Writes `images/NNNNN.png` and `captions.csv` (columns `file`, `caption`).

Example:
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> write_captioned_shapes(folder, count=3, seed=0)
    >>> sorted(os.listdir(folder)), open(os.path.join(folder, "captions.csv")).readline().strip()
    (['captions.csv', 'images'], 'file,caption')
"""

from __future__ import annotations

import itertools

import numpy as np

COLOURS = {"red": (220, 40, 40), "green": (40, 190, 60), "blue": (50, 70, 230)}
SHAPES = ("circle", "square", "triangle")
SIZE = (32, 48)
"""(height, width) of the images written."""


def captions() -> list[str]:
    """The 72 captions, in a fixed order.

    Example:
        >>> len(captions()), captions()[0]
        (72, 'a red circle left of a red square')
    """
    parts = [(colour, shape) for colour in COLOURS for shape in SHAPES]
    return [caption(left, right) for left, right in itertools.product(parts, parts) if left != right]


def caption(left: tuple[str, str], right: tuple[str, str]) -> str:
    """The caption of a (colour, shape) left of another.

    Example:
        >>> caption(("red", "circle"), ("blue", "square"))
        'a red circle left of a blue square'
    """
    return f"a {left[0]} {left[1]} left of a {right[0]} {right[1]}"


def parse(text: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """The ((colour, shape), (colour, shape)) a caption names, left first.

    Example:
        >>> parse("a red circle left of a blue square")
        (('red', 'circle'), ('blue', 'square'))
    """
    words = text.split()
    return (words[1], words[2]), (words[6], words[7])


def draw(left: tuple[str, str], right: tuple[str, str], rng: np.random.Generator,
         size: tuple[int, int] = SIZE) -> np.ndarray:
    """A uint8 image [height, width, 3]: grey noise, `left` in the left half and `right` in the right half.

    Example:
        >>> draw(("red", "circle"), ("blue", "square"), np.random.default_rng(0)).shape
        (32, 48, 3)
    """
    from PIL import Image, ImageDraw

    height, width = size
    noise = np.repeat(rng.integers(90, 166, size=(height, width, 1), dtype=np.uint8), 3, axis=2)  # grey
    image = Image.fromarray(noise)
    pen = ImageDraw.Draw(image)
    half = width // 2
    for offset, (colour, shape) in ((0, left), (half, right)):
        radius = rng.uniform(0.28, 0.42) * min(half, height)
        cx = offset + half / 2 + rng.uniform(-1, 1) * (half / 2 - radius - 1)
        cy = height / 2 + rng.uniform(-1, 1) * (height / 2 - radius - 1)
        fill = tuple(int(np.clip(c + rng.integers(-25, 26), 0, 255)) for c in COLOURS[colour])
        box = [cx - radius, cy - radius, cx + radius, cy + radius]
        if shape == "circle":
            pen.ellipse(box, fill=fill)
        elif shape == "square":
            pen.rectangle(box, fill=fill)
        else:
            pen.polygon([(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)], fill=fill)
    return np.asarray(image)


def write_captioned_shapes(folder: str, *, count: int, seed: int) -> None:
    """Write `count` images under `folder`/images and their captions to `folder`/captions.csv.

    Example:
        >>> write_captioned_shapes("/tmp/captioned", count=720, seed=0)   # doctest: +SKIP
    """
    import csv
    import os

    from PIL import Image

    rng = np.random.default_rng(seed)
    texts = captions()
    order = np.concatenate([rng.permutation(len(texts)) for _ in range(-(-count // len(texts)))])[:count]
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    with open(os.path.join(folder, "captions.csv"), "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["file", "caption"])
        for index, which in enumerate(order):
            name = f"images/{index:05d}.png"
            Image.fromarray(draw(*parse(texts[which]), rng)).save(os.path.join(folder, name))
            writer.writerow([name, texts[which]])
