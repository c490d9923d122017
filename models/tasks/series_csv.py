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


def write_series_csv(values: np.ndarray, columns: list[str], folder: str | os.PathLike) -> Path:
    """`folder/series.csv`: `values` [steps, len(columns)], one row per step, headed by the value names."""
    path = Path(folder) / "series.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows([[f"{v:.9g}" for v in row] for row in np.asarray(values).reshape(len(values), -1)])
    return path
