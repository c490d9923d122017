"""A content hash of a source's examples, logged with each run so that it is reproducible.

Example:
    >>> import numpy as np
    >>> from data.examples import Examples
    >>> len(fingerprint(Examples(np.zeros((2, 3), "float32"), np.array([0, 1]), ["a", "b"])))
    64
"""

from __future__ import annotations

from data.examples import Examples


def fingerprint(examples: Examples) -> str:
    """sha256 hex of class names, labels and inputs (array bytes, or each file's bytes for paths), in order.

    Inputs are file paths when they are strings and `examples.decode` is set;
    other strings are hashed as texts. A table's columns are hashed by name
    (sorted), type and values; raw targets (numbers or strings) as they are.

    Example:
        >>> fingerprint(load_sklearn(SklearnOptions(name="digits")))[:12]  # doctest: +SKIP
        '5c0b6e1d2f3a'
    """
    import hashlib
    import json

    import numpy as np

    digest = hashlib.sha256()
    digest.update(json.dumps(list(examples.class_names)).encode())
    if examples.kind == "columns" and examples.labels.dtype != "int64":  # raw targets
        _hash_values(digest, examples.labels)
    elif examples.decode_label is not None:  # mask files
        _hash_files(digest, examples.labels)
    elif examples.labels.dtype == object:  # per-token tags, or per-image boxes and classes
        for row in examples.labels:
            for part in (row["boxes"], row["classes"]) if isinstance(row, dict) else (row,):
                values = np.ascontiguousarray(part)
                digest.update(f"{values.dtype.str}{values.shape}".encode() + values.tobytes())
    else:
        digest.update(np.ascontiguousarray(examples.labels, dtype="<i8").tobytes())
    inputs = examples.inputs
    if isinstance(inputs, dict):  # a table's columns
        digest.update(b"columns")
        for name in sorted(inputs):
            digest.update(json.dumps([name, examples.columns[name]]).encode())
            _hash_values(digest, inputs[name])
        return digest.hexdigest()
    if inputs.dtype.kind in "USO" and examples.decode is not None:  # file paths: hash what they hold
        _hash_files(digest, inputs)
    elif inputs.dtype.kind in "USO":  # texts
        digest.update(b"texts")
        for text in inputs:
            data = text if isinstance(text, bytes) else str(text).encode()
            digest.update(len(data).to_bytes(8, "little") + data)
    else:
        digest.update(f"{inputs.dtype.str}{inputs.shape}".encode())
        digest.update(np.ascontiguousarray(inputs).tobytes())
    return digest.hexdigest()


def _hash_values(digest, values) -> None:
    """Fold a 1-D array into `digest`: strings length-prefixed as UTF-8, numbers as bytes (one NaN for all NaNs)."""
    import numpy as np

    if values.dtype.kind in "USO":
        digest.update(b"strings")
        for value in values:
            data = value if isinstance(value, bytes) else str(value).encode()
            digest.update(len(data).to_bytes(8, "little") + data)
        return
    values = np.ascontiguousarray(values)
    if values.dtype.kind == "f":
        values = np.where(np.isnan(values), np.nan, values).astype(values.dtype)
    digest.update(f"{values.dtype.str}{values.shape}".encode() + values.tobytes())


def _hash_files(digest, paths) -> None:
    """Fold the sha256 of each file's bytes into `digest`, in order."""
    import hashlib

    digest.update(b"files")
    for path in paths:
        file_digest = hashlib.sha256()
        with open(str(path), "rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                file_digest.update(chunk)
        digest.update(file_digest.digest())
