"""The object_detection and semantic_segmentation drafts: annotated images, measured before they are drafted.

The layout's source is read as a run reads it; the draft's header states what
was measured (images, classes, objects per image, the objects' shorter sides)
and the input size that `resize: auto` will pick for them, which is the
object_sizes rule applied to the task's `smallest_object` and `input_multiple`.
The spec itself keeps `resize: auto` and `epochs: auto`: the run measures its
own training split. The models are the shipped shapes specs' (a tiny YOLOv8 from
keras-cv, a small U-Net with cross-entropy + Dice).

Example:
    >>> import tempfile
    >>> from data.synthetic import write_shapes
    >>> from pipelines.init.layouts import find_layout
    >>> shapes = write_shapes(tempfile.mkdtemp(), count=4, formats=["coco"])
    >>> draft = vision_spec(find_layout(shapes.sources["coco"]["path"]), "shapes-detection")
    >>> draft.task, "  - resize: auto" in draft.text
    ('object_detection', True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipelines.init.layouts import Layout
from pipelines.init.render import (
    SPLIT,
    Draft,
    Lines,
    class_list,
    common_bottom,
    common_top,
    count,
    flow,
    header,
    path_comment,
    render,
    scalar,
    wrap,
)

DETECTION_BATCH_SIZE = 8
DETECTION_AUGMENT = [{"random_flip": "horizontal"}]
DETECTION_BACKBONE = {"stackwise_channels": [16, 32, 64, 128], "stackwise_depth": [1, 1, 1, 1],
                      "include_rescaling": False}
DETECTION_HEAD = {"detector": "yolov8", "nms_iou_threshold": 0.5, "confidence_threshold": 0.25,
                  "max_detections": 20, "fpn_depth": 1}
DETECTION_MAX_DETECTIONS = 100  # max_detections is twice the most objects of an image, from 20 up to this
DETECTION_OPTIMIZER = {"name": "adam", "learning_rate": 3.0e-3}

SEGMENTATION_BATCH_SIZE = 16
SEGMENTATION_AUGMENT = [{"random_flip": "horizontal"}]
SEGMENTATION_BACKBONE = {"source": "builtin", "name": "unet", "config": {"filters": [16, 32, 64]}}
SEGMENTATION_OPTIMIZER = {"name": "adam", "learning_rate": 3.0e-3}
IGNORE_VALUE = 255  # a mask value this high, with the other values small, marks pixels of no class (VOC borders)



@dataclass
class Measured:
    """What the draft's comments state about the data (objects are boxes, or connected mask regions)."""

    images: int
    class_names: list[str]
    objects_per_image: object  # numpy int array, one count per image
    sizes: object  # data.object_sizes.ObjectSizes
    input_size: tuple[int, int]
    smallest: int
    multiple: int
    per_class: str
    skipped: list[str]
    ignore_index: int | None = None


def vision_spec(layout: Layout, name: str) -> Draft:
    """The draft for `layout`: its source read and measured, the task's model, `resize: auto`, `epochs: auto`."""
    import pipelines.components  # noqa: F401  (fills the registries)
    from pipelines import registry

    task_class = registry.tasks.get(layout.task).build
    # mask_folder reads without class names: a mask value of no class (255) would be a bad record before
    # _measure_masks recognizes it
    examples = _load({key: value for key, value in layout.source.items() if key != "class_names"})
    measured = _measure_boxes(examples, task_class) if layout.task == "object_detection" else \
        _measure_masks(examples, layout.source, task_class)
    source = dict(layout.source)
    if layout.task == "semantic_segmentation":
        source["class_names"] = measured.class_names
        if measured.ignore_index is not None:
            source["ignore_index"] = measured.ignore_index
    notes = [f"skipped {count(len(measured.skipped), 'bad record')} (first: {measured.skipped[0]}); "
             "the draft says on_bad_record: skip"] if measured.skipped else []
    unnamed = _unnamed(layout.source)
    if unnamed:
        notes.append(f"no class names found ({', '.join(unnamed)}); the draft calls them "
                     f"{', '.join(measured.class_names[:4])}{', ...' * (len(measured.class_names) > 4)}: "
                     "rename them in data.source")
    lines = _summary(layout, measured)
    if layout.task == "object_detection":
        lines += common_top(name, layout.task, f"Tiny YOLOv8 (keras-cv) on the {layout.kind} data in {layout.root}.")
    else:
        lines += common_top(name, layout.task, f"Small U-Net on the images and masks in {layout.root}.")
    lines += _data(source, layout, measured, bool(unnamed))
    lines += _model_and_training(layout.task, measured, task_class)
    lines += common_bottom(name)
    lines.append((f"  # gates: [\"test_{task_class.metric} >= 0.5\"]",
                  "uncomment to refuse exporting a model below this"))
    return Draft(render(lines), layout.task, name, notes)


def _load(source: dict):
    """The examples of `source`, read as a run reads them, bad records skipped (and counted)."""
    from pipelines import registry

    component = registry.sources.get(source["type"])
    options = component.options(**{key: value for key, value in source.items() if key != "type"})
    return component.build(options, on_bad_record="skip")


def _unnamed(source: dict) -> list[str]:
    """The files looked in for class names when a yolo or mask_folder source has none; [] when it has."""
    from pipelines.init.layouts import NAMES_FILES, YOLO_YAMLS

    names = source.get("names") or source.get("class_names") or []
    if source["type"] == "yolo" and names == [f"class_{i}" for i in range(len(names))]:
        return [*YOLO_YAMLS, *NAMES_FILES]
    return list(NAMES_FILES) if source["type"] == "mask_folder" and not names else []


# --- Measuring ----------------------------------------------------------------------------------------------------
def _measure_boxes(examples, task_class) -> Measured:
    """Boxes per image, per class and their sizes, and the input size the task's rule picks for them."""
    import numpy as np

    from data.object_sizes import box_sizes, input_size

    sizes = box_sizes(examples.image_sizes, examples.labels)
    smallest, multiple = task_class.smallest_object, task_class.input_multiple
    classes = np.concatenate([np.asarray(label["classes"], dtype="int64").reshape(-1) for label in examples.labels])
    per_class = np.bincount(classes, minlength=len(examples.class_names))
    return Measured(
        len(examples.image_sizes), list(examples.class_names),
        np.array([len(label["classes"]) for label in examples.labels]), sizes,
        input_size(sizes, smallest=smallest, multiple=multiple), smallest, multiple,
        "boxes per class: " + ", ".join(f"{n} {c}" for n, c in zip(examples.class_names, per_class)),
        list(examples.skipped_records),
    )


def _measure_masks(examples, source: dict, task_class) -> Measured:
    """Connected regions per image and their sizes, the pixels of each class, and the input size for them.

    A mask value of IGNORE_VALUE while the others stay below half of it is taken
    as `ignore_index` (pixels of no class), unless the source states one.
    """
    import numpy as np
    from PIL import Image

    from data.object_sizes import ObjectSizes, input_size, region_sizes

    from models.tasks.sizing import SAMPLED_MASKS

    picked = np.unique(np.linspace(0, len(examples.labels) - 1, min(SAMPLED_MASKS, len(examples.labels))).astype(int))
    masks, pixels = [], np.zeros(256, dtype="int64")
    for index in picked:
        with Image.open(examples.labels[index]) as mask:
            masks.append(np.asarray(mask))
        pixels += np.bincount(masks[-1].reshape(-1), minlength=256)
    ignore = source.get("ignore_index")
    if ignore is None and pixels[IGNORE_VALUE] and not pixels[IGNORE_VALUE // 2:IGNORE_VALUE].any():
        ignore = IGNORE_VALUE
    if ignore is not None:
        pixels[ignore] = 0
    largest = int(np.flatnonzero(pixels).max(initial=1))
    names = source.get("class_names") or ["background", *(f"class_{i}" for i in range(1, largest + 1))]
    if len(names) <= largest:
        raise ValueError(f"{source['masks']}: the masks hold class ids up to {largest}, but its class names "
                         f"(classes.txt) are {len(names)}: {', '.join(names)}; add the missing ones")
    found = [region_sizes([mask], ignore) for mask in masks]
    sizes = ObjectSizes(np.concatenate([f.image_sizes for f in found]),
                        np.concatenate([f.object_fractions for f in found]))
    smallest, multiple = task_class.smallest_object, task_class.input_multiple
    share = pixels[:len(names)] / max(pixels.sum(), 1)
    return Measured(
        len(examples.labels), list(names), np.array([len(f.object_fractions) for f in found]), sizes,
        input_size(sizes, smallest=smallest, multiple=multiple), smallest, multiple,
        "pixels per class: " + ", ".join(f"{n} {s:.1%}" for n, s in zip(names, share)),
        list(examples.skipped_records), ignore,
    )


# --- Text ---------------------------------------------------------------------------------------------------------
def _summary(layout: Layout, measured: Measured) -> Lines:
    """The header: what the data is, what was measured and what `resize: auto` will make of it."""
    objects = "boxes" if layout.task == "object_detection" else "regions (connected pixels of one class)"
    what = "Object detection" if layout.task == "object_detection" else "Semantic segmentation"
    per_image = measured.objects_per_image
    height, width = measured.input_size
    sample = (f"all {measured.images} images" if len(per_image) == measured.images else
              f"{len(per_image)} of the {measured.images} images (evenly spaced)")
    lines = [
        f"Measured on {sample}: {per_image.sum()} {objects}, {per_image.mean():.1f} per image "
        f"(at most {per_image.max(initial=0)}; {int((per_image == 0).sum())} images without any); "
        f"{measured.per_class}.",
        f"Sizes: {measured.sizes.summary(height, width)}.",
        f"`resize: auto` picks the input size at run time from the training split: the smallest that keeps the "
        f"10th percentile of objects at {measured.smallest} px on their shorter side, a multiple of "
        f"{measured.multiple}, at the images' median aspect ratio (at most twice their size): {height}x{width} "
        "on this data.",
    ]
    if measured.ignore_index is not None:
        lines.append(f"Mask value {measured.ignore_index} is taken as pixels of no class (ignore_index).")
    wrapped = wrap(lines)
    summary = (f"{what}: {class_list(measured.class_names)} in {measured.images} images, "
               f"from {layout.given} ({layout.kind}).")
    return header(summary, measured=wrapped)


def _data(source: dict, layout: Layout, measured: Measured, unnamed: bool) -> Lines:
    option_comments = {
        "path": "the JSON file" if source["type"] == "coco" else "the folder holding the XML and image folders",
        "images": "the folder of the images", "annotations": "the folder of the XML files",
        "labels": "the folder of the .txt labels", "masks": "the folder of the PNG masks",
        "names": "class names in id order" + ("; none found: rename them" if unnamed else ""),
        "class_names": "names of the mask values 0, 1, ..." + ("; none found: rename them" if unnamed else ""),
        "ignore_index": "mask value of pixels that belong to no class",
    }
    lines = [("data:", None), ("  source:", None), (f"    type: {source['type']}", f"{layout.kind}; see "
                                                     f"`kpipe components` for its options")]
    for key, value in source.items():
        if key == "type":
            continue
        text = scalar(value) if isinstance(value, str) else flow(value)
        comment = option_comments.get(key)
        lines.append((f"    {key}: {text}", path_comment(value, comment) if isinstance(value, str) else comment))
    batch = _batch_size(layout.task)
    bad = (f"skip: leave the {count(len(measured.skipped), 'bad record')} found here out (counted, logged)"
           if measured.skipped else "or skip: leave bad images or annotations out (counted, logged)")
    return lines + [
        (f"  split: {flow(SPLIT)}", "shares of images held out for validation and the final test"),
        (f"  batch_size: {batch}", "lower it if memory runs out at a large input size"),
        (f"  on_bad_record: {'skip' if measured.skipped else 'error'}", bad),
    ]


def _model_and_training(task: str, measured: Measured, task_class) -> Lines:
    height, width = measured.input_size
    moves = "boxes" if task == "object_detection" else "masks"
    augment = DETECTION_AUGMENT if task == "object_detection" else SEGMENTATION_AUGMENT
    lines = [
        ("stages:", None),
        ("  - resize: auto", f"sized at run time from the training split ({height}x{width} measured now); "
                             "or {height: H, width: W}"),
        (f"  - augment: {flow(augment)}", f"training batches only; the {moves} move with the pixels"),
        (f"  - rescale: {{scale: {1 / 255!r}}}", "pixels [0, 255] -> [0, 1], inside the export too"),
        ("model:", None),
    ]
    if task == "object_detection":
        most = int(measured.objects_per_image.max(initial=0))
        head = {**DETECTION_HEAD, "max_detections": min(max(2 * most, DETECTION_HEAD["max_detections"]),
                                                        DETECTION_MAX_DETECTIONS)}
        lines += [
            ("  backbone:", None),
            ("    source: keras_cv", None),
            ("    name: YOLOV8Backbone", "random initial weights; more stackwise_channels for harder data"),
            (f"    config: {flow(DETECTION_BACKBONE)}", None),
            ("  head:", None),
            (f"    detection: {flow(head)}", f"max_detections: twice the most boxes in an image ({most}), >= 20"),
            ("training:", None),
        ]
    else:
        lines += [
            (f"  backbone: {flow(SEGMENTATION_BACKBONE)}", "filters per level; each level halves the size"),
            ("training:", None),
            ("  loss: ce_dice", "cross-entropy + Dice: small classes count as much as the background"),
        ]
    optimizer = DETECTION_OPTIMIZER if task == "object_detection" else SEGMENTATION_OPTIMIZER
    lines += [
        ("  epochs: auto", _epochs_comment(task_class, measured.images, _batch_size(task))),
        (f"  optimizer: {flow(optimizer)}", None),
    ]
    if task == "object_detection":
        lines.append(("  schedule: {name: cosine}", "the learning rate decays to 0 over the epochs"))
    return lines + [
        ("  callbacks:", None),
        ("    - backup_and_restore", "a killed run continues with `kpipe run <this file> --resume`"),
        ("    - terminate_on_nan", None),
    ]


def _batch_size(task: str) -> int:
    return DETECTION_BATCH_SIZE if task == "object_detection" else SEGMENTATION_BATCH_SIZE


def _epochs_comment(task_class, images: int, batch_size: int) -> str:
    """What `epochs: auto` will choose for about this many training images (the task's rule, models.tasks.sizing)."""
    from models.tasks.sizing import epochs_for

    train = max(1, round(images * (1 - SPLIT["validation"] - SPLIT["test"])))
    steps = math.ceil(train / batch_size)
    epochs = epochs_for(steps, task_class.target_steps, task_class.epoch_range)
    return (f"about {epochs} here (~{task_class.target_steps} steps, {steps} an epoch for ~{train} training "
            f"images); early stopping on val_{task_class.metric}")
