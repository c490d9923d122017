"""Reading helpers shared by the annotated-image sources (coco, voc, yolo, mask_folder).

A detection source parses its annotation files into one `ImageRecord` per
image, then `detection_examples` reads every image once (size, full decode
and digest, in threads), checks the boxes against the real image size and builds
the `detection` Examples. A record with any problem is one bad record under
`on_bad_record`: an error naming the file, or under skip the whole image is
dropped and counted.

Boxes are xyxy in pixels of the original image, the pixel grid being
continuous: a box covering pixel columns 0..9 is x1=0, x2=10. Coordinates up to
`TOLERANCE` (0.5 px) outside the image are rounding and are clamped to its
edge; further out is a bad record, and so is a box of zero or negative size.

Example:
    >>> box_problem([-0.2, 0, 64.4, 10], height=48, width=64) is None
    True
    >>> box_problem([10, 0, 70, 10], height=48, width=64)
    'box [10, 0, 70, 10] (xyxy) is outside the 64x48 image'
"""

from __future__ import annotations

from dataclasses import dataclass, field

BOX_FORMAT = "xyxy"
"""The one box format inside the pipeline: corners in absolute pixels (Keras / keras-cv name).
Readers convert to it, geometric stages are built for it, detection tasks convert from it."""

TOLERANCE = 0.5
"""How far (in pixels) a box may reach outside the image before it is a bad record."""

IMAGE_EXTENSIONS = ["png", "jpg", "jpeg", "bmp", "gif"]
"""File extensions the annotated-image sources read as images by default."""


@dataclass
class ImageRecord:
    """One image and its boxes, as an annotation format states them.

    Attributes:
        image: Absolute path of the image file.
        where: How a problem of the whole image is named (the annotation file and the image).
        boxes: xyxy pixels of the original image, or (cx, cy, w, h) fractions of
            its width and height when `normalized` (YOLO).
        classes: Class id of each box, 0..C-1.
        box_where: How a problem of each box is named ("<file> line 3").
        problem: (where, reason) of a problem found while parsing, or None.
        declared_size: (height, width) the annotation file states, checked against the image.
        normalized: Boxes are YOLO (cx, cy, w, h) in [0, 1].
    """

    image: str
    where: str
    boxes: list = field(default_factory=list)
    classes: list = field(default_factory=list)
    box_where: list = field(default_factory=list)
    problem: tuple[str, str] | None = None
    declared_size: tuple[int, int] | None = None
    normalized: bool = False


def decode_image_file(path):
    """TensorFlow: an image file path to its uint8 [H, W, 3] pixels, at the image's own size.

    Example:
        >>> decode_image_file(tf.constant("/data/a.png")).dtype   # doctest: +SKIP
        tf.uint8
    """
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def decode_mask_file(path):
    """TensorFlow: a PNG mask path to its uint8 [H, W, 1] class ids.

    Example:
        >>> decode_mask_file(tf.constant("/data/masks/a.png")).shape   # doctest: +SKIP
        TensorShape([64, 80, 1])
    """
    import tensorflow as tf

    mask = tf.io.decode_png(tf.io.read_file(path), channels=1)
    mask.set_shape([None, None, 1])
    return mask


def image_size(path: str) -> tuple[tuple[int, int] | None, str | None, bytes]:
    """((height, width), None, sha256 of its bytes) of a readable image TensorFlow can decode, else (None, why, b"").

    The file is read once: its bytes are fully decoded (a truncated file is
    caught at load), measured and hashed, so the data fingerprint need not
    read it again (`Examples.file_digests`).

    Example:
        >>> image_size("/no/such.png")
        (None, 'no such image file', b'')
    """
    import hashlib
    import io
    import os

    from PIL import Image

    from data.sources.image_folder import _bytes_problem

    if not os.path.isfile(path):
        return None, "no such image file", b""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        return None, str(error) or type(error).__name__, b""
    problem = _bytes_problem(data)
    if problem is not None:
        return None, problem, b""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return (height, width), None, hashlib.sha256(data).digest()


def parallel(function, items: list) -> list:
    """`function` of each item, in a few threads (file reading), in order.

    Example:
        >>> parallel(len, ["ab", "c"])
        [2, 1]
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    if len(items) < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(function, items))


def box_problem(box, height: int, width: int, tolerance: float = TOLERANCE) -> str | None:
    """Why an xyxy pixel box cannot be used in a `width` x `height` image, or None.

    Example:
        >>> box_problem([5, 5, 5, 9], height=10, width=10)
        'box [5, 5, 5, 9] (xyxy) has zero or negative size'
    """
    import math

    x1, y1, x2, y2 = (float(v) for v in box)
    shown = f"[{', '.join(f'{v:g}' for v in (x1, y1, x2, y2))}] (xyxy)"
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        return f"box {shown} is not finite"
    if x2 <= x1 or y2 <= y1:
        return f"box {shown} has zero or negative size"
    if x1 < -tolerance or y1 < -tolerance or x2 > width + tolerance or y2 > height + tolerance:
        return f"box {shown} is outside the {width}x{height} image"
    return None


def files_by_stem(folder: str, extensions: list[str]) -> tuple[dict[str, str], list[str]]:
    """Files under `folder` (recursively, hidden ones left out) with one of `extensions`, keyed by stem.

    The stem is the path relative to `folder` without its extension
    ("sub/a" for folder/sub/a.png). Returns the files by stem and the files
    whose stem another file already has (a.png and a.jpg), both sorted.

    Example:
        >>> files_by_stem("/no/such/folder", ["png"])
        ({}, [])
    """
    import os

    wanted = {"." + e.lower().lstrip(".") for e in extensions}
    found: dict[str, str] = {}
    clashes = []
    for parent, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            stem, extension = os.path.splitext(name)
            if name.startswith(".") or extension.lower() not in wanted:
                continue
            path = os.path.join(parent, name)
            key = os.path.relpath(os.path.join(parent, stem), folder)
            if key in found:
                clashes.append(path)
            else:
                found[key] = path
    return dict(sorted(found.items())), sorted(clashes)


def detection_examples(records: list[ImageRecord], class_names: list[str], bad, origin: str):
    """`detection` Examples of the good records; each bad one goes to `bad` (a BadRecords).

    Reads every image once (in threads) for its size, its digest (kept in
    `file_digests` for the fingerprint) and to catch corrupt files, checks the
    stated size, turns YOLO fractions into pixels, checks every box and clamps
    the ones within `TOLERANCE` of the edge.

    Example:
        >>> examples = detection_examples(records, ["cat", "dog"], BadRecords("skip"), "voc:/data")  # doctest: +SKIP
        >>> examples.labels[0]["boxes"], examples.image_sizes[0]                                   # doctest: +SKIP
        (array([[ 3.,  4., 20., 31.]], dtype=float32), array([48, 64]))
    """
    import numpy as np

    from data.examples import Examples

    to_read = [record.image for record in records if record.problem is None]
    sizes = dict(zip(to_read, parallel(image_size, to_read)))
    paths, labels, image_sizes = [], [], []
    for record in records:
        if record.problem is not None:
            bad(*record.problem)
            continue
        size, problem, _ = sizes[record.image]
        if problem is not None:
            bad(record.where, problem)
            continue
        height, width = size
        if record.declared_size is not None and tuple(record.declared_size) != (height, width):
            stated_height, stated_width = record.declared_size
            bad(record.where, f"the annotation says the image is {stated_width}x{stated_height} but it is {width}x{height}")
            continue
        boxes = np.asarray(record.boxes, dtype="float64").reshape(-1, 4)
        if record.normalized:
            center, extent = boxes[:, :2], boxes[:, 2:]
            boxes = np.concatenate([center - extent / 2, center + extent / 2], axis=1) * [width, height, width, height]
        problems = [(where, box_problem(box, height, width)) for box, where in zip(boxes, record.box_where)]
        problems = [(where, reason) for where, reason in problems if reason is not None]
        if problems:
            (where, reason), more = problems[0], len(problems) - 1
            bad(where, reason + (f" (and {more} more bad box{'es' * (more != 1)} in this image)" if more else ""))
            continue
        boxes = np.clip(boxes, 0, [width, height, width, height])
        paths.append(record.image)
        labels.append({"boxes": boxes.astype("float32"), "classes": np.asarray(record.classes, dtype="int64")})
        image_sizes.append((height, width))
    if not paths:
        raise ValueError(f"{origin}: no usable images ({bad.count} bad records)")
    return Examples(
        np.array(paths, dtype=str), labels, list(class_names), decode=decode_image_file, skipped=bad.count,
        origin=origin, skipped_records=bad.records, kind="detection",
        image_sizes=np.array(image_sizes, dtype="int64"), file_digests={path: sizes[path][2] for path in paths},
    )
