"""Generated shapes on noise (`data.synthetic.shapes`), written on first use, then read as COCO, VOC, YOLO or masks.

The first run writes `count` images with every annotation format under
`folder` (as `python -m data.synthetic.shapes FOLDER --count N --seed S`
would: the same seed writes the same bytes) and a `shapes.json` naming
count, seed, sizes, objects and colors (each of the last two left out when it is
the default, so a folder written before they existed reads as written with 1 to 3
shapes colored by class); later runs read the folder without writing anything.
The data set is written to a temporary folder beside `folder` and moved into
place when complete, so a killed run leaves no half-written data set.

A folder with a `shapes.json` of another count, seed, sizes, objects or colors is
an error (delete it, or name another folder). A folder without `shapes.json` (written
by `python -m data.synthetic.shapes` or by a test) is read as it is.

`annotations` picks the reader: `coco` (coco.json), `voc` (voc/*.xml), `yolo`
(labels/*.txt): detection of circle, rectangle, triangle; `masks`
(masks/*.png): segmentation with background first; `classes` (classes/<class>/*.png,
written when `objects: [1, 1]`): image classification of the one shape in each
image, the images decoded at the first of `sizes` (examples of kind "image",
as `image_folder` gives), so that the generative tasks (autoencoder, vae, gan,
diffusion, contrastive) and image_classification train on them.

Example (YAML):
    data:
      source: {type: shapes, folder: data/generated/shapes, count: 160, annotations: coco}
      # segmentation: {type: shapes, folder: data/generated/shapes, count: 160, annotations: masks}
      # one shape per image, classified: {type: shapes, folder: data/generated/shapes_single, count: 1500,
      #   sizes: [[32, 32]], objects: [1, 1], annotations: classes}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipelines.options import Options
from pipelines.registry import sources

MANIFEST = "shapes.json"
"""The file, under `folder`, that says the data set was generated here, and with which recipe (`_recipe`)."""

DEFAULT_OBJECTS = (1, 3)
"""The shapes per image a manifest without "objects" was written with (as `data.synthetic.shapes.DEFAULT_OBJECTS`)."""

ANNOTATION_FILES = {"coco": "coco.json", "voc": "voc", "yolo": "labels", "masks": "masks", "classes": "classes"}
"""What each `annotations` reads under `folder`."""


class ShapesOptions(Options):
    folder: str = Field(description="Where the data set is (written there on first use, then read).")
    annotations: Literal["coco", "voc", "yolo", "masks", "classes"] = Field(
        description="Which annotations to read: coco, voc or yolo (boxes), masks (segmentation), classes (the class "
                    "of the one shape in each image: image classification; needs objects: [1, 1])."
    )
    count: int = Field(160, ge=1, le=100000, description="Number of images written on first use.")
    seed: int = Field(0, ge=0, description="The same seed writes the same images.")
    sizes: list[tuple[int, int]] = Field(
        default_factory=lambda: [(64, 64), (64, 80)], min_length=1,
        description="(height, width) of the images, taken in turn; each side at least 24 pixels.",
    )
    objects: tuple[int, int] = Field(
        DEFAULT_OBJECTS,
        description="(fewest, most) shapes per image, 1 to 3; [1, 1] for one shape per image (annotations: classes).",
    )
    colors: Literal["class", "random"] = Field(
        "class", description="class: red circles, green rectangles, blue triangles; random: a random hue per "
                             "shape, so that only its form tells its class.",
    )

    @field_validator("sizes")
    @classmethod
    def _large_enough(cls, sizes):
        small = [list(size) for size in sizes if min(size) < 24]
        if small:
            raise ValueError(f"each side must be at least 24 pixels, got {small}")
        return sizes

    @field_validator("objects")
    @classmethod
    def _one_to_three(cls, objects):
        if not 1 <= objects[0] <= objects[1] <= 3:
            raise ValueError(f"objects is [fewest, most] shapes per image, 1 <= fewest <= most <= 3, "
                             f"got {list(objects)}")
        return objects

    @model_validator(mode="after")
    def _classes_need_one_shape(self):
        if self.annotations == "classes" and self.objects[1] != 1:
            raise ValueError(
                f"annotations: classes labels each image with the class of its one shape, but objects is "
                f"{list(self.objects)} (up to {self.objects[1]} shapes per image); set objects: [1, 1]"
            )
        return self


@sources.register("shapes", ShapesOptions)
def load_shapes(options: ShapesOptions, *, on_bad_record: str = "error"):
    """The shapes data set in `folder`, written first if missing, read with the reader of `annotations`.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp() + "/shapes"
        >>> examples = load_shapes(ShapesOptions(folder=folder, annotations="coco", count=2))
        >>> examples.kind, examples.class_names, examples.image_sizes.tolist()
        ('detection', ['circle', 'rectangle', 'triangle'], [[64, 64], [64, 80]])
        >>> single = ShapesOptions(folder=folder + "_single", annotations="classes", count=12, sizes=[(32, 32)],
        ...                        objects=(1, 1))
        >>> examples = load_shapes(single)
        >>> examples.kind, examples.class_names, examples.image_shape, examples.labels.shape
        ('image', ['circle', 'rectangle', 'triangle'], (32, 32, 3), (12,))
    """
    import os

    from data.synthetic.shapes import CLASS_NAMES, MASK_CLASS_NAMES

    folder = ensure_shapes(options)
    images = os.path.join(folder, "images")
    if options.annotations == "classes":
        from data.sources.image_folder import ImageFolderOptions, load_image_folder

        height, width = options.sizes[0]
        reader = ImageFolderOptions(path=os.path.join(folder, "classes"), image_size=[height, width])
        examples = load_image_folder(reader, on_bad_record=on_bad_record)
        examples.origin = f"shapes:{folder}"
        return examples
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
    recipe = _recipe(options.count, options.seed, options.sizes, options.objects, options.colors)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(f"shapes: {folder} is not a folder")
    if not (os.path.isdir(folder) and os.listdir(folder)):
        _generate(folder, recipe)
    manifest = os.path.join(folder, MANIFEST)
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as file:
            written = json.load(file)
        if _recipe(written.get("count"), written.get("seed"), written.get("sizes", []),
                   written.get("objects", DEFAULT_OBJECTS), written.get("colors", "class")) != recipe:
            raise ValueError(
                f"shapes: {folder} holds shapes written with {_describe(written)}, but the spec asks for "
                f"{_describe(recipe)}; delete the folder to write them again, or name another folder"
            )
    elif not os.path.exists(os.path.join(folder, ANNOTATION_FILES[options.annotations])):
        raise ValueError(
            f"shapes: {folder} is not empty but has no {MANIFEST} and no {ANNOTATION_FILES[options.annotations]} "
            f"for annotations: {options.annotations}; name an empty or missing folder, or write the data set "
            f"with `python -m data.synthetic.shapes {options.folder} --count {options.count} --seed {options.seed}"
            + "".join(f" --size {height} {width}" for height, width in options.sizes)
            + (f" --objects {options.objects[0]} {options.objects[1]}" if "objects" in recipe else "")
            + (f" --colors {options.colors}`" if "colors" in recipe else "`")
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
    what = "boxes, masks and class folders" if recipe.get("objects") == [1, 1] else "boxes and masks"
    print(f"shapes: writing {recipe['count']} images with {what} under {folder} (first use)", file=sys.stderr)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}-", dir=parent)
    try:
        write_shapes(staging, count=recipe["count"], sizes=recipe["sizes"], seed=recipe["seed"],
                     objects=recipe.get("objects", DEFAULT_OBJECTS), colors=recipe.get("colors", "class"))
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


def _recipe(count, seed, sizes, objects, colors) -> dict:
    """What the manifest holds; objects and colors only when not the default, so older folders read the same."""
    recipe = {"count": count, "seed": seed, "sizes": [list(size) for size in sizes]}
    if list(objects) != list(DEFAULT_OBJECTS):
        recipe["objects"] = list(objects)
    if colors != "class":
        recipe["colors"] = colors
    return recipe


def _describe(recipe: dict) -> str:
    sizes = ", ".join(f"{height}x{width}" for height, width in recipe.get("sizes", []))
    fewest, most = recipe.get("objects", DEFAULT_OBJECTS)
    objects = f"{fewest} shape" if fewest == most == 1 else f"{fewest} to {most} shapes"
    colors = "colored by class" if recipe.get("colors", "class") == "class" else f"colors {recipe['colors']}"
    return (f"count {recipe.get('count')}, seed {recipe.get('seed')}, sizes (height x width) {sizes}, "
            f"{objects} per image, {colors}")
