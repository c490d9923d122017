"""Permutation feature importance: how much the held-out score drops when one column is shuffled.

Shuffling a column keeps its distribution and breaks its link to the target;
the drop of the score (the loss in accuracy, the rise in error) is that
column's importance to the trained model. Computed on the held-out split, so
it tells what the model uses, not what it memorized.

Example:
    >>> import numpy as np
    >>> columns = {"signal": np.arange(50.0), "noise": np.zeros(50)}
    >>> score = lambda cols: -float(np.mean(np.abs(cols["signal"] - np.arange(50.0))))
    >>> drops = permutation_importance(score, columns, repeats=2, seed=0)
    >>> drops["signal"] > drops["noise"] == 0.0
    True
"""

from __future__ import annotations

import numpy as np


def permutation_importance(score, columns: dict[str, np.ndarray], *, repeats: int = 3,
                           seed: int = 0) -> dict[str, float]:
    """Mean drop of `score(columns)` (higher is better) over `repeats` shuffles of each column."""
    rng = np.random.default_rng(seed)
    base = score(columns)
    drops = {}
    for name in columns:
        losses = []
        for _ in range(repeats):
            shuffled = dict(columns)
            shuffled[name] = columns[name][rng.permutation(len(columns[name]))]
            losses.append(base - score(shuffled))
        drops[name] = float(np.mean(losses))
    return dict(sorted(drops.items(), key=lambda item: -item[1]))


def importance_table(drops: dict[str, float], what: str) -> str:
    """The importances as CSV text (column, drop of `what`), most important first.

    Example:
        >>> print(importance_table({"a": 0.25, "b": 0.0}, "accuracy"), end="")
        column,accuracy_drop
        a,0.25
        b,0
    """
    lines = [f"column,{what}_drop"] + [f"{name},{drop:.6g}" for name, drop in drops.items()]
    return "\n".join(lines) + "\n"
