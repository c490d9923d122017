"""A series as the CSV `kpipe predict --series` reads: one row per step, one column per value, a header row.

Example:
    >>> import numpy as np, tempfile
    >>> path = write_series_csv(np.array([[1.0, 0.5], [2.0, 0.5]]), ["demand", "price"], tempfile.mkdtemp())
    >>> path.read_text().splitlines()
    ['demand,price', '1,0.5', '2,0.5']
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np


def write_series_csv(values: np.ndarray, columns: list[str], folder: str | os.PathLike,
                     seconds: np.ndarray | None = None) -> Path:
    """`folder/series.csv`: `values` [steps, len(columns)], one row per step, headed by the value names.

    With `seconds` (int64 seconds since 1970 of each step), a first `timestamp` column holds them as ISO times.
    """
    path = Path(folder) / "series.csv"
    rows = [[f"{v:.9g}" for v in row] for row in np.asarray(values).reshape(len(values), -1)]
    if seconds is not None:
        times = np.asarray(seconds, "int64").astype("datetime64[s]").astype(str)
        rows = [[time, *row] for time, row in zip(times, rows)]
        columns = ["timestamp", *columns]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows(rows)
    return path
