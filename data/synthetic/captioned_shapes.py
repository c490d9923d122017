"""Captioned shapes: two or three shapes on noise, left to right, and the caption that says which.

Each image (grey noise, 32 pixels high and 24 wide per shape: 32 x 48 for two
shapes, 32 x 72 for three) holds shapes, each a circle, a square or a
triangle, red, green or blue, one per equal slot of the width, at a jittered
place and size; its caption names them left to right:
"a <colour> <shape> left of a <colour> <shape>" for two, and
"a red circle left of a blue square left of a green triangle" for three. No two
shapes of one image match in both colour and form, so there are 9 x 8 = 72
captions of two shapes and 9 x 8 x 7 = 504 of three; every caption is drawn
equally often (the captions cycle, the order is shuffled). With 504 captions and
a few thousand images, some test captions never appear in training, so a model
has to compose a caption rather than recall one. A caption says exactly what is
drawn, so retrieval is checkable exactly: an image answers a caption when its
own caption is that caption.

Writes `images/NNNNN.png` and `captions.csv` (columns `file`, `caption`).

Example:
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> write_captioned_shapes(folder, count=3, seed=0, objects=3)
    >>> sorted(os.listdir(folder)), open(os.path.join(folder, "captions.csv")).readlines()[1].count(" left of ")
    (['captions.csv', 'images'], 2)
"""

from __future__ import annotations

import itertools

import numpy as np

COLOURS = {"red": (220, 40, 40), "green": (40, 190, 60), "blue": (50, 70, 230)}
SHAPES = ("circle", "square", "triangle")
HEIGHT, WIDTH_PER_OBJECT = 32, 24
"""Pixels of the images' height, and of their width per shape."""


def image_size(objects: int = 2) -> tuple[int, int]:
    """(height, width) of the images drawn with `objects` shapes.

    Example:
        >>> image_size(), image_size(3)
        ((32, 48), (32, 72))
    """
    return HEIGHT, WIDTH_PER_OBJECT * objects


def captions(objects: int = 2) -> list[str]:
    """Every caption of `objects` shapes (no two alike in both colour and form), in a fixed order.

    Example:
        >>> len(captions()), captions()[0]
        (72, 'a red circle left of a red square')
        >>> len(captions(3)), captions(3)[0]
        (504, 'a red circle left of a red square left of a red triangle')
    """
    parts = [(colour, shape) for colour in COLOURS for shape in SHAPES]
    return [caption(*chosen) for chosen in itertools.permutations(parts, objects)]


def caption(*parts: tuple[str, str]) -> str:
    """The caption of (colour, shape) pairs, left to right.

    Example:
        >>> caption(("red", "circle"), ("blue", "square"))
        'a red circle left of a blue square'
        >>> caption(("red", "circle"), ("blue", "square"), ("green", "triangle"))
        'a red circle left of a blue square left of a green triangle'
    """
    return " left of ".join(f"a {colour} {shape}" for colour, shape in parts)


def parse(text: str) -> tuple[tuple[str, str], ...]:
    """The (colour, shape) pairs a caption names, left to right.

    Example:
        >>> parse("a red circle left of a blue square")
        (('red', 'circle'), ('blue', 'square'))
        >>> len(parse("a red circle left of a blue square left of a green triangle"))
        3
    """
    return tuple((words[1], words[2]) for words in (part.split() for part in text.split(" left of ")))


def draw(*objects: tuple[str, str] | np.random.Generator, size: tuple[int, int] | None = None) -> np.ndarray:
    """A uint8 image [height, width, 3]: grey noise and each (colour, shape) in its own slot of the width.

    The arguments are the (colour, shape) pairs, left to right, then the random
    generator, as in `draw(*parse(text), rng)`; `size` (height, width) defaults
    to `image_size(number of shapes)`.

    Example:
        >>> draw(("red", "circle"), ("blue", "square"), np.random.default_rng(0)).shape
        (32, 48, 3)
        >>> draw(*parse(captions(3)[0]), np.random.default_rng(0)).shape
        (32, 72, 3)
    """
    from PIL import Image, ImageDraw

    *parts, rng = objects
    height, width = size or image_size(len(parts))
    noise = np.repeat(rng.integers(90, 166, size=(height, width, 1), dtype=np.uint8), 3, axis=2)  # grey
    image = Image.fromarray(noise)
    pen = ImageDraw.Draw(image)
    slot = width // len(parts)
    for index, (colour, shape) in enumerate(parts):
        radius = rng.uniform(0.28, 0.42) * min(slot, height)
        cx = index * slot + slot / 2 + rng.uniform(-1, 1) * (slot / 2 - radius - 1)
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


def write_captioned_shapes(folder: str, *, count: int, seed: int, objects: int = 2) -> None:
    """Write `count` images of `objects` shapes under `folder`/images and their captions to `folder`/captions.csv.

    Example:
        >>> write_captioned_shapes("/tmp/captioned", count=720, seed=0)   # doctest: +SKIP
    """
    import csv
    import os

    from PIL import Image

    rng = np.random.default_rng(seed)
    texts = captions(objects)
    order = np.concatenate([rng.permutation(len(texts)) for _ in range(-(-count // len(texts)))])[:count]
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    with open(os.path.join(folder, "captions.csv"), "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["file", "caption"])
        for index, which in enumerate(order):
            name = f"images/{index:05d}.png"
            Image.fromarray(draw(*parse(texts[which]), rng)).save(os.path.join(folder, name))
            writer.writerow([name, texts[which]])
