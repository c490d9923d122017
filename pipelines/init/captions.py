"""Captioned images, as the `captions` source reads them: a COCO captions JSON, or a CSV of image files and captions.

A CSV is a captions CSV when one of its columns names image files (every
sampled value ends with an image extension, and most of them exist relative to
the CSV's folder, the folder above it, or a sub-folder of either) and another
holds texts of CAPTION_MIN_MEDIAN_WORDS words or more (the wordiest is taken).
The layouts found here draft `captioning`, or `dual_encoder` with `--task`.

Example:
    >>> import tempfile
    >>> from data.synthetic.captioned_shapes import write_captioned_shapes
    >>> folder = tempfile.mkdtemp()
    >>> write_captioned_shapes(folder, count=3, seed=0)
    >>> layout = csv_captions_layout(folder + "/captions.csv")
    >>> layout.task, layout.also, layout.source["file_column"], layout.source["caption_column"]
    ('captioning', ('dual_encoder',), 'file', 'caption')
"""

from __future__ import annotations

import os

from data.annotations import IMAGE_EXTENSIONS
from pipelines.init.layouts import CAPTION_TASKS, Layout, data_set_root, folder_holding

CAPTIONS_CSV = "captions.csv"
"""The captions source's default file name; looked at first in a folder."""

SAMPLED_ROWS = 200
"""Rows of a CSV read to find its file and caption columns."""

CAPTION_MIN_MEDIAN_WORDS = 2
"""A caption column's median text has at least this many words (a column of one-word labels is not captions)."""


def captions_layout(path: str, images: str, kind: str, options: dict) -> Layout:
    """The `captions` layout of the captions file at `path` whose file names are relative to `images`.

    Example:
        >>> layout = captions_layout("coco/annotations/captions.json", "coco/val2017", "COCO captions JSON",
        ...                          {"format": "coco"})
        >>> layout.source["folder"], layout.source["captions"], layout.root
        ('coco/val2017', '../annotations/captions.json', 'coco')
    """
    captions = path if os.path.isabs(path) else os.path.relpath(path, images)
    source = {"type": "captions", "folder": os.path.normpath(images), "captions": captions, **options}
    root = data_set_root(path) if kind.startswith("COCO") else os.path.normpath(images)
    return Layout("captioning", source, kind, root, path, also=CAPTION_TASKS[1:])


def csv_captions_layouts(folder: str) -> list[Layout]:
    """The captions CSVs directly in `folder` (captions.csv first)."""
    names = sorted((name for name in os.listdir(folder) if name.lower().endswith(".csv") and not name.startswith(".")),
                   key=lambda name: (name != CAPTIONS_CSV, name))
    return [layout for name in names if (layout := csv_captions_layout(os.path.join(folder, name))) is not None]


def csv_captions_layout(path: str, task: str | None = None) -> Layout | None:
    """The captions layout of the CSV at `path`; None when it is not one (a ValueError saying why, when `task` is
    captioning or dual_encoder)."""
    columns = _captions_columns(path)
    if isinstance(columns, str):
        if task in CAPTION_TASKS:
            raise ValueError(f"--task {task}: {path} is not a captions CSV: {columns}")
        return None
    images, file_column, caption_column = columns
    return captions_layout(path, images, "captions CSV", {"file_column": file_column, "caption_column": caption_column})


def _captions_columns(path: str) -> tuple[str, str, str] | str:
    """(the images' folder, the file column, the caption column) of a CSV, or why it has none."""
    import pandas as pd

    try:
        frame = pd.read_csv(path, nrows=SAMPLED_ROWS, dtype=str, keep_default_na=False)
    except Exception as error:  # noqa: BLE001  (pandas raises many error types)
        return f"cannot read it ({error})"
    folder = os.path.dirname(path)
    suffixes = tuple(f".{extension}" for extension in IMAGE_EXTENSIONS)
    for column in frame.columns:
        values = [value.strip() for value in frame[column] if value.strip()]
        if not values or not all(value.lower().endswith(suffixes) for value in values):
            continue
        images = next((found for value in values[:5] if (found := folder_holding(value, folder)) is not None), None)
        if images is None or 2 * sum(os.path.isfile(os.path.join(images, value)) for value in values) < len(values):
            continue
        caption = _wordiest(frame, column)
        if caption is None:
            return (f"no column of captions (texts of {CAPTION_MIN_MEDIAN_WORDS}+ words) besides the file "
                    f"column {column!r}; columns: {', '.join(frame.columns)}")
        return images, column, caption
    return (f"no column of image file names ({', '.join(IMAGE_EXTENSIONS)}) that exist relative to "
            f"{folder or '.'}, the folder above it or a sub-folder of either; columns: {', '.join(frame.columns)}")


def _wordiest(frame, file_column: str) -> str | None:
    """The column besides `file_column` with the most words per row, if it has CAPTION_MIN_MEDIAN_WORDS in the
    median."""
    medians = {column: float(frame[column].str.split().str.len().median()) for column in frame.columns
               if column != file_column}
    best = max(medians, key=lambda column: medians[column], default=None)
    return best if best is not None and medians[best] >= CAPTION_MIN_MEDIAN_WORDS else None
