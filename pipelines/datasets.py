"""A run's train, validation and test splits as MLflow dataset inputs (the UI's Datasets panel).

Each split is described, not copied: a name and source taken from where the examples came
from (`Examples.origin`), a digest, a small schema in MLflow's own JSON (`mlflow_tensorspec`
for arrays such as images, `mlflow_colspec` for texts, file paths and table columns) and a
profile with the example count. Nothing here reads pixels or files again; the tracker turns
these records into `mlflow.entities.DatasetInput`s (`Tracker.log_datasets`).

The digest of a split is the first 12 hex digits of the sha256 of the data fingerprint (every
example, `data.fingerprint`) together with the split's recipe (shares, seed, stratify) and its
name: the same data split the same way gives the same digest, in any run. The full fingerprint
is in the profile.

Example:
    >>> import numpy as np
    >>> from data.examples import Examples
    >>> examples = Examples(np.zeros((4, 8, 8, 1), "uint8"), np.array([0, 1, 0, 1]), ["a", "b"],
    ...                     origin="sklearn:digits")
    >>> train = split_dataset(examples, examples, "training", "f" * 64, {"seed": 1})
    >>> train.name, train.context, train.source_type, json.loads(train.profile)["num_examples"]
    ('digits', 'training', 'sklearn', 4)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CONTEXTS = ("training", "validation", "test")
"""The MLflow dataset context of the train, validation and test splits, in that order."""

MAX_CLASS_COUNTS = 50
"""Profiles list examples per class up to this many classes."""


@dataclass(frozen=True)
class SplitDataset:
    """One split as an MLflow dataset input; `source`, `schema` and `profile` are JSON text."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str
    profile: str
    context: str


def split_datasets(examples, splits, fingerprint: str, recipe: dict[str, Any]) -> list[SplitDataset]:
    """The non-empty splits (train, validation, test) of `examples` as dataset inputs.

    `recipe` is what decides the split besides the data (`data.split` and the seed).
    """
    return [split_dataset(examples, part, context, fingerprint, recipe)
            for context, part in zip(CONTEXTS, splits) if part.size]


def split_dataset(examples, part, context: str, fingerprint: str, recipe: dict[str, Any]) -> SplitDataset:
    """`part` of `examples` (one split) in `context` as a dataset input."""
    name, source_type, source = dataset_source(examples.origin)
    recipe_text = json.dumps([fingerprint, recipe, context], sort_keys=True, default=str)
    profile = {"num_examples": int(part.size), "source": examples.origin, "fingerprint": fingerprint,
               **_class_profile(part)}
    return SplitDataset(
        name=name, digest=hashlib.sha256(recipe_text.encode()).hexdigest()[:12], source_type=source_type,
        source=json.dumps(source), schema=json.dumps(dataset_schema(examples)), profile=json.dumps(profile),
        context=context,
    )


def dataset_source(origin: str) -> tuple[str, str, dict[str, str]]:
    """(name, source type, source) of an `Examples.origin` such as `sklearn:digits` or `image_folder:/data/pets`.

    A location that is a file or folder is a `local` source named after it (the UI shows its
    path); any other (a scikit-learn or TFDS name) keeps its source type and is named as it is.

    Example:
        >>> dataset_source("sklearn:digits")
        ('digits', 'sklearn', {'uri': 'sklearn:digits'})
    """
    kind, _, location = origin.partition(":")
    if not location:
        return (kind or "dataset"), "unknown", {"uri": origin}
    path = Path(location)
    if path.exists():
        return path.resolve().name or location, "local", {"uri": str(path.resolve())}
    return location, kind, {"uri": origin}


def dataset_schema(examples) -> dict[str, Any]:
    """The examples' schema in MLflow's dataset format, from shapes and dtypes (no data read).

    Arrays (images, feature matrices) are an `mlflow_tensorspec` of features and targets;
    texts, file paths and table columns an `mlflow_colspec`, the target column last.

    Example:
        >>> from data.examples import Examples
        >>> schema = dataset_schema(Examples(np.array(["hi", "yo"], object), np.array([0, 1]), ["a", "b"]))
        >>> [(column["name"], column["type"]) for column in schema["mlflow_colspec"]]
        [('text', 'string'), ('label', 'long')]
    """
    inputs, kind = examples.inputs, examples.kind
    if kind in ("image", "table", "windows", "sequences") and inputs.dtype.kind not in "USO":
        features = _tensor("image" if kind == "image" else "features", inputs.dtype, inputs.shape[1:])
        targets = _tensor("label", examples.labels.dtype, examples.labels.shape[1:])
        return {"mlflow_tensorspec": {"features": json.dumps([features]), "targets": json.dumps([targets])}}
    if kind == "columns":
        columns = [_column(name, "float" if kind_of == "numeric" else "string", required=False)
                   for name, kind_of in examples.columns.items()]
        target = "long" if examples.class_names else ("double" if examples.labels.dtype.kind == "f" else "string")
        return {"mlflow_colspec": [*columns, _column("label", target)]}
    first = {"text": "text", "tokens": "tokens"}.get(kind, "image")
    labels = {
        "tokens": [_column("tags", {"type": "array", "items": {"type": "long"}})],
        "detection": [_column("boxes", {"type": "array", "items": {"type": "array", "items": {"type": "float"}}}),
                      _column("classes", {"type": "array", "items": {"type": "long"}})],
        "segmentation": [_column("mask", "string")],
    }.get(kind) or [_column("label", "long" if examples.labels.ndim == 1 else
                            {"type": "array", "items": {"type": "long"}})]
    return {"mlflow_colspec": [_column(first, "string"), *labels]}


def _tensor(name: str, dtype, shape: tuple) -> dict[str, Any]:
    return {"name": name, "type": "tensor", "tensor-spec": {"dtype": np.dtype(dtype).name, "shape": [-1, *shape]}}


def _column(name: str, kind: str | dict[str, Any], required: bool = True) -> dict[str, Any]:
    spec = {"type": kind} if isinstance(kind, str) else dict(kind)
    return {**spec, "name": name, "required": required}


def _class_profile(part) -> dict[str, Any]:
    """Class count and, for up to MAX_CLASS_COUNTS classes of class-id (or multi-hot) labels, examples per class."""
    names = list(part.class_names)
    if not names:
        return {}
    labels = part.labels
    if labels.dtype.kind not in "iu" or labels.ndim not in (1, 2) or len(names) > MAX_CLASS_COUNTS:
        return {"num_classes": len(names)}
    counts = (np.bincount(labels, minlength=len(names)) if labels.ndim == 1 else labels.sum(axis=0)).tolist()
    return {"num_classes": len(names), "class_counts": dict(zip(names, counts))}
