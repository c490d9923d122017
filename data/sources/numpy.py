"""Arrays in a NumPy .npz archive: uint8 images (N, H, W[, C]) or features (N, F), and labels.

With `kind: sequences` the inputs are series to classify: numbers (N, T, F),
or (N, T) for one value per step; a series shorter than T is followed by NaN
in every value (`data.series.sequences`). A series with NaN elsewhere is a
bad record.

Example (YAML):
    data:
      source: {type: numpy, path: data/shapes.npz, inputs_key: images, labels_key: labels}
      # series: {type: numpy, path: data/ecg.npz, kind: sequences}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import sources


class NumpyOptions(Options):
    path: str = Field(description="The .npz archive (numpy.savez) holding inputs and labels.")
    inputs_key: str = Field(default="x", description="Array of inputs: uint8 images (N, H, W) or (N, H, W, C), or features (N, F).")
    labels_key: str = Field(default="y", description="Array of labels (N,): class ids 0..k-1, or strings.")
    class_names: list[str] | None = Field(
        default=None, min_length=1,
        description="Names of class ids 0..k-1; default '0'..'k-1' (the sorted values for string labels).",
    )
    kind: Literal["auto", "sequences"] = Field(
        default="auto",
        description="auto: images or features by shape; sequences: series (N, T, F) or (N, T), NaN-padded at the end.",
    )


@sources.register("numpy", NumpyOptions)
def load_numpy(options: NumpyOptions, *, on_bad_record: str = "error"):
    """Arrays from a NumPy .npz archive: uint8 images or float features, with their labels.

    Example:
        >>> import os, tempfile, numpy as np
        >>> path = os.path.join(tempfile.mkdtemp(), "toy.npz")
        >>> np.savez(path, x=np.zeros((4, 8, 8), "uint8"), y=np.array([0, 1, 0, 1]))
        >>> load_numpy(NumpyOptions(path=path)).input_shape
        (8, 8, 1)
        >>> series = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, np.nan]])
        >>> np.savez(path, x=series, y=np.array([0, 1]))
        >>> load_numpy(NumpyOptions(path=path, kind="sequences")).inputs.shape
        (2, 3, 1)
    """
    import os
    import zipfile

    import numpy as np

    from data.errors import BadRecords
    from data.examples import Examples

    bad = BadRecords(on_bad_record)
    path = options.path
    if not os.path.isfile(path):
        raise ValueError(f"numpy: no file at {path}")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"numpy: cannot read {path}: {error}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"numpy: {path} holds a single array; save inputs and labels with numpy.savez")
    with archive:
        for key in (options.inputs_key, options.labels_key):
            if key not in archive.files:
                raise ValueError(f"numpy: {path} has no array {key!r}; it has: {', '.join(archive.files)}")
        try:
            inputs, labels = archive[options.inputs_key], archive[options.labels_key]
        except ValueError as error:  # object arrays need pickle, which we never load
            raise ValueError(f"numpy: cannot read {path}: {error}") from None

    if labels.ndim != 1:
        raise ValueError(f"numpy: {path} key {options.labels_key!r} must be 1-D (N,), got shape {labels.shape}")
    if len(inputs) != len(labels):
        raise ValueError(
            f"numpy: {path} has {len(inputs)} rows in {options.inputs_key!r} "
            f"but {len(labels)} in {options.labels_key!r}"
        )
    if len(labels) == 0:
        raise ValueError(f"numpy: {path} key {options.inputs_key!r} is empty")

    if options.kind == "sequences":
        inputs = _sequences(inputs, f"numpy: {path} key {options.inputs_key!r}")
    elif inputs.ndim in (3, 4):
        if inputs.dtype != np.uint8:
            raise ValueError(
                f"numpy: {path} key {options.inputs_key!r} looks like images {inputs.shape} but is {inputs.dtype}; "
                "images must be uint8 in 0..255"
            )
        inputs = inputs[..., None] if inputs.ndim == 3 else inputs
    elif inputs.ndim == 2:
        if inputs.dtype.kind not in "biuf":
            raise ValueError(f"numpy: {path} key {options.inputs_key!r} must be numeric, got {inputs.dtype}")
        inputs = inputs.astype("float32")
    else:
        raise ValueError(
            f"numpy: {path} key {options.inputs_key!r} must be images (N, H, W[, C]) or features (N, F), "
            f"got shape {inputs.shape}"
        )

    labels, class_names = _class_ids(labels, options.class_names, f"numpy: {path} key {options.labels_key!r}")
    keep = np.ones(len(labels), bool)
    for index, problem in _bad_rows(inputs, options.kind):
        bad(f"{path} index {index}", f"key {options.inputs_key!r} {problem}")
        keep[index] = False
    return Examples(
        inputs[keep], labels[keep], class_names, skipped=bad.count, origin=f"numpy:{path}",
        skipped_records=bad.records, kind="sequences" if options.kind == "sequences" else None,
    )


def _sequences(inputs, where: str):
    """float32 series (N, T, F) from numbers (N, T, F), or (N, T) with one value per step."""
    if inputs.dtype.kind not in "biuf":
        raise ValueError(f"{where}: sequences must be numbers, got {inputs.dtype}")
    if inputs.ndim not in (2, 3):
        raise ValueError(f"{where}: sequences must be (N, T, F) or (N, T), got shape {inputs.shape}")
    return (inputs[..., None] if inputs.ndim == 2 else inputs).astype("float32")


def _bad_rows(inputs, kind: str) -> list[tuple[int, str]]:
    """(index, problem) of each example that cannot be used: non-finite features, or a series badly padded."""
    import numpy as np

    from data.series.sequences import padding_problem

    if kind == "sequences":
        problems = ((index, padding_problem(series)) for index, series in enumerate(inputs))
        return [(index, f"series: {problem}") for index, problem in problems if problem]
    if inputs.dtype == np.float32:
        return [(int(index), "holds a value that is not a finite number")
                for index in np.flatnonzero(~np.isfinite(inputs).all(axis=1))]
    return []


def _class_ids(labels, class_names: list[str] | None, where: str):
    """Labels as int64 class ids and the class names; strings map to sorted (or `class_names`) order."""
    import numpy as np

    if labels.dtype.kind in "US":
        values = [str(v) for v in labels]
        names = list(class_names) if class_names else sorted(set(values))
        ids = {name: i for i, name in enumerate(names)}
        unknown = sorted(set(values) - set(ids))
        if unknown:
            raise ValueError(f"{where}: labels {unknown[:5]} are not in class_names {names}")
        return np.array([ids[v] for v in values], dtype="int64"), names
    if labels.dtype.kind == "b" or labels.dtype.kind not in "iu":
        raise ValueError(f"{where}: labels must be integer class ids or strings, got {labels.dtype}")
    labels = labels.astype("int64")
    if labels.min() < 0:
        raise ValueError(f"{where}: labels must be class ids >= 0, found {labels.min()}")
    count = int(labels.max()) + 1
    if class_names is None:
        return labels, [str(i) for i in range(count)]
    if count > len(class_names):
        raise ValueError(f"{where}: label {count - 1} has no name; class_names has {len(class_names)} names")
    return labels, list(class_names)
