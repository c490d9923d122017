"""`training.backend`: the Keras backend a spec trains on, set before Keras is imported.

Keras reads `KERAS_BACKEND` once, when it is first imported, and a process keeps
that backend for good. So `kpipe run` and `kpipe sweep` read the spec's
`training.backend` from the YAML (and `--set` overrides) first, with nothing but
PyYAML, and set `KERAS_BACKEND` before anything imports Keras (`use_backend`); a
sweep's trials run in that process, so they inherit it. A run in a process whose
Keras already runs another backend (a notebook, a test, `pipelines.run` after
`import keras`) stops with a message saying how to run it (`require_backend`)
instead of silently training on the wrong backend.

The input pipeline is tf.data and the export a TF SavedModel on both backends.

Example:
    >>> backend_of({"training": {"backend": "jax"}}), backend_of({})
    ('jax', 'tensorflow')
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

BACKENDS = ("tensorflow", "jax")
"""The backends a spec may name; the first is the default."""

DEFAULT = BACKENDS[0]
ENV = "KERAS_BACKEND"


class BackendMismatch(RuntimeError):
    """Keras runs another backend in this process than the spec's `training.backend`."""


def backend_of(data: Any) -> str:
    """`training.backend` of a raw spec mapping (before validation), else the default.

    A value that is not a known backend is returned as it is, for validation to refuse.
    """
    training = data.get("training") if isinstance(data, dict) else None
    value = training.get("backend") if isinstance(training, dict) else None
    return DEFAULT if value is None else value


def spec_backend(path: str | Path, overrides: list[str] = ()) -> str:
    """The `training.backend` a spec file asks for after `--set` overrides, read without importing Keras.

    Any problem reading the file gives the default: the full load that follows reports it.

    Example:
        >>> spec_backend("pipelines/specs/digits.yaml", ["training.backend=jax"])
        'jax'
    """
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None
    for override in overrides or ():
        key, sep, raw = override.partition("=")
        if sep and key.strip() == "training.backend":
            try:
                value = yaml.safe_load(raw)
            except yaml.YAMLError:
                value = raw
            data = {**(data if isinstance(data, dict) else {}), "training": {"backend": value}}
    return backend_of(data)


def imported_backend() -> str | None:
    """The backend of the Keras imported in this process, or None when Keras is not imported yet."""
    if "keras" not in sys.modules:
        return None
    import keras

    return keras.backend.backend()


def use_backend(name: str) -> None:
    """Make this process's Keras run `name`: set `KERAS_BACKEND` before Keras is imported.

    Unknown names are left for spec validation to refuse. When Keras is already
    imported on another backend, raises `BackendMismatch`.
    """
    if name not in BACKENDS:
        return
    current = imported_backend()
    if current is None:
        os.environ[ENV] = name
    elif current != name:
        raise BackendMismatch(_mismatch(name, current))


def require_backend(name: str) -> None:
    """Raise `BackendMismatch` unless this process's Keras runs `name` (a run calls it before it builds anything).

    Example:
        >>> require_backend("tensorflow")   # in a process whose Keras runs TensorFlow: nothing happens
    """
    import keras

    current = keras.backend.backend()
    if current != name:
        raise BackendMismatch(_mismatch(name, current))


def _mismatch(wanted: str, current: str) -> str:
    return (f"training.backend: {wanted}, but Keras in this process already runs the {current} backend (a process "
            f"keeps the backend Keras was first imported with). Run the spec with `kpipe run SPEC` (it sets "
            f"KERAS_BACKEND from training.backend), or set KERAS_BACKEND={wanted} before Python imports Keras; "
            f"or set training.backend: {current}.")
