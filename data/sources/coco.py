"""COCO JSON object detection: `images`, `annotations` (bbox + category_id) and `categories`.

Class names are the categories' names sorted by category id, mapped to the
contiguous ids 0..C-1 (ids 1, 3, 7 become 0, 1, 2). A `bbox` is
[x, y, width, height] in pixels of the image; it becomes xyxy. Images come in
the order of `images`, those without annotations with no boxes; `iscrowd: 1`
annotations are left out unless `include_crowd`. An unknown category_id, a
box outside the image (more than 0.5 px) or of zero size, an image whose size
is not the stated width/height, or a missing or unreadable image file is a bad record named
"<json> annotation <id> (<image file>)" or "<json> image <id> (<image file>)";
under `on_bad_record: skip` the whole image is dropped and counted.

Example (YAML):
    data:
      source: {type: coco, path: data/shapes/coco.json}
      # images elsewhere: {type: coco, path: annotations/instances_val2017.json, images: val2017}
"""

from __future__ import annotations

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import sources


class CocoOptions(Options):
    path: str = Field(
        description="COCO JSON file with `images` (id, file_name, width, height), `annotations` "
        "(id, image_id, category_id, bbox [x, y, width, height] in pixels) and `categories` (id, name)."
    )
    images: str | None = Field(
        default=None, description="Folder the images' `file_name`s are relative to; default: the JSON file's folder."
    )
    include_crowd: bool = Field(
        default=False, description="Keep `iscrowd: 1` annotations (one box around a crowd); left out by default."
    )


@sources.register("coco", CocoOptions)
def load_coco(options: CocoOptions, *, on_bad_record: str = "error"):
    """Images and boxes of a COCO JSON file: `detection` examples, class names by category id.

    Example:
        >>> import tempfile
        >>> from data.synthetic import write_shapes
        >>> shapes = write_shapes(tempfile.mkdtemp(), count=2, formats=["coco"])
        >>> examples = load_coco(CocoOptions(path=shapes.sources["coco"]["path"]))
        >>> examples.kind, examples.class_names, examples.image_sizes.tolist()
        ('detection', ['circle', 'rectangle', 'triangle'], [[64, 64], [64, 80]])
    """
    import json
    import os

    from data.annotations import ImageRecord, detection_examples
    from data.errors import BadRecords

    bad = BadRecords(on_bad_record)
    path = os.path.abspath(options.path)
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError) as error:
        raise ValueError(f"coco: cannot read {path}: {error}") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("images", "annotations", "categories")):
        raise ValueError(f"coco: {path} needs the lists `images`, `annotations` and `categories`")
    root = os.path.abspath(options.images) if options.images else os.path.dirname(path)

    categories = {}
    for category in data["categories"]:
        if not (isinstance(category, dict) and _is_int(category.get("id")) and isinstance(category.get("name"), str)):
            raise ValueError(f"coco: {path}: every category needs an integer `id` and a string `name`, got {category!r}")
        if category["id"] in categories:
            raise ValueError(f"coco: {path}: category id {category['id']} appears twice")
        categories[category["id"]] = category["name"]
    if not categories:
        raise ValueError(f"coco: {path} has no categories")
    class_names = [categories[i] for i in sorted(categories)]
    if len(set(class_names)) != len(class_names):
        raise ValueError(f"coco: {path}: two categories share a name: {class_names}")
    class_of = {category_id: index for index, category_id in enumerate(sorted(categories))}

    records: dict = {}
    for entry in data["images"]:
        image_id = entry.get("id") if isinstance(entry, dict) else None
        if image_id is None or isinstance(image_id, (dict, list)):
            raise ValueError(f"coco: {path}: every image needs an `id`, got {entry!r}")
        if image_id in records:
            raise ValueError(f"coco: {path}: image id {image_id} appears twice")
        name = entry.get("file_name")
        image = os.path.join(root, name) if isinstance(name, str) and name else ""
        record = ImageRecord(image, f"{path} image {image_id} ({image or 'no file_name'})")
        if not image:
            record.problem = (record.where, "no `file_name`")
        width, height = entry.get("width"), entry.get("height")
        if _is_int(width) and _is_int(height):
            record.declared_size = (height, width)
        records[image_id] = record

    for position, annotation in enumerate(data["annotations"]):
        if not isinstance(annotation, dict):
            bad(f"{path} annotations[{position}]", f"an annotation must be an object, got {annotation!r}")
            continue
        annotation_id = annotation.get("id", "?")
        record = records.get(annotation.get("image_id"))
        if record is None:
            bad(f"{path} annotation {annotation_id}", f"image_id {annotation.get('image_id')!r} is not in `images`")
            continue
        if record.problem is not None or (annotation.get("iscrowd") and not options.include_crowd):
            continue
        where = f"{path} annotation {annotation_id} ({record.image})"
        category = annotation.get("category_id")
        bbox = annotation.get("bbox")
        if category not in class_of or isinstance(category, bool):
            record.problem = (where, f"unknown category_id {category!r} (categories: {sorted(categories)})")
        elif not (isinstance(bbox, list) and len(bbox) == 4 and all(_is_number(v) for v in bbox)):
            record.problem = (where, f"`bbox` must be [x, y, width, height] numbers, got {bbox!r}")
        else:
            x, y, width, height = (float(v) for v in bbox)
            record.boxes.append([x, y, x + width, y + height])
            record.classes.append(class_of[category])
            record.box_where.append(where)

    if not records:
        raise ValueError(f"coco: {path} has no images")
    return detection_examples(list(records.values()), class_names, bad, f"coco:{path}")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
