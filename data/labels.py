"""Label encodings the sources build: per-token tag ids (ragged), checked detection boxes, and class ids.

Example:
    >>> class_ids(["b", "a"])[0]
    ['a', 'b']
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

import numpy as np


def ragged(sequences: Sequence) -> np.ndarray:
    """An object array (N,) holding one int64 array per sequence (tag ids of a sentence).

    Example:
        >>> [a.tolist() for a in ragged([[1, 2], [3]])]
        [[1, 2], [3]]
    """
    out = np.empty(len(sequences), dtype=object)
    for i, sequence in enumerate(sequences):
        array = np.asarray(sequence, dtype="int64")
        if array.ndim != 1:
            raise ValueError(f"example {i}: tag ids must be 1-D, got shape {array.shape}")
        out[i] = array
    return out


def detection_labels(labels: Sequence, num_classes: int | None = None) -> np.ndarray:
    """An object array (N,) of {"boxes": float32 (k, 4), "classes": int64 (k,)}, checked.

    Boxes are xyxy pixels with x2 > x1 and y2 > y1; class ids are in
    [0, num_classes) when `num_classes` is given.

    Example:
        >>> labels = detection_labels([{"boxes": [[0, 0, 2, 3]], "classes": [1]}], num_classes=2)
        >>> labels[0]["boxes"].dtype, labels[0]["classes"].tolist()
        (dtype('float32'), [1])
    """
    out = np.empty(len(labels), dtype=object)
    for i, label in enumerate(labels):
        if not isinstance(label, dict) or set(label) != {"boxes", "classes"}:
            raise ValueError(f"example {i}: a detection label is a dict with keys 'boxes' and 'classes'")
        boxes = np.asarray(label["boxes"], dtype="float32")
        if boxes.size == 0:
            boxes = boxes.reshape(0, 4)
        classes = np.asarray(label["classes"], dtype="int64")
        if boxes.ndim != 2 or boxes.shape[1] != 4 or classes.shape != (len(boxes),):
            raise ValueError(
                f"example {i}: boxes must be (k, 4) and classes (k,), got {boxes.shape} and {classes.shape}"
            )
        if not np.all(np.isfinite(boxes)) or np.any(boxes[:, 2:] <= boxes[:, :2]):
            raise ValueError(f"example {i}: boxes must be finite xyxy with x2 > x1 and y2 > y1")
        if num_classes is not None and np.any((classes < 0) | (classes >= num_classes)):
            raise ValueError(f"example {i}: class ids {classes.tolist()} outside [0, {num_classes})")
        out[i] = {"boxes": boxes, "classes": classes}
    return out


def class_ids(keys: Sequence) -> tuple[list[str], Callable]:
    """Class names of `keys` (ints or strs) in id order, and a function from a key to its class id.

    Names are sorted: numerically when every key is an integer ("10", -1, 3),
    else as strings.

    Example:
        >>> names, id_of = class_ids(["10", "9", 2])
        >>> names, id_of("9"), id_of(10)
        (['2', '9', '10'], 1, 2)
        >>> class_ids(["dog", "cat", 3])[0]
        ['3', 'cat', 'dog']
    """
    if all(isinstance(k, int) or re.fullmatch(r"[+-]?\d+", k) for k in keys):
        names = sorted({int(k) for k in keys})
        ids = {c: i for i, c in enumerate(names)}
        return [str(c) for c in names], lambda key: ids[int(key)]
    names = sorted({str(k) for k in keys})
    ids = {c: i for i, c in enumerate(names)}
    return names, lambda key: ids[str(key)]
