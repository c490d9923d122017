"""A series as the CSV `kpipe predict --series` reads: one row per step, one column per value, a header row.

Example:
    >>> import numpy as np, tempfile
    >>> path = write_series_csv(np.array([[1.0, 0.5], [2.0, 0.5]]), ["demand", "price"], tempfile.mkdtemp())
    >>> path.read_text().splitlines()
    ['demand,price', '1,0.5', '2,0.5']
    >>> planned = write_series_csv(np.array([[1.0, 0.5]]), ["demand", "price"], tempfile.mkdtemp(),
    ...                            future=np.array([[0.4], [0.3]]))
    >>> planned.read_text().splitlines()
    ['demand,price', '1,0.5', ',0.4', ',0.3']
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np


def write_series_csv(values: np.ndarray, columns: list[str], folder: str | os.PathLike,
                     seconds: np.ndarray | None = None, future: np.ndarray | None = None) -> Path:
    """`folder/series.csv`: `values` [steps, len(columns)], one row per step, headed by the value names.

    With `seconds` (int64 seconds since 1970 of each step), a first `timestamp` column holds them as ISO times.
    With `future` [horizon, K] (the last K columns' values known at the forecast steps), one row per forecast
    step follows, its other cells empty (and its time the last one plus multiples of the last interval).
    """
    path = Path(folder) / "series.csv"
    rows = [[f"{v:.9g}" for v in row] for row in np.asarray(values).reshape(len(values), -1)]
    if future is not None:
        future = np.asarray(future).reshape(len(future), -1)
        blank = [""] * (len(columns) - future.shape[1])
        rows += [[*blank, *(f"{v:.9g}" for v in row)] for row in future]
        if seconds is not None:
            seconds = np.asarray(seconds, "int64")
            step = seconds[-1] - seconds[-2] if len(seconds) > 1 else 0
            seconds = np.concatenate([seconds, seconds[-1] + step * np.arange(1, len(future) + 1)])
    if seconds is not None:
        times = np.asarray(seconds, "int64").astype("datetime64[s]").astype(str)
        rows = [[time, *row] for time, row in zip(times, rows)]
        columns = ["timestamp", *columns]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows(rows)
    return path
