"""A table with one whole series per row, and its class (sequence classification).

Each of the `series_columns` holds one value of every step: a string of
numbers separated by spaces or commas (`0.1 0.5 0.3`, `[0.1, 0.5, 0.3]`), or a
list column in parquet. Several columns make a multivariate series; they must
have the same length within a row. Rows may differ in length: the examples
(kind "sequences", float32 (N, T, F)) are NaN-padded to the longest row.

With a `split_column` (values train, validation, test) the split follows it
instead of the shares of `data.split`.

A row with an empty or non-numeric cell, a missing or infinite value, columns
of different lengths, no label or an unknown split is a bad record named by
file, row and column.

Example (YAML):
    data:
      source: {type: series_rows, path: data/generated/series/shapes.csv, series_columns: [values],
               label_column: label, split_column: split}
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, model_validator

from pipelines.options import Options
from pipelines.registry import sources

ColumnName = Annotated[str, Field(min_length=1)]
SPLITS = ("train", "validation", "test")


class SeriesRowsOptions(Options):
    path: str = Field(description="The table: CSV, or parquet when the path ends with .parquet.")
    series_columns: list[ColumnName] = Field(
        min_length=1, description="Columns holding the series, one value per step; several: multivariate.",
    )
    label_column: ColumnName = Field(description="Column of each series' class (strings or integers).")
    split_column: ColumnName | None = Field(
        default=None, description="Column assigning each row to train, validation or test (instead of shares).",
    )
    delimiter: str = Field(default=",", min_length=1, description="Field separator of a CSV file.")

    @model_validator(mode="after")
    def _distinct(self):
        named = [*self.series_columns, self.label_column, *([self.split_column] if self.split_column else [])]
        twice = sorted({column for column in named if named.count(column) > 1})
        if twice:
            raise ValueError(f"column {', '.join(map(repr, twice))} is named in more than one role")
        return self


@sources.register("series_rows", SeriesRowsOptions)
def load_series_rows(options: SeriesRowsOptions, *, on_bad_record: str = "error"):
    """Series, one per row, with their classes: NaN-padded float32 (N, T, F) sequences.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "toy.csv")
        >>> _ = open(path, "w").write('x,kind\\n"1 2 3",up\\n"3,2",down\\n')
        >>> rows = load_series_rows(SeriesRowsOptions(path=path, series_columns=["x"], label_column="kind"))
        >>> rows.kind, rows.inputs.shape, rows.inputs[1, :, 0].tolist(), rows.class_names
        ('sequences', (2, 3, 1), [3.0, 2.0, nan], ['down', 'up'])
    """
    import numpy as np

    from data.errors import BadRecords
    from data.examples import Examples
    from data.labels import class_ids
    from data.series.cells import read_table, require
    from data.series.sequences import padded

    path, bad = options.path, BadRecords(on_bad_record)
    frame, rows = read_table(path, options.delimiter, bad)
    for column in options.series_columns:
        require(frame, path, column, "series")
    require(frame, path, options.label_column, "label")
    if options.split_column is not None:
        require(frame, path, options.split_column, "split")
    series, labels, splits = [], [], []
    for i, row in enumerate(frame.itertuples(index=False)):
        cells = dict(zip(frame.columns, row))
        try:
            values = _row_series(cells, options.series_columns)
            label = _label(cells[options.label_column], options.label_column)
            split = _split(cells[options.split_column], options.split_column) if options.split_column else None
        except ValueError as problem:
            bad(f"{path} row {rows[i]}", str(problem))
            continue
        series.append(values)
        labels.append(label)
        splits.append(split)
    if not series:
        raise ValueError(f"{path}: no usable data rows")
    class_names, class_id = class_ids(labels)
    return Examples(
        padded(series), np.array([class_id(label) for label in labels]), class_names, kind="sequences",
        skipped=bad.count, skipped_records=bad.records, origin=f"series_rows:{path}",
        assigned_split=np.array(splits, dtype=object) if options.split_column else None,
    )


def _row_series(cells: dict, columns: list[str]):
    """[T, F] float64: one column of values per series column; a ValueError naming the column when one is bad."""
    import numpy as np

    values = [_numbers(cells[column], column) for column in columns]
    lengths = {column: len(v) for column, v in zip(columns, values)}
    if len(set(lengths.values())) > 1:
        raise ValueError("series columns differ in length: " + ", ".join(f"{c!r} {n}" for c, n in lengths.items()))
    return np.stack(values, axis=1)


def _numbers(cell, column: str):
    """The numbers of one cell: a list (parquet), or a string of numbers separated by spaces or commas."""
    import numpy as np

    if isinstance(cell, (list, tuple, np.ndarray)):
        tokens = list(cell)
    else:
        text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell)
        tokens = [t for t in re.split(r"[\s,]+", text.strip().strip("[]")) if t]
    if not tokens:
        raise ValueError(f"column {column!r}: no values")
    try:
        values = np.array([float(token) for token in tokens])
    except (TypeError, ValueError):
        wrong = next(t for t in tokens if not _is_number(t))
        raise ValueError(f"column {column!r}: {wrong!r} is not a number") from None
    if not np.isfinite(values).all():
        step = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ValueError(f"column {column!r}: step {step} is {tokens[step]!r}, not a finite number")
    return values


def _is_number(token) -> bool:
    try:
        float(token)
    except (TypeError, ValueError):
        return False
    return True


def _label(cell, column: str) -> str:
    import pandas as pd

    label = "" if cell is None or (not isinstance(cell, str) and pd.isna(cell)) else str(cell).strip()
    if not label:
        raise ValueError(f"column {column!r}: no label")
    return label


def _split(cell, column: str) -> str:
    split = str(cell).strip().lower()
    if split not in SPLITS:
        raise ValueError(f"column {column!r}: split {cell!r} is not one of {', '.join(SPLITS)}")
    return split
