"""Series through an export: a CSV of one series (one row per step, one column per value) in, answers out.

A forecasting export takes `history` [batch, steps, values] of a fixed number
of steps: the CSV's last that many rows are sent (fewer is an error naming
both numbers); one with known covariates also takes `future`: the rows after
the history whose target cell is empty, one per forecast step, hold them in
the last columns; one with calendar features also takes `timestamps`, read from
the CSV's first column when it is named `timestamp` (ISO times). A sequence-classification export takes `series` [batch, steps,
values]: a shorter series is padded with NaN (the padding the model masks), a
longer one is an error.

Example:
    >>> predict_series("serving/models/demand", "series.csv")   # doctest: +SKIP
    [{'step': 1, 'forecast': '12.5'}, {'step': 2, 'forecast': '13.1'}]
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from serving.client import latest_version_dir, summarize_outputs
from serving.loading import load_export

SIGNATURE = "serving_default"


def read_series_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The series in a CSV with a header row: float32 [steps, values]; the int64 seconds since 1970 of a first
    `timestamp` column (ISO times) when there is one, else None; and the rows after the history whose first
    value (the target) is empty, float32 [ahead, values] with NaN in the empty cells (the known values of the
    steps to forecast). A bad cell is an error naming it."""
    with Path(path).open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    if len(rows) < 2:
        raise ValueError(f"{path}: expected a header row and at least one row of values")
    seconds = None
    if rows[0][0] == "timestamp":
        try:
            seconds = np.array([row[0] for row in rows[1:]], "datetime64[s]").astype("int64")
        except ValueError as error:
            raise ValueError(f"{path}: the timestamp column holds a value that is not an ISO time ({error})") from None
        rows = [row[1:] for row in rows]
    known = len(rows) - 1
    while known > 1 and rows[known] and rows[known][0].strip() == "":
        known -= 1
    values = np.empty((len(rows) - 1, len(rows[0])), "float32")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise ValueError(f"{path} row {number}: {len(row)} values, the header names {len(rows[0])}")
        for column, cell in enumerate(row):
            if number - 1 > known and cell.strip() == "":
                values[number - 2, column] = np.nan
                continue
            try:
                values[number - 2, column] = float(cell)
            except ValueError:
                raise ValueError(f"{path} row {number}, column {rows[0][column]!r}: {cell!r} is not a number") from None
    if seconds is not None:
        seconds = seconds[:known]
    return values[:known], seconds, values[known:]


def _future(ahead: np.ndarray, spec, path) -> np.ndarray:
    """The known values of the forecast steps [1, horizon, K]: the last K columns of the rows after the history."""
    horizon, known = spec.shape[1], spec.shape[2]
    if len(ahead) != horizon:
        raise ValueError(f"{path}: the export takes the known values of {horizon} forecast steps: after the "
                         f"history, add {horizon} rows with the target empty and the last {known} columns filled; "
                         f"the file has {len(ahead)}")
    future = ahead[:, ahead.shape[1] - known:]
    empty = np.argwhere(~np.isfinite(future))
    if len(empty):
        raise ValueError(f"{path}: forecast step {empty[0][0] + 1} has no value in known column {empty[0][1] + 1} "
                         f"of {known} (the last {known} columns)")
    return future[None]


def _fitted(values: np.ndarray, steps: int | None, name: str, path) -> np.ndarray:
    """`values` cut (forecast history: its last `steps` rows) or NaN-padded (a series to classify) to `steps`."""
    if steps is None or len(values) == steps:
        return values
    if name == "history" and len(values) > steps:
        return values[-steps:]
    if name != "history" and len(values) < steps:
        return np.concatenate([values, np.full((steps - len(values), values.shape[1]), np.nan, "float32")])
    raise ValueError(f"{path}: the export's {name!r} takes {steps} steps, the file has {len(values)}")


def predict_series(export_dir: str | os.PathLike, csv_path: str | os.PathLike) -> list[dict]:
    """The export's answer for the series in `csv_path`: one row per forecast step, or one summary row."""
    import tensorflow as tf

    serve = load_export(latest_version_dir(export_dir)).signatures[SIGNATURE]
    inputs = dict(serve.structured_input_signature[1])
    name = next(key for key in inputs if key not in ("timestamps", "future"))
    steps, width = inputs[name].shape[1], inputs[name].shape[2]
    values, seconds, ahead = read_series_csv(csv_path)
    if len(ahead) and "future" not in inputs:
        raise ValueError(f"{csv_path}: the last {len(ahead)} rows have no target value, but the export takes no "
                         f"known future values; remove them")
    if width is not None and values.shape[1] != width:
        raise ValueError(f"{csv_path}: the export's {name!r} takes {width} values per step, the file has "
                         f"{values.shape[1]}")
    request = {name: tf.constant(_fitted(values, steps, name, csv_path)[None])}
    if "timestamps" in inputs:
        if seconds is None:
            raise ValueError(f"{csv_path}: the export takes the time of each step: add a first column named "
                             f"timestamp (ISO times)")
        request["timestamps"] = tf.constant(seconds[-steps:][None])
    if "future" in inputs:
        request["future"] = tf.constant(_future(ahead, inputs["future"], csv_path))
    outputs = {k: v.numpy() for k, v in serve(**request).items()}
    if "forecast" not in outputs:
        return [summarize_outputs(outputs, 0)]
    rows = []
    for step, value in enumerate(outputs["forecast"][0], start=1):
        row = {"step": step, "forecast": f"{value:.6g}"}
        if "quantiles" in outputs:
            row["quantiles"] = " ".join(f"{q:.4g}" for q in outputs["quantiles"][0, step - 1])
        rows.append(row)
    return rows
