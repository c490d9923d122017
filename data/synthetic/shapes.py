"""Shapes on noise: tiny annotated images with exact boxes and masks, in COCO, VOC, YOLO and mask formats.

Each image is uniform noise (dark, 0..90 per channel) with 1 to 3 (`objects`)
non-overlapping filled shapes: a red circle (or ellipse), a green rectangle or
a blue triangle (or, with `colors="random"`, each shape a random bright hue, so
that only its form tells its class), each 28%..42% of the image's shorter side. Boxes are tight
around the drawn pixels (xyxy, continuous pixels: a shape covering columns
3..9 has x1=3, x2=10) and the masks hold 0 for background and 1..3 for the
shapes, so a tiny network learns them in a few epochs. Images alternate
between `sizes`, to exercise coordinate mapping. The same seed writes the
same bytes.

Layout under `folder`:
    images/shape_000.png ...   the images (PNG)
    coco.json                  COCO (file_name "images/shape_000.png", category ids 1..3)
    voc/shape_000.xml ...      Pascal VOC (1-based inclusive coordinates)
    labels/shape_000.txt ...   YOLO (class cx cy w h, fractions)
    masks/shape_000.png ...    8-bit class-id masks
    classes/circle/shape_000.png ...   with one shape per image (objects=(1, 1)): each image again, in the
                               folder of its shape's class (image classification, as `image_folder` reads it)

Example (YAML, after `write_shapes("data/shapes", count=64)`):
    data:
      source: {type: coco, path: data/shapes/coco.json}
      # {type: voc, path: data/shapes, annotations: voc, images: images, class_names: [circle, rectangle, triangle]}
      # {type: yolo, images: data/shapes/images, labels: data/shapes/labels, names: [circle, rectangle, triangle]}
      # {type: mask_folder, images: data/shapes/images, masks: data/shapes/masks,
      #  class_names: [background, circle, rectangle, triangle]}
    # after `write_shapes("data/shapes_single", count=600, sizes=[(32, 32)], objects=(1, 1))`:
      # {type: image_folder, path: data/shapes_single/classes, image_size: [32, 32]}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

CLASS_NAMES = ["circle", "rectangle", "triangle"]
"""Detection class names in id order (0, 1, 2); in the masks they are 1, 2, 3."""

MASK_CLASS_NAMES = ["background", *CLASS_NAMES]
"""Segmentation class names: mask value 0 is background."""

COLORS = {"circle": (225, 50, 40), "rectangle": (50, 205, 60), "triangle": (55, 85, 235)}
"""Base fill color of each shape (RGB); each shape's color varies by up to 25 per channel."""

COLOR_MODES = ("class", "random")
"""How shapes are colored: by class (`COLORS`, the default) or a random bright hue each, whatever the class."""

FORMATS = ("coco", "voc", "yolo", "masks", "classes")
"""Every format; "classes" (class-named folders of the images) only with one shape per image."""

DEFAULT_OBJECTS = (1, 3)
"""The fewest and most shapes per image, unless told otherwise."""

LAYOUTS = 50
"""Layouts (each of 40 random positions) tried per image to place its fewest shapes without overlap."""


@dataclass
class Shapes:
    """What `write_shapes` wrote: the truth of every image and the data.source spec of each format.

    Attributes:
        folder: The folder everything is under.
        images: Absolute image paths, in file-name order.
        sizes: (height, width) of each image.
        boxes: float32 (k, 4) xyxy pixel boxes of each image, tight around the drawn pixels.
        classes: int64 (k,) class ids (into `class_names`) of each image's boxes.
        class_names: Detection class names in id order.
        mask_class_names: Segmentation class names (mask value order, background first).
        images_folder: Folder of the images.
        masks_folder: Folder of the masks ("" without the "masks" format).
        masks: Mask paths, one per image ([] without the "masks" format).
        objects: The (fewest, most) shapes per image.
        colors: "class" or "random" (`COLOR_MODES`).
        classes_folder: Folder of the class-named folders ("" without the "classes" format).
        sources: Format name -> `data.source` spec of it (a dict with `type`).
    """

    folder: str
    images: list[str]
    sizes: list[tuple[int, int]]
    boxes: list = field(repr=False)
    classes: list = field(repr=False)
    class_names: list[str]
    mask_class_names: list[str]
    images_folder: str
    masks_folder: str = ""
    masks: list[str] = field(default_factory=list)
    objects: tuple[int, int] = DEFAULT_OBJECTS
    colors: str = "class"
    classes_folder: str = ""
    sources: dict[str, dict] = field(default_factory=dict)


def write_shapes(
    folder: str,
    count: int = 16,
    sizes: Sequence = ((64, 64), (64, 80)),
    seed: int = 0,
    formats: Sequence[str] | None = None,
    objects: Sequence[int] = DEFAULT_OBJECTS,
    colors: str = "class",
) -> Shapes:
    """Writes `count` shape images and their annotations in `formats` under `folder`.

    Args:
        folder: Where to write (created when missing).
        count: Number of images.
        sizes: One (height, width), or several that the images take in turn.
        seed: The same seed writes the same files.
        formats: Any of "coco", "voc", "yolo", "masks" and "classes" ("classes" needs objects=(1, 1)); by
            default all of them that apply: "classes" only with one shape per image.
        objects: (fewest, most) shapes per image, each between 1 and 3; the number of each image is drawn
            uniformly, and a shape past the fewest that finds no free place in 40 tries is left out (an
            image too small for the fewest is an error). The default (1, 3) writes the same bytes as before.
        colors: "class" (red circles, green rectangles, blue triangles) or "random" (a random bright hue
            per shape: the class is in the form alone).

    Example:
        >>> import tempfile
        >>> shapes = write_shapes(tempfile.mkdtemp(), count=3, sizes=[(64, 64), (64, 80)], formats=["yolo"])
        >>> shapes.sizes, sorted(shapes.sources), shapes.class_names
        ([(64, 64), (64, 80), (64, 64)], ['yolo'], ['circle', 'rectangle', 'triangle'])
        >>> 1 <= len(shapes.boxes[0]) <= 3 and shapes.boxes[0].dtype.name
        'float32'
        >>> import os
        >>> single = write_shapes(tempfile.mkdtemp(), count=3, sizes=[(32, 32)], formats=["classes"], objects=(1, 1))
        >>> [len(b) for b in single.boxes], sorted(os.listdir(single.classes_folder))
        ([1, 1, 1], ['circle', 'rectangle', 'triangle'])
    """
    import os

    import numpy as np
    from PIL import Image

    objects = tuple(int(v) for v in objects)
    if len(objects) != 2 or not 1 <= objects[0] <= objects[1] <= 3:
        raise ValueError(f"objects must be (fewest, most) shapes per image, 1 <= fewest <= most <= 3, got {objects}")
    if colors not in COLOR_MODES:
        raise ValueError(f"colors must be one of {', '.join(COLOR_MODES)}, got {colors!r}")
    if formats is None:
        formats = FORMATS if objects[1] == 1 else tuple(f for f in FORMATS if f != "classes")
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown formats {sorted(unknown)}; choose from {', '.join(FORMATS)}")
    if "classes" in formats and objects[1] != 1:
        raise ValueError(f"the classes format needs one shape per image (objects=(1, 1)), got objects={objects}")
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    sizes = [tuple(sizes)] if len(sizes) == 2 and all(isinstance(v, int) for v in sizes) else [tuple(s) for s in sizes]
    if not sizes or any(len(s) != 2 or min(s) < 24 for s in sizes):
        raise ValueError(f"sizes must be (height, width) pairs of at least 24 pixels, got {sizes}")

    folder = os.path.abspath(folder)
    images_folder = os.path.join(folder, "images")
    os.makedirs(images_folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    digits = max(3, len(str(count - 1)))
    names, sizes_out, boxes, classes, masks = [], [], [], [], []
    for index in range(count):
        height, width = sizes[index % len(sizes)]
        image, mask, image_boxes, image_classes = _draw(rng, height, width, objects, colors)
        name = f"shape_{index:0{digits}d}"
        Image.fromarray(image).save(os.path.join(images_folder, name + ".png"))
        names.append(name)
        sizes_out.append((height, width))
        boxes.append(np.array(image_boxes, dtype="float32").reshape(-1, 4))
        classes.append(np.array(image_classes, dtype="int64"))
        masks.append(mask)

    shapes = Shapes(
        folder, [os.path.join(images_folder, n + ".png") for n in names], sizes_out, boxes, classes,
        list(CLASS_NAMES), list(MASK_CLASS_NAMES), images_folder, objects=objects, colors=colors,
    )
    if "coco" in formats:
        shapes.sources["coco"] = {"type": "coco", "path": _write_coco(folder, names, sizes_out, boxes, classes, masks)}
    if "voc" in formats:
        _write_voc(os.path.join(folder, "voc"), names, sizes_out, boxes, classes)
        shapes.sources["voc"] = {
            "type": "voc", "path": folder, "annotations": "voc", "images": "images", "class_names": list(CLASS_NAMES),
        }
    if "yolo" in formats:
        labels = os.path.join(folder, "labels")
        _write_yolo(labels, names, sizes_out, boxes, classes)
        shapes.sources["yolo"] = {"type": "yolo", "images": images_folder, "labels": labels, "names": list(CLASS_NAMES)}
    if "masks" in formats:
        shapes.masks_folder = os.path.join(folder, "masks")
        os.makedirs(shapes.masks_folder, exist_ok=True)
        for name, mask in zip(names, masks):
            path = os.path.join(shapes.masks_folder, name + ".png")
            Image.fromarray(mask).save(path)
            shapes.masks.append(path)
        shapes.sources["masks"] = {
            "type": "mask_folder", "images": images_folder, "masks": shapes.masks_folder,
            "class_names": list(MASK_CLASS_NAMES),
        }
    if "classes" in formats:
        import shutil

        shapes.classes_folder = os.path.join(folder, "classes")
        for class_name in CLASS_NAMES:
            os.makedirs(os.path.join(shapes.classes_folder, class_name), exist_ok=True)
        for name, path, image_classes in zip(names, shapes.images, classes):
            class_name = CLASS_NAMES[int(image_classes[0])]
            shutil.copyfile(path, os.path.join(shapes.classes_folder, class_name, name + ".png"))
        shapes.sources["classes"] = {
            "type": "image_folder", "path": shapes.classes_folder, "image_size": list(sizes[0]),
        }
    return shapes


def _draw(rng, height: int, width: int, objects=DEFAULT_OBJECTS, colors="class"):
    """One image (uint8 [H, W, 3]), its class-id mask (uint8 [H, W]), tight xyxy boxes and class ids."""
    import numpy as np

    noise = rng.integers(0, 90, size=(height, width, 3), dtype=np.uint8)
    wanted = int(rng.integers(objects[0], objects[1] + 1))
    for _ in range(LAYOUTS):  # the first one always holds one shape, so the default draws as before the option
        image, mask = noise.copy(), np.zeros((height, width), dtype=np.uint8)
        boxes, classes = _place(rng, image, mask, wanted, colors)
        if len(boxes) >= objects[0]:
            return image, mask, boxes, classes
    raise ValueError(f"could not place {objects[0]} non-overlapping shapes in a {height}x{width} image "
                     f"({LAYOUTS} layouts tried); lower the fewest of objects or use larger sizes")


def _place(rng, image, mask, wanted: int, colors: str = "class"):
    """Draws up to `wanted` non-overlapping shapes (40 random tries) into `image` and `mask`: their boxes and ids."""
    import colorsys

    import numpy as np
    from PIL import Image, ImageDraw

    height, width = mask.shape
    side = min(height, width)
    placed, boxes, classes = [], [], []
    for _ in range(40):
        if len(placed) == wanted:
            break
        class_id = int(rng.integers(0, len(CLASS_NAMES)))
        extent = rng.integers(round(0.28 * side), round(0.42 * side) + 1, size=2)
        if CLASS_NAMES[class_id] != "triangle":
            extent[1] = int(np.clip(extent[1], 0.75 * extent[0], 1.33 * extent[0]))
        w, h = int(extent[0]), int(extent[1])
        x0, y0 = int(rng.integers(1, width - w)), int(rng.integers(1, height - h))
        frame = (x0 - 2, y0 - 2, x0 + w + 2, y0 + h + 2)
        if any(frame[0] < b[2] and b[0] < frame[2] and frame[1] < b[3] and b[1] < frame[3] for b in placed):
            continue
        shape = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(shape)
        corners = (x0, y0, x0 + w - 1, y0 + h - 1)
        if CLASS_NAMES[class_id] == "circle":
            draw.ellipse(corners, fill=1)
        elif CLASS_NAMES[class_id] == "rectangle":
            draw.rectangle(corners, fill=1)
        elif rng.random() < 0.5:  # triangle pointing up
            draw.polygon([(x0, y0 + h - 1), (x0 + w - 1, y0 + h - 1), (x0 + (w - 1) / 2, y0)], fill=1)
        else:  # pointing down
            draw.polygon([(x0, y0), (x0 + w - 1, y0), (x0 + (w - 1) / 2, y0 + h - 1)], fill=1)
        pixels = np.asarray(shape, dtype=bool)
        rows, columns = np.nonzero(pixels)
        if colors == "class":
            color = np.clip(np.array(COLORS[CLASS_NAMES[class_id]]) + rng.integers(-25, 26, size=3), 0, 255)
        else:  # a random hue, saturated and bright enough to stand out of the dark noise
            color = np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.6, 0.9), rng.uniform(0.8, 1.0))) * 255
        image[pixels] = color.astype(np.uint8)
        mask[pixels] = class_id + 1
        placed.append(frame)
        boxes.append([int(columns.min()), int(rows.min()), int(columns.max()) + 1, int(rows.max()) + 1])
        classes.append(class_id)
    return boxes, classes


def _write_coco(folder, names, sizes, boxes, classes, masks) -> str:
    import json
    import os

    images, annotations = [], []
    for image_id, (name, (height, width), image_boxes, image_classes, mask) in enumerate(
        zip(names, sizes, boxes, classes, masks), start=1
    ):
        images.append({"id": image_id, "file_name": f"images/{name}.png", "width": width, "height": height})
        for (x1, y1, x2, y2), class_id in zip(image_boxes.tolist(), image_classes.tolist()):
            area = int((mask[int(y1):int(y2), int(x1):int(x2)] == class_id + 1).sum())
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": class_id + 1,
                "bbox": [int(x1), int(y1), int(x2 - x1), int(y2 - y1)], "area": area, "iscrowd": 0,
            })
    categories = [{"id": i + 1, "name": name, "supercategory": "shape"} for i, name in enumerate(CLASS_NAMES)]
    path = os.path.join(folder, "coco.json")
    with open(path, "w", encoding="utf-8") as file:
        json.dump({"images": images, "annotations": annotations, "categories": categories}, file, indent=1)
    return path


def _write_voc(folder, names, sizes, boxes, classes) -> None:
    import os

    os.makedirs(folder, exist_ok=True)
    for name, (height, width), image_boxes, image_classes in zip(names, sizes, boxes, classes):
        objects = "".join(
            f"  <object>\n    <name>{CLASS_NAMES[c]}</name>\n    <difficult>0</difficult>\n    <bndbox>"
            f"<xmin>{int(x1) + 1}</xmin><ymin>{int(y1) + 1}</ymin><xmax>{int(x2)}</xmax><ymax>{int(y2)}</ymax>"
            "</bndbox>\n  </object>\n"
            for (x1, y1, x2, y2), c in zip(image_boxes.tolist(), image_classes.tolist())
        )
        xml = (
            f"<annotation>\n  <folder>images</folder>\n  <filename>{name}.png</filename>\n"
            f"  <size><width>{width}</width><height>{height}</height><depth>3</depth></size>\n{objects}</annotation>\n"
        )
        with open(os.path.join(folder, name + ".xml"), "w", encoding="utf-8") as file:
            file.write(xml)


def _write_yolo(folder, names, sizes, boxes, classes) -> None:
    import os

    os.makedirs(folder, exist_ok=True)
    for name, (height, width), image_boxes, image_classes in zip(names, sizes, boxes, classes):
        lines = [
            f"{c} {(x1 + x2) / 2 / width:.6f} {(y1 + y2) / 2 / height:.6f} {(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}"
            for (x1, y1, x2, y2), c in zip(image_boxes.tolist(), image_classes.tolist())
        ]
        with open(os.path.join(folder, name + ".txt"), "w", encoding="utf-8") as file:
            file.write("".join(line + "\n" for line in lines))


def main(argv: list[str] | None = None) -> None:
    """`python -m data.synthetic.shapes FOLDER [--count N] [--seed S] [--size H W] [--objects MIN MAX] [--colors C]`.

    Example:
        $ python -m data.synthetic.shapes data/generated/shapes --count 160
        $ python -m data.synthetic.shapes data/generated/shapes_single --count 600 --size 32 32 --objects 1 1
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m data.synthetic.shapes", description=main.__doc__.splitlines()[0])
    parser.add_argument("folder", help="where to write images/, masks/, coco.json, voc/, labels/ (and classes/)")
    parser.add_argument("--count", type=int, default=160, help="number of images (default 160)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, nargs=2, action="append", metavar=("HEIGHT", "WIDTH"),
                        help="image size, repeat for several taken in turn (default 64 64 and 64 80)")
    parser.add_argument("--objects", type=int, nargs=2, default=list(DEFAULT_OBJECTS), metavar=("MIN", "MAX"),
                        help="fewest and most shapes per image, 1 to 3 (default 1 3); 1 1 also writes classes/")
    parser.add_argument("--colors", choices=COLOR_MODES, default="class",
                        help="class: red circles, green rectangles, blue triangles (default); random: any hue")
    args = parser.parse_args(argv)
    sizes = [tuple(size) for size in args.size] if args.size else ((64, 64), (64, 80))
    try:
        shapes = write_shapes(args.folder, count=args.count, sizes=sizes, seed=args.seed, objects=args.objects,
                              colors=args.colors)
    except ValueError as error:
        parser.error(str(error))
    what = "boxes, masks and class folders" if shapes.classes_folder else "boxes and masks"
    print(f"wrote {len(shapes.images)} images with {what} under {args.folder}")


if __name__ == "__main__":
    main()
