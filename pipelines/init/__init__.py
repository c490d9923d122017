"""Draft a commented spec from data: what `kpipe init DATA` writes.

DATA is one of:
- annotated images (layouts.py): a COCO .json, or a folder holding VOC XMLs,
  YOLO labels or PNG masks beside its images -> object_detection or
  semantic_segmentation, measured first (vision.py);
- captioned images (captions.py): a COCO captions .json, a folder of images
  with a captions CSV, or that CSV -> captioning or dual_encoder, counted
  first (captioning.py);
- a folder of class sub-folders: images -> image_classification (images.py),
  .txt files -> text_classification (text.py);
- an interaction log, a table with user and item id columns -> retrieval or
  ranking (interactions.py);
- any other CSV/Parquet table -> tabular_classification, tabular_regression or
  text_classification (tables.py).
The draft validates and runs as written; every line a user may want to change
carries a comment (render.py lays them out).

Example:
    >>> import tempfile
    >>> from data.synthetic import write_shapes
    >>> shapes = write_shapes(tempfile.mkdtemp() + "/shapes", count=4, formats=["masks"])
    >>> draft = draft_spec(shapes.folder)
    >>> draft.task, draft.name
    ('semantic_segmentation', 'shapes-segmentation')
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.init.captioning import captions_spec
from pipelines.init.captions import csv_captions_layout
from pipelines.init.images import IMAGE_EXTENSIONS, image_spec
from pipelines.init.interactions import INTERACTION_TASKS
from pipelines.init.layouts import CAPTION_TASKS, LOOKED_FOR, VISION_TASKS, Layout, find_layout
from pipelines.init.names import check_name, sanitize_name
from pipelines.init.render import Draft
from pipelines.init.tables import TABLE_SUFFIXES, table_spec
from pipelines.init.text import TEXT_EXTENSIONS, text_folder_spec
from pipelines.init.vision import vision_spec

FOLDER_TASKS = ("image_classification", "text_classification")
TASKS = (*FOLDER_TASKS, "tabular_classification", "tabular_regression", *VISION_TASKS, *CAPTION_TASKS,
         *INTERACTION_TASKS)
NAME_SUFFIX = {"object_detection": "detection", "semantic_segmentation": "segmentation", "captioning": "captioning",
               "dual_encoder": "dual-encoder"}

__all__ = ["TASKS", "Draft", "check_name", "draft_spec", "sanitize_name"]


def draft_spec(data: str | os.PathLike, *, target: str | None = None, task: str | None = None,
               name: str | None = None) -> Draft:
    """A commented spec for `data` (annotated or captioned images, a folder of class sub-folders, an interaction
    log or another CSV/Parquet table).

    `target` names the table column to predict (default: one named
    target/label/class/y, else the last); `task` overrides the guessed task and
    picks among several layouts of annotated images in one folder; `name` the
    spec name (default: the table's or folder's name; for annotated or captioned
    images the data set's folder and the task, e.g. shapes-detection; for an
    interaction log the file's name and the task, e.g. plays-retrieval). Raises
    ValueError for data it cannot read or options that do not fit it.

    Example:
        >>> draft_spec("no/such/folder")
        Traceback (most recent call last):
        ...
        ValueError: no/such/folder: no such file or folder
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"--task {task}: choose one of {', '.join(TASKS)}")
    path = Path(data)
    if not path.exists():
        raise ValueError(f"{data}: no such file or folder")
    if name is not None:
        check_name(name)
    table = path.is_file() and path.suffix.lower() in TABLE_SUFFIXES
    if target is not None and not table:
        raise ValueError(f"--target {target}: {data} is {'a folder' if path.is_dir() else 'not a table'}; "
                         "--target names the column to predict of a .csv or .parquet table")
    if path.is_file() and (table or path.suffix.lower() != ".json"):
        captioned = path.suffix.lower() == ".csv" and target is None and task in (None, *CAPTION_TASKS)
        layout = csv_captions_layout(str(data), task) if captioned else None
        return table_spec(str(data), name, target, task) if layout is None else layout_spec(layout, name, task)
    if task not in FOLDER_TASKS:
        layout = find_layout(str(data), task)
        if layout is not None:
            return layout_spec(layout, name, task)
    if path.is_file():
        raise ValueError(f"--task {task} needs a folder of class sub-folders; {data} is a COCO JSON")
    return folder_spec(str(data), name or sanitize_name(path.resolve().name), task)


def layout_spec(layout: Layout, name: str | None, task: str | None) -> Draft:
    """The draft of annotated or captioned images, named after the data set's folder and the task by default."""
    task = task or layout.task
    name = name or f"{sanitize_name(Path(layout.root).resolve().name)}-{NAME_SUFFIX[task]}"
    return vision_spec(layout, name) if task in VISION_TASKS else captions_spec(layout, name, task)


def folder_spec(path: str, name: str, task: str | None = None) -> Draft:
    """An image_classification or text_classification draft for a folder of class sub-folders."""
    root = Path(path)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(f"{path}: no class sub-folders; put the images (or .txt files) of each class in a "
                         f"sub-folder named after it. kpipe init also reads {'; '.join(LOOKED_FOR)}")
    images = {c: _files(root / c, IMAGE_EXTENSIONS) for c in classes}
    texts = {c: _files(root / c, TEXT_EXTENSIONS) for c in classes}
    n_images, n_texts = sum(map(len, images.values())), sum(map(len, texts.values()))
    kind = task or ("image_classification" if n_images >= n_texts else "text_classification")
    if kind not in FOLDER_TASKS:
        raise ValueError(f"--task {kind} needs a table; a folder of class sub-folders is image_classification "
                         "or text_classification")
    files, what = (images, "images") if kind == "image_classification" else (texts, ".txt files")
    if not n_images and not n_texts:
        raise ValueError(f"{path}: no images ({', '.join(IMAGE_EXTENSIONS)}) or .txt files in its class sub-folders; "
                         f"kpipe init also reads {'; '.join(LOOKED_FOR)}")
    empty = [c for c in classes if not files[c]]
    if empty:
        plural = len(empty) > 1
        raise ValueError(f"{path}: class sub-folder{'s' * plural} {', '.join(empty)} "
                         f"ha{'ve' if plural else 's'} no {what}; add some or move {'them' if plural else 'it'} out")
    if len(classes) < 2:
        raise ValueError(f"{path}: one class sub-folder ({classes[0]}); a classifier needs at least two")
    if kind == "image_classification":
        return Draft(image_spec(path, name, files), kind, name)
    return Draft(text_folder_spec(path, name, files), kind, name)


def _files(folder: Path, extensions) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in extensions and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))
