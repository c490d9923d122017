"""Detection scenes: small coloured shapes on textured backgrounds, with exact boxes, in COCO format.

Synthetic, drawn here: shaped like the set of issue 19 (600 scenes of 96x96
pixels, 1-4 small objects each, 10 classes, objects 18-40 pixels), not a copy
of it, and far simpler than photos. A class is a shape (circle, square,
triangle, diamond, cross) in a colour family (red, blue, then green), so that
neither the shape nor the colour alone names it: `classes=10` takes the red
and the blue shapes. Each object's colour varies in hue, saturation and
brightness, and carries a shading gradient and pixel noise; the background is
low-frequency colour noise with pixel noise and a few small blobs of any
colour, smaller than the objects. Objects may overlap, the later one on top,
but never so that an earlier one loses an outermost pixel or 40% of its
pixels: every box is tight around both the whole object and its visible pixels.
An object's size is its box's longer side (within `object_sizes`); the shorter
side is 75-100% of it. The same seed writes the same bytes.

Layout under `folder`:
    images/scene_000.png ...   the scenes (RGB PNG, all `size`)
    coco.json                  COCO: file_name "images/scene_000.png", category ids 1..classes,
                               bbox [x, y, width, height] in pixels, area = visible pixels

Usage:
    python -m data.synthetic.scenes FOLDER --count 600 --seed 0 [--size 96 96] [--object-sizes 18 40] [--classes 10]
    # then: data.source = {type: coco, path: FOLDER/coco.json}

Example:
    >>> import tempfile
    >>> scenes = write_scenes(tempfile.mkdtemp(), count=3, seed=0)
    >>> len(scenes.images), scenes.size, scenes.class_names[:2], len(scenes.class_names)
    (3, (96, 96), ['red_circle', 'red_square'], 10)
    >>> all(1 <= len(b) <= 4 for b in scenes.boxes), scenes.boxes[0].dtype.name
    (True, 'float32')
"""

from __future__ import annotations

import argparse
import colorsys
import json
import os
from dataclasses import dataclass, field

import numpy as np

SHAPES = ("circle", "square", "triangle", "diamond", "cross")
HUES = {"red": 0.0, "blue": 0.62, "green": 0.33}
"""Colour families by their hue (HSV, 0..1); each object's hue is within 0.06 of its family's."""

CLASS_NAMES = [f"{colour}_{shape}" for colour in HUES for shape in SHAPES]
"""Every class in id order; `classes=N` takes the first N (at most 15)."""

OBJECTS_PER_SCENE = (1, 4)
PLACEMENT_TRIES = 80
LEAST_VISIBLE = 0.6
"""An object that a later one would leave with less than this fraction of its pixels visible is not placed."""


@dataclass
class Scenes:
    """What `write_scenes` wrote.

    Attributes:
        folder: The folder everything is under.
        coco: Path of coco.json.
        images: Absolute image paths, in file-name order.
        size: (height, width) of every scene.
        boxes: float32 (k, 4) xyxy pixel boxes of each scene, tight around the object's pixels.
        classes: int64 (k,) class ids (into `class_names`) of each scene's boxes.
        class_names: Class names in id order (COCO category id = class id + 1).
    """

    folder: str
    coco: str
    images: list[str]
    size: tuple[int, int]
    boxes: list = field(repr=False)
    classes: list = field(repr=False)
    class_names: list[str]


def write_scenes(
    folder: str,
    count: int = 600,
    seed: int = 0,
    size: tuple[int, int] = (96, 96),
    object_sizes: tuple[int, int] = (18, 40),
    classes: int = 10,
) -> Scenes:
    """Writes `count` scenes of `size` (height, width) and their coco.json under `folder`.

    Args:
        folder: Where to write (created when missing).
        count: Number of scenes.
        seed: The same seed writes the same files.
        size: (height, width) of every scene, in pixels.
        object_sizes: Smallest and largest object (its box's longer side), in pixels.
        classes: Number of classes, 1 to 15 (the first of `CLASS_NAMES`).

    Example:
        >>> import tempfile
        >>> scenes = write_scenes(tempfile.mkdtemp(), count=2, seed=1, size=(64, 80), object_sizes=(12, 20), classes=3)
        >>> scenes.class_names, os.path.basename(scenes.coco)
        (['red_circle', 'red_square', 'red_triangle'], 'coco.json')
    """
    from PIL import Image

    height, width = size = (int(size[0]), int(size[1]))
    low, high = object_sizes = (int(object_sizes[0]), int(object_sizes[1]))
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if not 1 <= classes <= len(CLASS_NAMES):
        raise ValueError(f"classes must be 1 to {len(CLASS_NAMES)}, got {classes}")
    if not 8 <= low <= high <= min(size):
        raise ValueError(f"object_sizes must be (smallest, largest) with 8 <= smallest <= largest <= the scene's "
                         f"shorter side ({min(size)}), got {object_sizes}")

    folder = os.path.abspath(folder)
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    rng = np.random.default_rng(seed)
    digits = max(3, len(str(count - 1)))
    names, all_boxes, all_classes, all_areas = [], [], [], []
    for index in range(count):
        image, boxes, labels, areas = _scene(rng, height, width, object_sizes, classes)
        names.append(f"images/scene_{index:0{digits}d}.png")
        Image.fromarray(image).save(os.path.join(folder, names[-1]))
        all_boxes.append(np.array(boxes, dtype="float32").reshape(-1, 4))
        all_classes.append(np.array(labels, dtype="int64"))
        all_areas.append(areas)
    class_names = CLASS_NAMES[:classes]
    coco = _write_coco(folder, names, size, all_boxes, all_classes, all_areas, class_names)
    return Scenes(folder, coco, [os.path.join(folder, n) for n in names], size, all_boxes, all_classes, class_names)


def _scene(rng, height: int, width: int, object_sizes: tuple[int, int], classes: int):
    """One scene (uint8 [H, W, 3]), its tight xyxy boxes, class ids and visible areas."""
    image = _background(rng, height, width, blob_size=max(3, object_sizes[0] // 3))
    owner = np.full((height, width), -1, dtype=np.int16)  # which object each pixel shows
    boxes, labels, drawn = [], [], []
    wanted = int(rng.integers(OBJECTS_PER_SCENE[0], OBJECTS_PER_SCENE[1] + 1))
    for _ in range(PLACEMENT_TRIES):
        if len(boxes) == wanted:
            break
        class_id = int(rng.integers(0, classes))
        pixels = _shape(rng, SHAPES[class_id % len(SHAPES)], height, width, object_sizes)
        if pixels is None:
            continue
        trial = owner.copy()
        trial[pixels] = len(boxes)
        if any(_box(trial == k) != box or (trial == k).sum() < LEAST_VISIBLE * pixel_count
               for k, (box, pixel_count) in enumerate(zip(boxes, drawn))):
            continue
        owner = trial
        image[pixels] = _paint(rng, pixels, CLASS_NAMES[class_id].split("_")[0])
        boxes.append(_box(pixels))
        labels.append(class_id)
        drawn.append(int(pixels.sum()))
    areas = [int((owner == k).sum()) for k in range(len(boxes))]
    return image, boxes, labels, areas


def _background(rng, height: int, width: int, blob_size: int) -> np.ndarray:
    """Low-frequency colour noise around a random tint, pixel noise and a few small blobs of any colour."""
    from PIL import Image, ImageDraw

    coarse = rng.normal(0.0, 28.0, size=(height // 12 + 2, width // 12 + 2, 3)).astype("float32")
    smooth = np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(coarse[..., c])).resize(
        (width, height), Image.BILINEAR)) for c in range(3)], axis=-1)
    tint = rng.uniform(50, 150) + rng.uniform(-20, 20, size=3)
    image = np.clip(tint + smooth + rng.normal(0.0, 10.0, size=(height, width, 3)), 0, 255).astype(np.uint8)
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(0, 7))):
        w, h = (int(v) for v in rng.integers(2, blob_size + 1, size=2))
        x0, y0 = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
        draw.ellipse((x0, y0, x0 + w - 1, y0 + h - 1), fill=tuple(int(v) for v in rng.integers(0, 256, size=3)))
    return np.array(canvas)


def _shape(rng, shape: str, height: int, width: int, object_sizes: tuple[int, int]):
    """A bool [H, W] mask of `shape` at a random place, its box's longer side within object_sizes; None if not."""
    from PIL import Image, ImageDraw

    longer = int(rng.integers(object_sizes[0], object_sizes[1] + 1))
    shorter = max(2, int(round(longer * rng.uniform(0.75, 1.0))))
    w, h = (longer, shorter) if rng.random() < 0.5 else (shorter, longer)
    x0, y0 = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
    x1, y1 = x0 + w - 1, y0 + h - 1
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    if shape == "circle":
        draw.ellipse((x0, y0, x1, y1), fill=1)
    elif shape == "square":
        draw.rectangle((x0, y0, x1, y1), fill=1)
    elif shape == "triangle":
        tip, base = (y0, y1) if rng.random() < 0.5 else (y1, y0)
        draw.polygon([(x0, base), (x1, base), ((x0 + x1) / 2, tip)], fill=1)
    elif shape == "diamond":
        draw.polygon([((x0 + x1) / 2, y0), (x1, (y0 + y1) / 2), ((x0 + x1) / 2, y1), (x0, (y0 + y1) / 2)], fill=1)
    else:  # cross: two bars a third of the box thick
        bar_w, bar_h = max(2, w // 3), max(2, h // 3)
        left, top = x0 + (w - bar_w) // 2, y0 + (h - bar_h) // 2
        draw.rectangle((left, y0, left + bar_w - 1, y1), fill=1)
        draw.rectangle((x0, top, x1, top + bar_h - 1), fill=1)
    pixels = np.asarray(canvas, dtype=bool)
    x_a, y_a, x_b, y_b = _box(pixels)
    return pixels if object_sizes[0] <= max(x_b - x_a, y_b - y_a) <= object_sizes[1] else None


def _paint(rng, pixels: np.ndarray, colour: str) -> np.ndarray:
    """uint8 (n, 3) colours for the object's pixels: its family's hue, jittered, shaded and noisy."""
    hue = HUES[colour] + rng.uniform(-0.06, 0.06)
    base = np.array(colorsys.hsv_to_rgb(hue % 1.0, rng.uniform(0.45, 0.95), rng.uniform(0.55, 1.0))) * 255
    rows, columns = np.nonzero(pixels)
    angle = rng.uniform(0, 2 * np.pi)
    along = (columns - columns.mean()) * np.cos(angle) + (rows - rows.mean()) * np.sin(angle)
    shade = 1.0 + rng.uniform(0.0, 0.3) * along / max(float(np.abs(along).max()), 1.0)
    colours = base[None, :] * shade[:, None] + rng.normal(0.0, 8.0, size=(len(rows), 3))
    return np.clip(colours, 0, 255).astype(np.uint8)


def _box(pixels: np.ndarray) -> list[int]:
    """Tight xyxy box of a bool mask (x2, y2 one past the last pixel); [0, 0, 0, 0] when empty."""
    rows, columns = np.nonzero(pixels)
    if not len(rows):
        return [0, 0, 0, 0]
    return [int(columns.min()), int(rows.min()), int(columns.max()) + 1, int(rows.max()) + 1]


def _write_coco(folder, names, size, boxes, classes, areas, class_names) -> str:
    # data/synthetic/shapes.py's writer names its own three categories and measures areas on class masks,
    # so this one is separate: any classes, areas of the visible pixels of each object.
    height, width = size
    images, annotations = [], []
    for image_id, (name, image_boxes, image_classes, image_areas) in enumerate(zip(names, boxes, classes, areas), 1):
        images.append({"id": image_id, "file_name": name, "width": width, "height": height})
        for (x1, y1, x2, y2), class_id, area in zip(image_boxes.tolist(), image_classes.tolist(), image_areas):
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": class_id + 1,
                "bbox": [int(x1), int(y1), int(x2 - x1), int(y2 - y1)], "area": area, "iscrowd": 0,
            })
    categories = [{"id": i + 1, "name": name, "supercategory": name.split("_")[1]}
                  for i, name in enumerate(class_names)]
    path = os.path.join(folder, "coco.json")
    with open(path, "w", encoding="utf-8") as file:
        json.dump({"images": images, "annotations": annotations, "categories": categories}, file, indent=1)
    return path


def main(argv: list[str] | None = None) -> None:
    """`python -m data.synthetic.scenes FOLDER [--count N] [--seed S] ...`: write detection scenes in COCO format.

    Example:
        $ python -m data.synthetic.scenes data/generated/scenes --count 600 --seed 0
    """
    parser = argparse.ArgumentParser(prog="python -m data.synthetic.scenes", description=main.__doc__.splitlines()[0])
    parser.add_argument("folder", help="where to write images/ and coco.json")
    parser.add_argument("--count", type=int, default=600, help="number of scenes (default 600)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, nargs=2, default=[96, 96], metavar=("HEIGHT", "WIDTH"))
    parser.add_argument("--object-sizes", type=int, nargs=2, default=[18, 40], metavar=("SMALLEST", "LARGEST"),
                        help="object size range: its box's longer side, in pixels (default 18 40)")
    parser.add_argument("--classes", type=int, default=10, help=f"number of classes, 1-{len(CLASS_NAMES)} (default 10)")
    args = parser.parse_args(argv)
    try:
        scenes = write_scenes(args.folder, count=args.count, seed=args.seed, size=tuple(args.size),
                              object_sizes=tuple(args.object_sizes), classes=args.classes)
    except ValueError as error:
        parser.error(str(error))
    objects = sum(len(b) for b in scenes.boxes)
    print(f"wrote {len(scenes.images)} scenes ({objects} objects, {len(scenes.class_names)} classes) "
          f"and {scenes.coco}")


if __name__ == "__main__":
    main()
