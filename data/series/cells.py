"""Reading the cells of a time-series table: the table itself, numbers and times, bad cells named by row.

Rows are the 1-based data rows of the file (the header is not counted), as
the csv source names them. A bad cell goes to `bad` (`data.errors.BadRecords`):
under `on_bad_record: error` it raises, naming the file, row and column.

Example:
    >>> import pandas as pd
    >>> from data.errors import BadRecords
    >>> numbers(pd.Series(["1.5", "", "NA", "2"]), "y", "t.csv", [1, 2, 3, 4], BadRecords("error")).tolist()
    [1.5, nan, nan, 2.0]
    >>> numbers(pd.Series(["1.5", "lots"]), "y", "t.csv", [1, 2], BadRecords("error"))
    Traceback (most recent call last):
    ...
    data.errors.BadRecordError: bad record in t.csv row 2: column 'y': 'lots' is not a number
"""

from __future__ import annotations

import numpy as np

from pipelines.registry import suggest

MISSING_CELLS = ("", "na", "n/a", "nan", "null", "none")
"""Cells (stripped, lower-cased) that mean a missing value."""


def read_table(path: str, delimiter: str, bad):
    """The CSV (cells as strings, "" where empty) or parquet file at `path`, and the 1-based data row of each row.

    Parquet is read when the path ends with .parquet; CSV lines with the wrong
    number of fields go to `bad`.
    """
    from data.sources.csv import _read_csv, read_parquet

    if path.lower().endswith(".parquet"):
        frame = read_parquet(path).rename(columns=str).reset_index(drop=True)
        return frame, list(range(1, len(frame) + 1))
    frame, rows = _read_csv(path, delimiter, bad)
    return frame.reset_index(drop=True), rows


def require(frame, path: str, column: str, what: str) -> None:
    """A ValueError naming the file, the column and the closest column name when `frame` lacks `column`."""
    columns = list(frame.columns)
    if column not in columns:
        raise ValueError(f"{path}: no {what} column {column!r}{suggest(column, columns)}; "
                         f"columns: {', '.join(columns)}")


def numbers(cells, column: str, path: str, rows: list[int], bad) -> np.ndarray:
    """float64 values of a column's cells, NaN where missing; a cell that is no finite number goes to `bad`.

    Under `on_bad_record: skip` such a cell is read as missing.
    """
    import pandas as pd

    cells = pd.Series(cells).reset_index(drop=True)
    if cells.dtype.kind in "iuf":
        values = cells.to_numpy("float64", copy=True)
        wrong = np.isinf(values)
    else:
        text = cells.astype(str).str.strip()
        missing = (cells.isna() | text.str.lower().isin(MISSING_CELLS)).to_numpy()
        values = pd.to_numeric(text.where(~missing), errors="coerce").to_numpy("float64", copy=True)
        wrong = ~missing & ~np.isfinite(values)
    for i in np.flatnonzero(wrong):
        bad(f"{path} row {rows[i]}", f"column {column!r}: {cells[i]!r} is not a number")
    values[wrong] = np.nan
    return values


def times(cells, column: str, path: str, rows: list[int], bad) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[ns] times of a column's cells (UTC, without time zone) and which rows have one.

    Whole numbers are read as written ("1871" is the year 1871, "20240131" a
    date). A cell that is empty or cannot be read as a time goes to `bad`
    (under `on_bad_record: skip` its row is left out).

    Example:
        >>> import pandas as pd
        >>> from data.errors import BadRecords
        >>> found, ok = times(pd.Series(["2024-01-01", "2024-01-01 06:00"]), "t", "t.csv", [1, 2], BadRecords("error"))
        >>> [str(t) for t in found], ok.tolist()
        (['2024-01-01T00:00:00.000000000', '2024-01-01T06:00:00.000000000'], [True, True])
    """
    import warnings

    import pandas as pd

    cells = pd.Series(cells).reset_index(drop=True)
    if cells.dtype.kind in "iu":
        cells = cells.astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format": each cell is then parsed alone
        parsed = pd.to_datetime(cells, errors="coerce", utc=True)
        retry = parsed.isna() & cells.notna()
        if retry.any():
            parsed[retry] = pd.to_datetime(cells[retry], errors="coerce", utc=True, format="mixed")
    ok = parsed.notna().to_numpy()
    for i in np.flatnonzero(~ok):
        empty = pd.isna(cells[i]) or not str(cells[i]).strip()
        bad(f"{path} row {rows[i]}", f"column {column!r}: " +
            ("no time" if empty else f"cannot read {cells[i]!r} as a time"))
    return parsed.dt.tz_localize(None).to_numpy("datetime64[ns]"), ok
