"""Series of different lengths as one NaN-padded array (N, T, F), the `sequences` kind of examples.

NaN marks padding only: an example's steps come first, then NaN in every
value up to the longest example's length.

Example:
    >>> batch = padded([np.ones((2, 1)), np.ones((3, 1))])
    >>> batch.shape, batch[0, :, 0].tolist()
    ((2, 3, 1), [1.0, 1.0, nan])
    >>> padding_problem(batch[0]) is None
    True
"""

from __future__ import annotations

import numpy as np


def padded(series: list) -> np.ndarray:
    """float32 (N, T, F): each [T_i, F] series followed by NaN steps up to the longest T."""
    longest = max((len(values) for values in series), default=0)
    width = series[0].shape[1] if series else 1
    out = np.full((len(series), longest, width), np.nan, dtype="float32")
    for i, values in enumerate(series):
        out[i, : len(values)] = values
    return out


def padding_problem(sequence) -> str | None:
    """Why one [T, F] example is not a series followed by NaN padding, or None when it is.

    Example:
        >>> padding_problem(np.array([[1.0], [np.nan], [2.0]]))
        'step 1 is missing before the end (NaN may only pad the end)'
        >>> padding_problem(np.array([[1.0, np.nan]]))
        'step 0 has some values missing'
    """
    sequence = np.asarray(sequence, dtype="float64")
    if np.isinf(sequence).any():
        return f"step {int(np.flatnonzero(np.isinf(sequence).any(axis=1))[0])} holds an infinite value"
    missing = np.isnan(sequence)
    empty_steps = missing.all(axis=1)
    partial = np.flatnonzero(missing.any(axis=1) & ~empty_steps)
    if len(partial):
        return f"step {int(partial[0])} has some values missing"
    if empty_steps.all():
        return "no values"
    length = len(empty_steps) - int(np.argmax(~empty_steps[::-1]))
    inner = np.flatnonzero(empty_steps[:length])
    if len(inner):
        return f"step {int(inner[0])} is missing before the end (NaN may only pad the end)"
    return None
