"""Generated shapes on noise (`data.synthetic.shapes`), written on first use, then read as COCO, VOC, YOLO or masks.

The first run writes `count` images with every annotation format under
`folder` (as `python -m data.synthetic.shapes FOLDER --count N --seed S`
would: the same seed writes the same bytes) and a `shapes.json` naming
count, seed and sizes; later runs read the folder without writing anything.
The data set is written to a temporary folder beside `folder` and moved into
place when complete, so a killed run leaves no half-written data set.

A folder with a `shapes.json` of another count, seed or sizes is an error
(delete it, or name another folder). A folder without `shapes.json` (written
by `python -m data.synthetic.shapes` or by a test) is read as it is.

`annotations` picks the reader: `coco` (coco.json), `voc` (voc/*.xml), `yolo`
(labels/*.txt): detection of circle, rectangle, triangle; `masks`
(masks/*.png): segmentation with background first.

Example (YAML):
    data:
      source: {type: shapes, folder: data/generated/shapes, count: 160, annotations: coco}
      # segmentation: {type: shapes, folder: data/generated/shapes, count: 160, annotations: masks}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from pipelines.options import Options
from pipelines.registry import sources

MANIFEST = "shapes.json"
"""The file, under `folder`, that says the data set was generated here, and with which count, seed and sizes."""

ANNOTATION_FILES = {"coco": "coco.json", "voc": "voc", "yolo": "labels", "masks": "masks"}
"""What each `annotations` reads under `folder`."""


class ShapesOptions(Options):
    folder: str = Field(description="Where the data set is (written there on first use, then read).")
    annotations: Literal["coco", "voc", "yolo", "masks"] = Field(
        description="Which annotations to read: coco, voc or yolo (boxes), masks (segmentation)."
    )
    count: int = Field(160, ge=1, le=100000, description="Number of images written on first use.")
    seed: int = Field(0, ge=0, description="The same seed writes the same images.")
    sizes: list[tuple[int, int]] = Field(
        default_factory=lambda: [(64, 64), (64, 80)], min_length=1,
        description="(height, width) of the images, taken in turn; each side at least 24 pixels.",
    )

    @field_validator("sizes")
    @classmethod
    def _large_enough(cls, sizes):
        small = [list(size) for size in sizes if min(size) < 24]
        if small:
            raise ValueError(f"each side must be at least 24 pixels, got {small}")
        return sizes


@sources.register("shapes", ShapesOptions)
def load_shapes(options: ShapesOptions, *, on_bad_record: str = "error"):
    """The shapes data set in `folder`, written first if missing, read with the reader of `annotations`.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp() + "/shapes"
        >>> examples = load_shapes(ShapesOptions(folder=folder, annotations="coco", count=2))
        >>> examples.kind, examples.class_names, examples.image_sizes.tolist()
        ('detection', ['circle', 'rectangle', 'triangle'], [[64, 64], [64, 80]])
    """
    import os

    from data.synthetic.shapes import CLASS_NAMES, MASK_CLASS_NAMES

    folder = ensure_shapes(options)
    images = os.path.join(folder, "images")
    if options.annotations == "coco":
        from data.sources.coco import CocoOptions, load_coco

        return load_coco(CocoOptions(path=os.path.join(folder, "coco.json")), on_bad_record=on_bad_record)
    if options.annotations == "voc":
        from data.sources.voc import VocOptions, load_voc

        reader = VocOptions(path=folder, annotations="voc", images="images", class_names=CLASS_NAMES)
        return load_voc(reader, on_bad_record=on_bad_record)
    if options.annotations == "yolo":
        from data.sources.yolo import YoloOptions, load_yolo

        reader = YoloOptions(images=images, labels=os.path.join(folder, "labels"), names=CLASS_NAMES)
        return load_yolo(reader, on_bad_record=on_bad_record)
    from data.sources.mask_folder import MaskFolderOptions, load_mask_folder

    reader = MaskFolderOptions(images=images, masks=os.path.join(folder, "masks"), class_names=MASK_CLASS_NAMES)
    return load_mask_folder(reader, on_bad_record=on_bad_record)


def ensure_shapes(options: ShapesOptions) -> str:
    """The absolute `folder`, after writing the data set there when it is missing or empty.

    Example:
        >>> import tempfile
        >>> folder = ensure_shapes(ShapesOptions(folder=tempfile.mkdtemp(), annotations="masks", count=2))
        >>> import os; sorted(os.listdir(folder))
        ['coco.json', 'images', 'labels', 'masks', 'shapes.json', 'voc']
    """
    import json
    import os

    folder = os.path.abspath(options.folder)
    recipe = {"count": options.count, "seed": options.seed, "sizes": [list(size) for size in options.sizes]}
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(f"shapes: {folder} is not a folder")
    if not (os.path.isdir(folder) and os.listdir(folder)):
        _generate(folder, recipe)
    manifest = os.path.join(folder, MANIFEST)
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as file:
            written = json.load(file)
        if written != recipe:
            raise ValueError(
                f"shapes: {folder} holds shapes written with {_describe(written)}, but the spec asks for "
                f"{_describe(recipe)}; delete the folder to write them again, or name another folder"
            )
    elif not os.path.exists(os.path.join(folder, ANNOTATION_FILES[options.annotations])):
        raise ValueError(
            f"shapes: {folder} is not empty but has no {MANIFEST} and no {ANNOTATION_FILES[options.annotations]} "
            f"for annotations: {options.annotations}; name an empty or missing folder, or write the data set "
            f"with `python -m data.synthetic.shapes {options.folder} --count {options.count} --seed {options.seed}`"
        )
    return folder


def _generate(folder: str, recipe: dict) -> None:
    """Writes the data set and its manifest in a temporary folder beside `folder`, then moves it into place."""
    import json
    import os
    import shutil
    import sys
    import tempfile

    from data.synthetic.shapes import write_shapes

    parent = os.path.dirname(folder)
    os.makedirs(parent, exist_ok=True)
    print(f"shapes: writing {recipe['count']} images with boxes and masks under {folder} (first use)",
          file=sys.stderr)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}-", dir=parent)
    try:
        write_shapes(staging, count=recipe["count"], sizes=recipe["sizes"], seed=recipe["seed"])
        with open(os.path.join(staging, MANIFEST), "w", encoding="utf-8") as file:
            json.dump(recipe, file)
        if os.path.isdir(folder):
            os.rmdir(folder)  # empty (checked by the caller); os.replace would refuse it on Windows
        os.replace(staging, folder)
    except OSError:
        if not os.path.isfile(os.path.join(folder, MANIFEST)):  # not another process that wrote it first
            raise
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)


def _describe(recipe: dict) -> str:
    sizes = ", ".join(f"{height}x{width}" for height, width in recipe.get("sizes", []))
    return f"count {recipe.get('count')}, seed {recipe.get('seed')}, sizes (height x width) {sizes}"
