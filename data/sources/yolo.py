"""YOLO txt object detection: one label file per image, a `class cx cy w h` line per box.

Images are the files under `images` (sub-folders too); the labels of
`images/sub/a.png` are in `labels/sub/a.txt`. Each line is a class id (an
index into `names`, which gives the class names in id order) and the box's
center and size as fractions of the image's width and height; they become
xyxy pixels of the image. An image without a label file, or with an empty one,
has no objects (the YOLO convention for background images).

A line that is not five numbers, a class id outside `names`, a box outside the
image (more than 0.5 px) or of zero size, an unreadable image, or a label file
without an image (`classes.txt` excepted) is a bad record named
"<label file> line <n>" (or the file); under `on_bad_record: skip` the whole
image is dropped and counted.

Example (YAML):
    data:
      source: {type: yolo, images: data/shapes/images, labels: data/shapes/labels, names: [circle, rectangle, triangle]}
"""

from __future__ import annotations

from pydantic import Field

from data.annotations import IMAGE_EXTENSIONS
from pipelines.options import Options
from pipelines.registry import sources


class YoloOptions(Options):
    images: str = Field(description="Folder of the images (read recursively).")
    labels: str = Field(description="Folder of the label files: the labels of images/sub/a.png are in labels/sub/a.txt.")
    names: list[str] = Field(min_length=1, description="Class names in id order: class id 0 is names[0].")
    extensions: list[str] = Field(
        default_factory=lambda: list(IMAGE_EXTENSIONS), min_length=1,
        description="File extensions read as images (case-insensitive); other files are ignored.",
    )


@sources.register("yolo", YoloOptions)
def load_yolo(options: YoloOptions, *, on_bad_record: str = "error"):
    """Images and boxes of YOLO txt labels: `detection` examples, class names from `names`.

    Example:
        >>> import tempfile
        >>> from data.synthetic import write_shapes
        >>> shapes = write_shapes(tempfile.mkdtemp(), count=2, formats=["yolo"])
        >>> examples = load_yolo(YoloOptions(**{k: v for k, v in shapes.sources["yolo"].items() if k != "type"}))
        >>> examples.kind, examples.class_names, examples.labels[0]["boxes"].shape[1]
        ('detection', ['circle', 'rectangle', 'triangle'], 4)
    """
    import os

    from data.annotations import ImageRecord, detection_examples, files_by_stem
    from data.errors import BadRecords

    bad = BadRecords(on_bad_record)
    images = os.path.abspath(options.images)
    labels = os.path.abspath(options.labels)
    for folder, what in ((images, "images"), (labels, "labels")):
        if not os.path.isdir(folder):
            raise ValueError(f"yolo: {what} folder {folder} is not a folder")
    image_files, clashes = files_by_stem(images, options.extensions)
    if not image_files:
        raise ValueError(f"yolo: no images in {images} (extensions: {', '.join(options.extensions)})")
    for path in clashes:
        bad(path, "another image has the same name, so both would share one label file")
    label_files, _ = files_by_stem(labels, ["txt"])
    for stem, path in label_files.items():
        if stem not in image_files and os.path.basename(path) != "classes.txt":
            bad(path, f"no image named {stem}.* in {images}")

    records = []
    for stem, image in image_files.items():
        label = os.path.join(labels, stem + ".txt")
        record = ImageRecord(image, f"{label} ({image})", normalized=True)
        if os.path.isfile(label):
            _read_labels(label, record, len(options.names))
        records.append(record)
    return detection_examples(records, options.names, bad, f"yolo:{images}")


def _read_labels(label: str, record, count: int) -> None:
    """Adds the boxes of one label file to `record`, or sets its `problem` at the first bad line."""
    try:
        with open(label, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        record.problem = (label, f"cannot read: {error}")
        return
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{label} line {number}"
        fields = line.split()
        try:
            if len(fields) != 5:
                raise ValueError
            class_id = int(fields[0])
            box = [float(v) for v in fields[1:]]
        except ValueError:
            record.problem = (where, f"expected `class cx cy w h` (an integer and four numbers), got {line.strip()!r}")
            return
        if not 0 <= class_id < count:
            record.problem = (where, f"unknown class id {class_id} (names has {count})")
            return
        record.boxes.append(box)
        record.classes.append(class_id)
        record.box_where.append(where)
