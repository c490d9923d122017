"""What tasks on an interactions table share: refusing a random split, checking the examples, feature tables.

An interactions source (`data.sources.interactions`) gives `user_id` and
`item_id` columns, each interaction's time as its label, and optionally
`user_<column>` / `item_<column>` feature columns. Tasks on it split by time
per user (leave-last-out), never at random.

Example:
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> examples = SimpleNamespace(columns={"user_id": "categorical", "item_id": "categorical",
    ...                                     "item_genre": "categorical"},
    ...                            inputs={"item_id": np.array(["b", "a", "b"], object),
    ...                                    "item_genre": np.array(["pop", "rock", "pop"], object)})
    >>> types, table = feature_table(examples, "item", ["a", "b"])
    >>> types, table["item_genre"].tolist()
    ({'item_genre': 'categorical'}, ['rock', 'pop'])
"""

from __future__ import annotations

import numpy as np

RANDOM_SPLIT_KEYS = ("validation", "test", "stratify")
"""`data.split` keys of a random split, which tasks on interactions refuse."""


def refuse_random_split(spec) -> None:
    """Raise naming `data.split.<key>` when the spec sets a random split's key.

    Example:
        >>> refuse_random_split(spec)   # doctest: +SKIP
        ValueError: data.split.test: task <task> splits by time per user (leave-last-out: ...), never at random; ...
    """
    split = spec.data.split
    for key in RANDOM_SPLIT_KEYS:
        if key in split.model_fields_set:
            raise ValueError(f"data.split.{key}: task {spec.task} splits by time per user (leave-last-out: each "
                             f"user's last interaction is test, the one before it validation), never at "
                             f"random; remove it")


def check_interactions(examples, task: str) -> None:
    """Fail early unless the source gives interactions (`user_id` and `item_id` columns, times as labels).

    Example:
        >>> check_interactions(examples, spec.task)   # doctest: +SKIP
    """
    inputs = examples.inputs if isinstance(examples.inputs, dict) else {}
    if examples.kind != "columns" or not {"user_id", "item_id"} <= set(inputs) or examples.labels.dtype.kind != "f":
        raise ValueError(f"task {task} needs interactions (data.source type: interactions); data.source "
                         f"gives {examples.kind} examples")


def feature_table(examples, role: str, ids: list[str]):
    """(types, {column: (len(ids),) values}) of the `<role>_<column>` feature columns, one row per id (its first
    interaction's), or None without such columns (`role`: "user" or "item"; see the module's example)."""
    key = f"{role}_id"
    types = {name: kind for name, kind in examples.columns.items() if name.startswith(f"{role}_") and name != key}
    if not types:
        return None
    first: dict[str, int] = {}
    for row, value in enumerate(examples.inputs[key].tolist()):
        first.setdefault(value, row)
    rows = np.array([first[i] for i in ids], "int64")
    return types, {name: examples.inputs[name][rows] for name in types}
