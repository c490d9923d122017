"""The image_classification draft: a folder with one sub-folder of images per class.

A small CNN on images resized to IMAGE_SIZE when decoded, grayscale when
every sampled image has one channel; early stopping on val_accuracy.

Example:
    >>> print(image_spec("data/pets", "pets", {"cat": [], "dog": []}).splitlines()[0])
    # Image classification: 2 classes (cat, dog) from the sub-folders of data/pets, 0 images.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.init.render import (
    SPLIT,
    class_list,
    common_bottom,
    common_top,
    flow,
    header,
    path_comment,
    render,
    scalar,
)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")  # what the image_folder source reads by default
IMAGE_SIZE = [64, 64]
IMAGE_BATCH_SIZE = 32
IMAGE_AUGMENT = [{"random_flip": "horizontal"}, {"random_rotation": 0.05}]
IMAGE_BACKBONE = {"source": "builtin", "name": "cnn", "config": {"filters": [32, 64, 128], "blocks_per_stage": 2}}
IMAGE_HEAD = {"dropout": 0.2}
IMAGE_EPOCHS = 30
IMAGE_OPTIMIZER = {"name": "adam", "learning_rate": 1.0e-3}
IMAGE_PATIENCE = 5
GRAYSCALE_MODES = {"1", "L", "LA", "I", "I;16", "F"}  # PIL modes of one-channel images


def image_spec(path: str, name: str, files: dict[str, list[Path]]) -> str:
    """The spec text for the class sub-folders of `path`; `files` maps each class to its image files."""
    total = sum(map(len, files.values()))
    color = color_mode([f for group in files.values() for f in group[:5]])
    lines = header(f"Image classification: {class_list(files)} from the sub-folders of {path}, {total} images.")
    lines += common_top(name, "image_classification", f"Small CNN on the images in {path}.")
    lines += [
        ("data:", None),
        ("  source:", None),
        ("    type: image_folder", None),
        (f"    path: {scalar(path)}", path_comment(path, "one sub-folder of images per class")),
        (f"    image_size: {flow(IMAGE_SIZE)}", "[height, width] each image is resized to when decoded (stretched)"),
        (f"    color_mode: {color}", "rgb or grayscale"),
        (f"  split: {flow(SPLIT)}", "shares held out, stratified by class"),
        (f"  batch_size: {IMAGE_BATCH_SIZE}", None),
        ("  cache: true", "keep decoded images in memory; false for folders larger than memory"),
        ("  on_bad_record: error", "or skip: leave unreadable images out (counted and logged)"),
        ("stages:", None),
        (f"  - augment: {flow(IMAGE_AUGMENT)}", "training batches only; e.g. drop random_flip for text or digits"),
        (f"  - rescale: {{scale: {1 / 255!r}}}", "pixels [0, 255] -> [0, 1], inside the export too"),
        ("model:", None),
        (f"  backbone: {flow(IMAGE_BACKBONE)}", "filters per stage; each stage halves the image size"),
        (f"  head: {flow(IMAGE_HEAD)}", "hidden_units: [64] adds a dense layer"),
        ("training:", None),
        (f"  epochs: {IMAGE_EPOCHS}", "early stopping usually ends sooner"),
        (f"  optimizer: {flow(IMAGE_OPTIMIZER)}", None),
        ("  metrics: [accuracy]", None),
        ("  callbacks:", None),
        (f"    - early_stopping: {{patience: {IMAGE_PATIENCE}, monitor: val_accuracy, mode: max}}",
         "stop after this many epochs without a better val_accuracy; keeps the best weights"),
        ("    - model_checkpoint", "saves the best model under .kpipe/<name>/checkpoints"),
        ("    - terminate_on_nan", None),
    ]
    lines += common_bottom(name)
    return render(lines)


def color_mode(files: list[Path], sample: int = 20) -> str:
    """grayscale when every sampled image has one channel, else rgb (also when none could be read)."""
    from PIL import Image

    modes = set()
    for file in files[:sample]:
        try:
            with Image.open(file) as image:
                modes.add(image.mode)
        except Exception:  # noqa: BLE001  (unreadable files are the source's to report)
            continue
    return "grayscale" if modes and modes <= GRAYSCALE_MODES else "rgb"
