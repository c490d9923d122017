"""What a source hands to the pipeline: examples, labels and how to decode them.

Ten kinds of examples share one container (`Examples.kind`):

- image: images (N, H, W, C) uint8, or file paths (N,) with `decode`; labels (N,) class ids.
- table: float32 features (N, F); labels (N,) class ids, or multi-hot (N, C).
- text: raw texts, an object array (N,) of str; labels (N,) class ids, or multi-hot (N, C).
- tokens: sentences, an object array (N,) of str, each its tokens joined by one
  space; labels an object array (N,) of int64 arrays, one tag id per token.
- detection: image paths (N,) with `decode` (path -> uint8 [H, W, 3] at the
  image's own size); labels an object array (N,) of dicts {"boxes": float32
  (k, 4) xyxy in pixels of the original image, "classes": int64 (k,)}, k >= 0;
  `image_sizes` (N, 2) int64 holds each image's (height, width).
- segmentation: image paths (N,) with `decode`; labels an object array (N,) of
  mask paths with `decode_label` (path -> uint8 [H, W, 1] class ids); pixels
  equal to `ignore_index` (when set) belong to no class.
- columns: a table's raw columns, a dict {name: (N,) array} with `columns`
  {name: type} (`data.tabular.columns.COLUMN_TYPES`): numeric columns float32
  with NaN where missing, the others object arrays of str with "" where missing;
  labels the raw target values, float64 (N,) for a numeric target else an
  object array of str, or class ids (N,) when `class_names` are given.
- series: whole time series (forecasting): an object array (S,) of float32
  arrays [T_s, F], the target first, then covariates; labels an object array
  (S,) of series ids (str); `timestamps` an object array (S,) of datetime64
  arrays [T_s] (or None: plain steps); `columns` {name: "target" |
  "covariate" | "known"} names the F values in order (the target first, the
  values known in advance last).
- windows: cuts of series: float32 histories (N, L, F), labels float32 (N, H),
  the target's next H values; `groups` (N,) the series id of each window;
  `future` (N, H, K) the values known in advance at the H target steps.
- sequences: one series per example (sequence classification): float32
  (N, T, F), the steps past an example's length NaN in every feature; labels
  (N,) class ids.

Example:
    >>> import numpy as np
    >>> from data.labels import detection_labels, ragged
    >>> examples = Examples(np.zeros((2, 8, 8, 1), "uint8"), np.array([0, 1]), ["a", "b"])
    >>> examples.kind, examples.input_shape
    ('image', (8, 8, 1))
    >>> tagged = Examples(np.array(["Alice sleeps"], object), ragged([[0, 1]]), ["B-PER", "O"])
    >>> tagged.kind, tagged.labels[0].tolist(), tagged.input_shape
    ('tokens', [0, 1], ())
    >>> boxes = detection_labels([{"boxes": [[1, 2, 5, 6]], "classes": [0]}, {"boxes": [], "classes": []}])
    >>> read = lambda path: path  # really: path -> uint8 image (data.annotations.decode_image_file)
    >>> found = Examples(np.array(["a.png", "b.png"]), boxes, ["cat"], read, kind="detection", image_sizes=[[8, 8], [9, 7]])
    >>> found.labels[1]["boxes"].shape, found.input_shape, found.image_sizes[1].tolist()
    ((0, 4), (None, None, 3), [9, 7])
    >>> table = Examples({"age": [31.0, np.nan], "city": ["Oslo", ""]}, np.array([1.5, 2.0]),
    ...                  columns={"age": "numeric", "city": "categorical"})
    >>> table.kind, table.size, table.labels.dtype, table.inputs["age"].dtype
    ('columns', 2, dtype('float64'), dtype('float32'))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from data.labels import detection_labels, ragged

Kind = Literal["image", "table", "text", "tokens", "detection", "segmentation", "columns", "series", "windows",
               "sequences"]
KINDS = ("image", "table", "text", "tokens", "detection", "segmentation", "columns", "series", "windows", "sequences")


@dataclass
class Examples:
    """Examples from one source, before the split.

    Attributes:
        inputs: One row per example: images (N, H, W, C) as uint8, file paths
            (N,) as str when `decode` turns a path into an image, features
            (N, F) as float32, or texts (N,) as an object array of str (for
            `tokens`, each sentence's tokens joined by a single space); for
            `columns`, a dict of raw columns {name: (N,) array}, float32 (NaN:
            missing) for numeric columns, object arrays of str ("": missing)
            for the others.
        labels: Class ids (N,), int64; multi-hot (N, C) int64 for multi-label
            examples; for `tokens`, an object array (N,) of int64 arrays, the
            tag id of each token; for `detection`, an object array (N,) of
            dicts {"boxes": float32 (k, 4) xyxy pixels, "classes": int64 (k,)};
            for `segmentation`, an object array (N,) of mask file paths; for
            `columns` without class names, the raw target values: float64
            (N,) for numbers, else an object array (N,) of str.
        class_names: Names of the class (or tag) ids, in id order; empty for
            raw `columns` targets.
        decode: A TensorFlow function from one input to a float32 image in
            [0, 255]; None when `inputs` already are images (or are not images).
            For `detection` and `segmentation`: path -> uint8 [H, W, 3] image
            at its own size.
        image_shape: The (H, W, C) of decoded images; taken from `inputs`
            when they are images.
        skipped: Bad records skipped under `on_bad_record: skip`.
        origin: Where the examples came from, for messages and tags.
        skipped_records: "<where>: <reason>" of each skipped record.
        kind: "image", "table", "text", "tokens", "detection",
            "segmentation" or "columns"; inferred from inputs and labels when
            not given (dict inputs: columns; `decode_label`: segmentation;
            object labels of dicts: detection; other object labels: tokens;
            str inputs without `decode`: text; images or `decode`: image;
            else table).
        image_sizes: (N, 2) int64, the (height, width) of each original image;
            set by detection and segmentation sources, else None.
        decode_label: For `segmentation`, a TensorFlow function from a mask
            path to uint8 [H, W, 1] class ids; else None.
        ignore_index: For `segmentation`, the mask value (e.g. 255) of pixels
            that belong to no class and count in no loss or metric; else None.
        columns: For `columns`, the type of each column {name: type}, with
            exactly the keys of `inputs`; for `series`, the role of each value
            {name: "target" | "covariate" | "known"}, in order; else None.
        timestamps: For `series`, an object array (S,) of datetime64 arrays,
            one time per step; for `windows`, datetime64 (N, L), the times
            of each history's steps; None for plain steps or other kinds.
        groups: For `windows`, the series id (N,) each window was cut from.
        future: For `windows`, float32 (N, H, K): the values known in advance
            (columns "known" or "calendar") at each of the H target steps;
            None when the series have none.
        file_digests: The sha256 digest of the bytes of files the source read
            at load, by path (as in `inputs`), so that the data fingerprint
            need not read them again; None, or a path left out, when the
            source did not read them.
        assigned_split: (N,) "train", "validation" or "test" per example when
            the source assigns the split (a `split` column); `data.split`
            then follows it instead of its shares. None otherwise.
    """

    inputs: np.ndarray | dict[str, np.ndarray]
    labels: np.ndarray
    class_names: list[str] = field(default_factory=list)
    decode: Callable | None = None
    image_shape: tuple[int, int, int] | None = None
    skipped: int = 0
    origin: str = ""
    skipped_records: list[str] = field(default_factory=list)
    kind: Kind | None = None
    image_sizes: np.ndarray | None = None
    decode_label: Callable | None = None
    ignore_index: int | None = None
    columns: dict[str, str] | None = None
    timestamps: np.ndarray | None = None
    groups: np.ndarray | None = None
    future: np.ndarray | None = None
    file_digests: dict[str, bytes] | None = None
    assigned_split: np.ndarray | None = None

    def __post_init__(self):
        if self.kind is None:
            self.kind = _infer_kind(self)
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if (self.kind == "columns") != isinstance(self.inputs, dict):
            raise ValueError("columns examples take a dict of columns as inputs, and only they do")
        if self.kind == "columns":
            self.inputs, self.columns = _checked_columns(self.inputs, self.columns)
            if not self.class_names:
                self.labels = _raw_targets(self.labels)
        if self.kind in ("text", "tokens"):
            self.inputs = np.asarray(self.inputs, dtype=object).reshape(-1)
        if self.image_sizes is not None:
            self.image_sizes = np.asarray(self.image_sizes, dtype="int64").reshape(-1, 2)
            if len(self.image_sizes) != self.size:
                raise ValueError(f"{self.size} inputs but {len(self.image_sizes)} image sizes")
        if self.kind in ("detection", "segmentation"):
            self.inputs = np.asarray(self.inputs, dtype=str).reshape(-1)
            if self.decode is None:
                raise ValueError(f"{self.kind} examples need `decode` (image path -> uint8 image)")
        if self.kind == "detection":
            self.labels = detection_labels(self.labels, len(self.class_names))
        elif self.kind == "segmentation":
            if self.decode_label is None:
                raise ValueError("segmentation examples need `decode_label` (mask path -> uint8 class ids)")
            labels = np.empty(len(self.labels), dtype=object)
            labels[:] = [str(path) for path in self.labels]
            self.labels = labels
        elif self.kind == "series":
            self.inputs, self.labels = _series(self.inputs, self.labels, self.columns, self.timestamps)
        elif self.kind == "windows":
            self.inputs = np.asarray(self.inputs, dtype="float32")
            self.labels = np.asarray(self.labels, dtype="float32")
            if self.inputs.ndim != 3 or self.labels.ndim != 2:
                raise ValueError(f"windows are histories (N, L, F) and targets (N, H), got {self.inputs.shape} "
                                 f"and {self.labels.shape}")
            if self.future is not None:
                self.future = np.asarray(self.future, dtype="float32")
                if self.future.shape[:2] != self.labels.shape or self.future.ndim != 3:
                    raise ValueError(f"the known future of windows is (N, H, K) with (N, H) {self.labels.shape}, "
                                     f"got {self.future.shape}")
        elif self.kind == "tokens":
            self.labels = ragged(self.labels)
            for i, (sentence, tags) in enumerate(zip(self.inputs, self.labels)):
                if len(tags) != len(sentence.split(" ")):
                    raise ValueError(f"example {i}: {len(sentence.split(' '))} tokens but {len(tags)} tags")
        elif self.kind != "columns" or self.class_names:
            self.labels = np.asarray(self.labels, dtype="int64")
            if self.labels.ndim == 2 and self.labels.shape[1] != len(self.class_names):
                raise ValueError(
                    f"multi-hot labels have {self.labels.shape[1]} columns but there are {len(self.class_names)} classes"
                )
            if self.labels.ndim not in (1, 2):
                raise ValueError(f"labels must be class ids (N,) or multi-hot (N, C), got shape {self.labels.shape}")
        if self.size != len(self.labels):
            raise ValueError(f"{self.size} inputs but {len(self.labels)} labels")
        if self.assigned_split is not None:
            self.assigned_split = np.asarray(self.assigned_split, dtype=object).reshape(-1)
            if len(self.assigned_split) != self.size:
                raise ValueError(f"{self.size} examples but {len(self.assigned_split)} assigned splits")

    @property
    def size(self) -> int:
        """The number of examples (rows of a table).

        Example:
            >>> Examples({"x": np.zeros(3, "float32")}, np.zeros(3), columns={"x": "numeric"}).size
            3
        """
        if isinstance(self.inputs, dict):
            return len(next(iter(self.inputs.values())))
        return len(self.inputs)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one decoded example; () for texts, sentences and a table's columns (each a scalar)."""
        if self.kind in ("text", "tokens", "columns"):
            return ()
        if self.kind in ("detection", "segmentation") and not self.image_shape:
            return (None, None, 3)
        if self.kind == "series":
            return (None, self.inputs[0].shape[1] if len(self.inputs) else 0)
        return tuple(self.image_shape) if self.image_shape else tuple(self.inputs.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def multi_label(self) -> bool:
        """True when `labels` are multi-hot (N, C): an example may have several classes."""
        return self.labels.ndim == 2

    def subset(self, indices: np.ndarray) -> Examples:
        """The examples at `indices`, sharing decode, class names, kind, column types and file digests."""
        indices = np.asarray(indices, dtype="int64")
        if isinstance(self.inputs, dict):
            inputs = {name: values[indices] for name, values in self.inputs.items()}
        else:
            inputs = self.inputs[indices]
        return Examples(
            inputs, self.labels[indices], self.class_names, self.decode,
            self.image_shape, 0, self.origin, kind=self.kind,
            image_sizes=None if self.image_sizes is None else self.image_sizes[indices],
            decode_label=self.decode_label, ignore_index=self.ignore_index, columns=self.columns,
            file_digests=self.file_digests,
            timestamps=None if self.timestamps is None else self.timestamps[indices],
            groups=None if self.groups is None else self.groups[indices],
            future=None if self.future is None else self.future[indices],
            assigned_split=None if self.assigned_split is None else self.assigned_split[indices],
        )


def _checked_columns(inputs: dict, columns: dict | None) -> tuple[dict, dict]:
    """Columns as 1-D float32 (numeric) or object-of-str arrays of one length, and their types, checked."""
    from data.tabular.columns import COLUMN_TYPES

    if not inputs:
        raise ValueError("columns examples need at least one column")
    if columns is None or set(columns) != set(inputs):
        raise ValueError(
            f"`columns` must give the type of each input column exactly: inputs have {sorted(inputs)}, "
            f"columns {None if columns is None else sorted(columns)}"
        )
    out, length, first = {}, None, None
    for name, values in inputs.items():
        kind = columns[name]
        if kind not in COLUMN_TYPES:
            raise ValueError(f"column {name!r}: type must be one of {', '.join(COLUMN_TYPES)}, got {kind!r}")
        if kind == "numeric":
            values = np.asarray(values, dtype="float32")
        else:
            values = np.asarray(values)
            if values.dtype != object:
                values = values.astype(str).astype(object)
        if values.ndim != 1:
            raise ValueError(f"column {name!r} must be 1-D (one value per row), got shape {values.shape}")
        if length is None:
            length, first = len(values), name
        elif len(values) != length:
            raise ValueError(f"column {name!r} has {len(values)} rows but column {first!r} has {length}")
        out[name] = values
    return out, dict(columns)


def _series(inputs, ids, columns, timestamps) -> tuple[np.ndarray, np.ndarray]:
    """Series values as an object array of float32 [T, F] arrays, checked against ids, columns and timestamps."""
    values = np.empty(len(inputs), dtype=object)
    values[:] = [np.asarray(v, dtype="float32").reshape(len(v), -1) for v in inputs]
    widths = {v.shape[1] for v in values}
    if len(widths) > 1:
        raise ValueError(f"every series needs the same number of values per step, got {sorted(widths)}")
    if columns is not None and widths and len(columns) != widths.pop():
        raise ValueError(f"columns name {len(columns)} values per step, the series have {values[0].shape[1]}")
    if timestamps is not None and any(len(t) != len(v) for t, v in zip(timestamps, values)):
        raise ValueError("each series needs one timestamp per step")
    labels = np.empty(len(ids), dtype=object)
    labels[:] = [str(i) for i in ids]
    return values, labels


def _raw_targets(labels) -> np.ndarray:
    """Raw target values (N,): float64 for numbers, else an object array of str ("true"/"false" for booleans)."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"raw targets must be 1-D (one value per row), got shape {labels.shape}")
    if labels.dtype.kind in "iuf":
        return labels.astype("float64")
    if labels.dtype == object and all(type(value) is str for value in labels):  # as sources give them
        return labels
    out = np.empty(len(labels), dtype=object)
    out[:] = [("true" if v else "false") if isinstance(v, (bool, np.bool_)) else str(v) for v in labels.tolist()]
    return out


def _infer_kind(examples: Examples) -> str:
    if isinstance(examples.inputs, dict):
        return "columns"
    labels = examples.labels
    if examples.decode_label is not None:
        return "segmentation"
    is_array = isinstance(labels, np.ndarray)
    if (not is_array or labels.dtype == object) and len(labels) and all(isinstance(x, dict) for x in labels):
        return "detection"
    if is_array and labels.dtype == object:
        return "tokens"
    inputs = np.asarray(examples.inputs)
    if examples.decode is not None or examples.image_shape is not None or inputs.ndim >= 3:
        return "image"
    if inputs.dtype.kind in "USO":
        return "text"
    return "table"
