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
    a file's sha256 comes from `examples.file_digests` when the source recorded
    it as it read the file, else from reading the file here. Other strings are
    hashed as texts. A table's columns are hashed by name
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
    if examples.kind in ("series", "windows", "sequences"):
        return _series_fingerprint(digest, examples)
    if examples.kind == "columns" and examples.labels.dtype != "int64":  # raw targets
        _hash_values(digest, examples.labels)
    elif examples.decode_label is not None:  # mask files
        _hash_files(digest, examples.labels, examples.file_digests)
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
        _hash_files(digest, inputs, examples.file_digests)
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


def _hash_files(digest, paths, known: dict[str, bytes] | None) -> None:
    """Fold the sha256 of each file's bytes into `digest`, in order: from `known` (by path), else read here."""
    import hashlib

    digest.update(b"files")
    known = known or {}
    for path in paths:
        file_digest = known.get(path)
        if file_digest is None:
            reading = hashlib.sha256()
            with open(str(path), "rb") as file:
                for chunk in iter(lambda: file.read(1 << 20), b""):
                    reading.update(chunk)
            file_digest = reading.digest()
        digest.update(file_digest)


def _series_fingerprint(digest, examples: Examples) -> str:
    """Finish `digest` for series, windows or sequences: kind and value names, then every array they hold.

    In order: inputs, labels, timestamps, groups and the assigned split (each
    noted as absent when None); an object array of arrays (the series, their
    timestamps) is hashed array by array, strings (ids) as text.

    Example:
        >>> import numpy as np
        >>> series = Examples([np.arange(3.0)], ["a"], kind="series")
        >>> fingerprint(series) == fingerprint(Examples([np.arange(3.0)], ["b"], kind="series"))
        False
    """
    import json

    import numpy as np

    digest.update(json.dumps([examples.kind, examples.columns]).encode())
    parts = {"inputs": examples.inputs, "labels": examples.labels, "timestamps": examples.timestamps,
             "groups": examples.groups, "assigned_split": examples.assigned_split}
    for name, part in parts.items():
        digest.update(f"{name}: {'none' if part is None else len(part)}".encode())
        if part is None:
            continue
        arrays = part if part.dtype == object and len(part) and isinstance(part[0], np.ndarray) else [part]
        for values in arrays:
            _hash_values(digest, values)
    return digest.hexdigest()
