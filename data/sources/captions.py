"""`captions`: images in a folder with a CSV of file name and caption, or a COCO captions JSON (image/caption pairs).

A COCO captions file (`format: coco`, e.g. `captions_train2017.json`) gives
one example per caption annotation: an image with five captions is five
examples (file names from its `images`, captions from its `annotations`).

Every image is read once at load, as the `image_folder` source does (its bytes
hashed for the data fingerprint, fully decoded so that a corrupt file fails or
is skipped before anything trains). The examples are images; their labels are
caption ids, `class_names` the distinct captions (sorted), so that one caption
shared by several images is one id (a task that trains on captions reads them
back from `class_names`).

With `generate_shapes: true` a missing (or empty) folder is first filled with
captioned shapes (`data.synthetic.captioned_shapes`: `objects` shapes per image,
two or three, and the caption that names them left to right), written to a
temporary folder and moved into place, never over an existing data set. Three
shapes give 504 captions, so that some test captions are never seen in
training. `image_size` left out is the generated size, 32 x 48 for two shapes
and 32 x 72 for three (any other size stretches the images), and
`PHOTO_SIZE` for a folder of your own.

Example (YAML):
    data:
      source: {type: captions, folder: data/flickr, captions: captions.csv, file_column: image,
               caption_column: caption, image_size: [224, 224]}
      # generated: {type: captions, folder: data/generated/captioned_shapes, generate_shapes: true, count: 2880}
      # three shapes, 32 x 72: {..., generate_shapes: true, objects: 3, count: 5040}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.options import Options, PositiveInt
from pipelines.registry import sources

PHOTO_SIZE = (128, 128)
"""(height, width) images of a folder not generated here are resized to when `image_size` is left out."""

MANIFEST = "captioned_shapes.json"
"""The file, under `folder`, that says the data set was generated here, and with which count, seed and objects."""


class CaptionsOptions(Options):
    folder: str = Field(description="Folder of the images; file names in the CSV are relative to it.")
    captions: str = Field("captions.csv", description="The CSV of file names and captions (or the COCO captions "
                                                      "JSON), relative to `folder` (or absolute).")
    format: Literal["csv", "coco"] = Field("csv", description="csv (`file_column`, `caption_column`) or coco (a COCO "
                                                              "captions JSON: images and caption annotations).")
    file_column: str = Field("file", description="CSV column with each image's file name.")
    caption_column: str = Field("caption", description="CSV column with each image's caption.")
    image_size: list[PositiveInt] | None = Field(
        None, min_length=2, max_length=2,
        description="[height, width] every image is resized to when decoded; null (the default): [128, 128], or "
                    "with generate_shapes the size captioned shapes are drawn at, [32, 24 x objects] ([32, 48] "
                    "for the default 2 objects).")
    color_mode: Literal["rgb", "grayscale"] = Field("rgb", description="rgb (3 channels) or grayscale (1 channel).")
    generate_shapes: bool = Field(
        False, description="Write captioned shapes into `folder` first when it is missing or empty (never over "
                           "an existing data set).")
    count: PositiveInt = Field(2880, description="Images to generate (with `generate_shapes: true`).")
    seed: int = Field(0, description="Seed of the generated images (with `generate_shapes: true`).")
    objects: int = Field(2, ge=2, le=3, description="Shapes per generated image, left to right (with "
                                                    "`generate_shapes: true`): 2 (32 x 48 images, 72 captions) or "
                                                    "3 (32 x 72 images, 504 captions).")


@sources.register("captions", CaptionsOptions)
def load_captions(options: CaptionsOptions, *, on_bad_record: str = "error"):
    """Image/caption pairs: images decoded lazily from disk, caption ids as labels, captions as class names.

    Example:
        >>> import tempfile
        >>> examples = load_captions(CaptionsOptions(folder=tempfile.mkdtemp() + "/c", generate_shapes=True, count=4))
        >>> examples.size, examples.image_shape, examples.class_names[0].startswith("a ")
        (4, (32, 48, 3), True)
        >>> three = CaptionsOptions(folder=tempfile.mkdtemp() + "/c", generate_shapes=True, count=2, objects=3)
        >>> load_captions(three).image_shape
        (32, 72, 3)
    """
    import os

    import numpy as np

    from data.errors import BadRecords
    from data.examples import Examples
    from data.sources.image_folder import _read_all
    from data.synthetic.captioned_shapes import image_size

    folder = os.path.abspath(options.folder)
    if options.generate_shapes:
        ensure_generated(folder, options.count, options.seed, options.objects)
    if not os.path.isdir(folder):
        raise ValueError(f"captions: data.source.folder {folder} is not a folder (set generate_shapes: true to write "
                         f"captioned shapes there)")
    where = os.path.join(folder, options.captions)
    if options.format == "coco":
        rows = read_coco(where)
    else:
        rows = read_rows(where, options.file_column, options.caption_column)
    bad = BadRecords(on_bad_record)
    kept = []
    for where, file, text in rows:
        if not text.strip():
            bad(where, f"empty caption in column {options.caption_column!r}")
        elif not file.strip():
            bad(where, f"empty file name in column {options.file_column!r}")
        else:
            kept.append((where, os.path.join(folder, file), " ".join(text.split())))
    paths = [path for _, path, _ in kept]
    good, digests = [], {}
    for (where, path, text), (problem, digest) in zip(kept, _read_all(paths)):
        if problem is None:
            good.append((path, text))
            digests[path] = digest
        else:
            bad(f"{where} ({path})", problem)
    if not good:
        raise ValueError(f"captions: no readable image/caption pair in {os.path.join(folder, options.captions)}")
    names = sorted({text for _, text in good})
    ids = {text: index for index, text in enumerate(names)}
    height, width = options.image_size or (image_size(options.objects) if options.generate_shapes else PHOTO_SIZE)
    image_shape = (height, width, 3 if options.color_mode == "rgb" else 1)

    def decode(path):
        import tensorflow as tf

        from data.images import decode_image

        return decode_image(tf.io.read_file(path), image_shape)

    return Examples(np.array([path for path, _ in good], dtype=str),
                    np.array([ids[text] for _, text in good], dtype="int64"), names, decode=decode,
                    image_shape=image_shape, skipped=bad.count, origin=f"captions:{folder}",
                    skipped_records=bad.records, file_digests=digests, kind="image")


def read_rows(path: str, file_column: str, caption_column: str) -> list[tuple[str, str, str]]:
    """(where, file name, caption) of each data row of the CSV at `path`; `where` names the file and row.

    Example:
        >>> read_rows("data/generated/captioned_shapes/captions.csv", "file", "caption")[0]   # doctest: +SKIP
        ('.../captions.csv row 2', 'images/00000.png', 'a red circle left of a blue square')
    """
    import csv
    import os

    if not os.path.isfile(path):
        raise ValueError(f"captions: data.source.captions: no CSV at {path}")
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        header = reader.fieldnames or []
        for key, column in (("file_column", file_column), ("caption_column", caption_column)):
            if column not in header:
                raise ValueError(f"captions: data.source.{key}: {path} has no column {column!r} "
                                 f"(its columns: {', '.join(header) or 'none'})")
        return [(f"{path} row {number}", row[file_column] or "", row[caption_column] or "")
                for number, row in enumerate(reader, start=2)]


def read_coco(path: str) -> list[tuple[str, str, str]]:
    """(where, file name, caption) of each caption annotation of the COCO captions JSON at `path`.

    Example:
        >>> read_coco("data/coco/annotations/captions_val2017.json")[0]   # doctest: +SKIP
        ('.../captions_val2017.json annotation 0 (id 37)', '000000179765.jpg', 'A black Honda motorcycle ...')
    """
    import json
    import os

    if not os.path.isfile(path):
        raise ValueError(f"captions: data.source.captions: no COCO captions JSON at {path}")
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    if not isinstance(data, dict) or "images" not in data or "annotations" not in data:
        raise ValueError(f"captions: {path} is not a COCO captions file (it needs `images` and `annotations`)")
    files = {image.get("id"): image.get("file_name") or "" for image in data["images"]}
    rows = []
    for index, annotation in enumerate(data["annotations"]):
        where = f"{path} annotation {index} (id {annotation.get('id')})"
        image = annotation.get("image_id")
        if image not in files:
            raise ValueError(f"captions: {where}: image_id {image!r} is not among the file's images")
        rows.append((where, files[image], str(annotation.get("caption") or "")))
    return rows


def ensure_generated(folder: str, count: int, seed: int, objects: int = 2) -> None:
    """Write captioned shapes into `folder` when it is missing or empty; refuse a folder generated otherwise.

    The manifest's recipe is {count, seed}, and `objects` too when it is not 2
    (so a folder written before there was a choice still reads as two shapes).

    Example:
        >>> ensure_generated("/tmp/captioned_shapes", count=72, seed=0)   # doctest: +SKIP
    """
    import json
    import os
    import shutil
    import sys
    import tempfile

    from data.synthetic.captioned_shapes import write_captioned_shapes

    recipe = {"count": count, "seed": seed} | ({"objects": objects} if objects != 2 else {})
    if not (os.path.isdir(folder) and os.listdir(folder)):
        parent = os.path.dirname(folder)
        os.makedirs(parent, exist_ok=True)
        print(f"captions: writing {count} captioned shapes under {folder} (first use)", file=sys.stderr)
        staging = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}-", dir=parent)
        try:
            write_captioned_shapes(staging, count=count, seed=seed, objects=objects)
            with open(os.path.join(staging, MANIFEST), "w", encoding="utf-8") as file:
                json.dump(recipe, file)
            if os.path.isdir(folder):
                os.rmdir(folder)
            os.replace(staging, folder)
        except OSError:
            if not os.path.isfile(os.path.join(folder, MANIFEST)):  # not another process that wrote it first
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    manifest = os.path.join(folder, MANIFEST)
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as file:
            written = json.load(file)
        if written != recipe:
            raise ValueError(f"captions: {folder} holds captioned shapes written with {written}, but the spec asks "
                             f"for {recipe}; delete the folder to write them again, or name another folder")
