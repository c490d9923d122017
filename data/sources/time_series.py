"""Time series from a CSV or parquet table (forecasting), in long or wide layout.

- long: one row per step of a series: a `timestamp_column`, a `series_column`
  naming the series (absent: the whole table is one series, named after the
  target), the `target_column`, any `covariate_columns` (known up to the
  forecast's origin) and any `known_columns` (known in advance, also for the
  steps to forecast).
- wide: one row per time, one column per series (every column but the
  timestamp and the covariates, or the `series_columns`); the covariates are
  shared by every series. The target value is named "value".

Without a `timestamp_column` the rows are plain steps in file order. With one,
each series is sorted by time and put on a regular grid at `frequency`
(default: inferred from the series' most common step); gaps, duplicate or
off-grid timestamps and missing values are reported on stderr (count and first
places, naming the file and the series) and handled by `missing`
(`data.series.regular`): interpolate (default), ffill, or error. Cells that
are no number, and times that cannot be read, are bad records named by file,
row and column: under `on_bad_record: skip` a bad number is read as missing and
a row without a time is left out.

Examples of kind "series": one float32 [T, F] array per series (the target,
then the covariates), the series ids as labels, the grid's timestamps.

Example (YAML):
    data:
      source: {type: time_series, path: data/generated/series/demand.csv, timestamp_column: timestamp,
               series_column: store, target_column: demand, covariate_columns: [temperature]}
      # wide: {type: time_series, path: prices.parquet, layout: wide, timestamp_column: date, frequency: D}
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from data.series.regular import Missing
from pipelines.options import Options
from pipelines.registry import sources

ColumnName = Annotated[str, Field(min_length=1)]


class TimeSeriesOptions(Options):
    path: str = Field(description="The table: CSV, or parquet when the path ends with .parquet.")
    layout: Literal["long", "wide"] = Field(
        default="long",
        description="long: one row per step of a series; wide: one row per time, one column per series.",
    )
    timestamp_column: ColumnName | None = Field(
        default=None, description="Column of the time of each row; absent: plain steps in file order.",
    )
    series_column: ColumnName | None = Field(
        default=None, description="Long layout: column naming each row's series; absent: one series.",
    )
    target_column: ColumnName | None = Field(default=None, description="Long layout: the column to forecast.")
    series_columns: list[ColumnName] | None = Field(
        default=None, min_length=1,
        description="Wide layout: the columns that are series; default every column but the timestamp and covariates.",
    )
    covariate_columns: list[ColumnName] = Field(
        default_factory=list, description="Columns known alongside the target (inputs of the history, not forecast).",
    )
    known_columns: list[ColumnName] = Field(
        default_factory=list,
        description="Covariates known in advance for the steps to forecast (planned prices, promotions, holidays, "
                    "a weather forecast): inputs of the history and of every forecast step; the export takes "
                    "their future values as `future`.",
    )
    frequency: str | None = Field(
        default=None, description="Pandas offset alias of the steps (h, D, W-SAT, MS, ...); default inferred.",
    )
    missing: Missing = Field(
        default="interpolate",
        description="Gaps, duplicate or off-grid timestamps and missing values: interpolate, ffill or error.",
    )
    delimiter: str = Field(default=",", min_length=1, description="Field separator of a CSV file.")

    @model_validator(mode="after")
    def _layout(self):
        if self.layout == "long":
            if self.target_column is None:
                raise ValueError("the long layout needs target_column (the column to forecast)")
            if self.series_columns is not None:
                raise ValueError("series_columns goes with layout: wide; in the long layout name the series_column")
        elif self.target_column is not None or self.series_column is not None:
            raise ValueError("layout: wide takes no target_column or series_column: each series is a column "
                             "(series_columns, default all but the timestamp and covariates)")
        named = [self.timestamp_column, self.series_column, self.target_column, *self.covariate_columns,
                 *self.known_columns, *(self.series_columns or [])]
        named = [column for column in named if column is not None]
        twice = sorted({column for column in named if named.count(column) > 1})
        if twice:
            raise ValueError(f"column {', '.join(map(repr, twice))} is named in more than one role")
        return self


@sources.register("time_series", TimeSeriesOptions)
def load_time_series(options: TimeSeriesOptions, *, on_bad_record: str = "error"):
    """Time series from a long or wide table, on a regular grid, missing steps and values filled.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "toy.csv")
        >>> rows = ["t,shop,sales", "2024-01-01,a,1", "2024-01-02,a,2", "2024-01-01,b,5", "2024-01-02,b,7"]
        >>> _ = open(path, "w").write("\\n".join(rows))
        >>> series = load_time_series(TimeSeriesOptions(path=path, timestamp_column="t", series_column="shop",
        ...                                             target_column="sales"))
        >>> series.kind, series.labels.tolist(), series.inputs[1][:, 0].tolist(), series.columns
        ('series', ['a', 'b'], [5.0, 7.0], {'sales': 'target'})
    """
    import numpy as np

    from data.errors import BadRecords
    from data.examples import Examples
    from data.series.cells import numbers, read_table, require, times
    from data.series.regular import regularize

    path, bad = options.path, BadRecords(on_bad_record)
    frame, rows = read_table(path, options.delimiter, bad)
    if options.layout == "long":
        targets, target_name = [options.target_column], options.target_column
    else:
        others = {options.timestamp_column, *options.covariate_columns, *options.known_columns}
        targets = options.series_columns or [c for c in frame.columns if c not in others]
        target_name = "value"
        if not targets:
            raise ValueError(f"{path}: no series columns besides the timestamp and covariates")
    for column, what in [(options.timestamp_column, "timestamp"), (options.series_column, "series"),
                         *[(c, "target" if options.layout == "long" else "series") for c in targets],
                         *[(c, "covariate") for c in options.covariate_columns],
                         *[(c, "known covariate") for c in options.known_columns]]:
        if column is not None:
            require(frame, path, column, what)
    if frame.empty:
        raise ValueError(f"{path}: no data rows")

    stamps, keep = None, np.ones(len(frame), bool)
    if options.timestamp_column is not None:
        stamps, keep = times(frame[options.timestamp_column], options.timestamp_column, path, rows, bad)
    parts = _series_rows(frame, rows, options, keep, bad)
    if not parts:
        raise ValueError(f"{path}: no usable data rows")
    extra = [*options.covariate_columns, *options.known_columns]
    covariates = np.zeros((len(frame), len(extra)))
    for i, column in enumerate(extra):
        covariates[:, i] = numbers(frame[column], column, path, rows, bad)
    names = [target_name, *extra]
    roles = {target_name: "target", **{c: "covariate" for c in options.covariate_columns},
             **{c: "known" for c in options.known_columns}}
    ids, values, grids = [], [], []
    for target in targets:
        target_values = numbers(frame[target], target, path, rows, bad)
        for series_id, indices in parts:
            series_id = target if series_id is None else series_id
            table = np.column_stack([target_values[indices], covariates[indices]])
            series, grid = regularize(
                table, None if stamps is None else stamps[indices], names=names, frequency=options.frequency,
                missing=options.missing, where=f"time_series: {path} series {series_id!r}",
            )
            ids.append(series_id)
            values.append(series)
            grids.append(grid)
    timestamps = None
    if stamps is not None:
        timestamps = np.empty(len(grids), dtype=object)
        timestamps[:] = grids
    return Examples(
        values, np.array(ids, dtype=object), kind="series", timestamps=timestamps,
        columns=roles,
        skipped=bad.count, skipped_records=bad.records, origin=f"time_series:{path}",
    )


def _series_rows(frame, rows: list[int], options: TimeSeriesOptions, keep, bad) -> list:
    """(series id, row indices) of each series of a long table, in order of first appearance.

    Without a series column: [(None, the kept rows)], or [] when none is kept.
    A row without a series id is a bad record (left out under skip); rows
    already left out (`keep` False) stay out.
    """
    import numpy as np
    import pandas as pd

    column = options.series_column
    if column is None:
        return [(None, np.flatnonzero(keep))] if keep.any() else []
    ids = frame[column].astype(str).str.strip().where(frame[column].notna(), "").to_numpy()
    for i in np.flatnonzero(keep & (ids == "")):
        bad(f"{options.path} row {rows[i]}", f"column {column!r}: no series id")
    keep = keep & (ids != "")
    return [(name, np.flatnonzero(keep & (ids == name))) for name in pd.unique(ids[keep])]
