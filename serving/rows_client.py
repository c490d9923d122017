"""Table rows for an export that takes one named input per raw column (tabular models, recommenders): the
batch built from a CSV, TF Serving's row-format body for it, and the rows run through the SavedModel.

Example:
    >>> predict_rows("serving/models/cars", "new_cars.csv")  # doctest: +SKIP
    [{'row': 1, 'predictions': 24.3}, {'row': 2, 'predictions': 17.9}]
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Callable, Mapping

import numpy as np

import tensorflow as tf

from serving.client import SIGNATURE, latest_version_dir
from serving.loading import load_export


def rows_request_body(batch: Mapping[str, np.ndarray]) -> str:
    """TF Serving's row-format JSON body for a tabular batch (as `rows_request` builds it).

    One object per row, one key per input. Missing numbers go as `NaN`, which TF
    Serving's JSON parser reads (it parses with rapidjson's NaN-and-Infinity
    flag); a missing category or date goes as "". `null` and omitted keys are
    refused by TF Serving, so they are never written.

    Example:
        >>> rows_request_body({"Horsepower": np.array([130.0, np.nan], "float32"), "Origin": np.array([b"USA", b""], object)})
        '{"instances": [{"Horsepower": 130.0, "Origin": "USA"}, {"Horsepower": NaN, "Origin": ""}]}'
    """
    rows = len(next(iter(batch.values())))
    instances = [{name: _json_value(values[row]) for name, values in batch.items()} for row in range(rows)]
    return json.dumps({"instances": instances})


def _json_value(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value.item() if isinstance(value, np.generic) else value


def rows_request(signature_inputs: Mapping, frame) -> dict[str, np.ndarray]:
    """One batch for a tabular signature from a table: one array per signature input, one value per row.

    `signature_inputs` maps input names to `tf.TensorSpec`s (or dtypes), e.g.
    `signature.structured_input_signature[1]`; `frame` is a pandas DataFrame.
    Float inputs take the column's numbers, NaN where a cell is empty, missing
    or not a finite number (numbers beyond the float range, like 1e300 for
    float32, are clipped to it: huge, not missing); string inputs take its cells
    as text ("" where missing, integers without ".0", booleans as "true"/"false");
    integer inputs take whole numbers and refuse missing cells. An input with no
    column in `frame` is all missing (NaN or ""); columns that are not inputs are
    ignored (`column_mismatch` names both); an input named by two columns is
    refused (ValueError). Arrays have shape [rows], or [rows, 1] where the spec's
    shape has a trailing 1 or None (a list per row: here one value).

    Example:
        >>> import pandas as pd, tensorflow as tf
        >>> inputs = {"Horsepower": tf.TensorSpec([None], tf.float32), "Origin": tf.TensorSpec([None], tf.string)}
        >>> batch = rows_request(inputs, pd.DataFrame({"Horsepower": [130, None], "Origin": ["USA", None]}))
        >>> batch["Horsepower"].tolist(), batch["Origin"].tolist()
        ([130.0, nan], ['USA', ''])
    """
    import tensorflow as tf

    rows = len(frame)
    twice = sorted({str(c) for c in frame.columns[frame.columns.duplicated()] if c in signature_inputs})
    if twice:
        raise ValueError(f"the table has more than one column named {', '.join(twice)}")
    batch = {}
    for name, spec in signature_inputs.items():
        dtype = tf.as_dtype(getattr(spec, "dtype", spec))
        values = list(frame[name]) if name in frame.columns else [None] * rows
        if dtype.is_floating:
            largest = np.finfo(dtype.as_numpy_dtype).max
            numbers = np.array([_to_float(v) for v in values], dtype="float64").reshape(rows)
            array = np.clip(numbers, -largest, largest).astype(dtype.as_numpy_dtype)
        elif dtype == tf.string:
            array = np.array([_to_text(v) for v in values], dtype=object).reshape(rows)
        elif dtype.is_integer or dtype.is_bool:
            numbers = np.array([_to_float(v) for v in values], dtype="float64").reshape(rows)
            bad = [i + 1 for i, x in enumerate(numbers) if not (math.isfinite(x) and x == int(x))]
            if bad:
                raise ValueError(f"input {name!r} takes whole numbers; row(s) {', '.join(map(str, bad[:10]))} "
                                 f"{'have' if len(bad) > 1 else 'has'} none")
            array = numbers.astype(dtype.as_numpy_dtype)
        else:
            raise ValueError(f"input {name!r} has dtype {dtype.name}, which a table cannot fill")
        shape = getattr(spec, "shape", None)
        if shape is not None and shape.rank == 2 and shape[1] in (1, None):
            array = array.reshape(rows, 1)
        batch[name] = array
    return batch


def column_mismatch(signature_inputs: Mapping, columns) -> tuple[list[str], list[str]]:
    """(inputs with no column, columns that are not inputs), each in its own order.

    Example:
        >>> column_mismatch({"a": None, "b": None}, ["b", "c"])
        (['a'], ['c'])
    """
    columns = [str(c) for c in columns]
    return ([n for n in signature_inputs if n not in columns],
            [c for c in columns if c not in signature_inputs])


def _to_float(value) -> float:
    if value is None or isinstance(value, (bytes, str)) and not value.strip():
        return math.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _to_text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if value is None or isinstance(value, (float, np.floating)) and math.isnan(value):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    try:
        import pandas as pd

        if pd.isna(value):  # pd.NA, NaT
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


# Per-row outputs shown first, in this order; other per-row outputs follow by name.
_ROW_OUTPUTS = ("predictions", "class_names", "class_ids")


def predict_rows(export_dir: str | os.PathLike, csv_path: str | os.PathLike,
                 note: Callable[[str], None] | None = None, signature: str = SIGNATURE,
                 arguments: Mapping[str, str] | None = None) -> list[dict]:
    """Run the rows of a CSV through a tabular export; one dict per row.

    The CSV is read with pandas; `rows_request` turns it into one batch for
    `signature` (default `serving_default`; e.g. a recommender's `recommend` or
    `recommend_by_features`), whose inputs of one value per request (`k`) come
    from `arguments` ({name: text}, see `scalar_inputs`). `note` (default: print to stderr) hears about
    inputs with no column (sent as missing) and columns that are not inputs
    (ignored). Each dict holds `row` (1-based), every output with one value per
    row (`predictions`, `class_names`, ...; bytes decoded), string outputs with
    several values per row joined by ", " (`item_ids`) and, when the export
    answers `probabilities`, the top one as `probability`.

    Example:
        >>> predict_rows("serving/models/cars", "new_cars.csv")  # doctest: +SKIP
        [{'row': 1, 'predictions': 24.3}, {'row': 2, 'predictions': 17.9}]
    """
    import pandas as pd

    note = note or (lambda text: print(f"note: {text}", file=sys.stderr))
    model_path = latest_version_dir(export_dir)
    try:
        frame = pd.read_csv(csv_path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{csv_path}: no such CSV file") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{csv_path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read CSV file {csv_path}: {error}") from None
    if frame.empty:
        raise ValueError(f"{csv_path}: no rows to predict")
    signatures = load_export(model_path).signatures
    if signature not in signatures:
        raise ValueError(f"{model_path} has no signature {signature!r}; it has {', '.join(sorted(signatures))}")
    serve = signatures[signature]
    inputs = dict(serve.structured_input_signature[1])
    scalars = scalar_inputs(inputs, arguments or {}, signature)
    inputs = {name: spec for name, spec in inputs.items() if name not in scalars}
    if not inputs or "image_bytes" in inputs or "texts" in inputs:
        raise ValueError(f"{model_path}: {signature} does not take table rows; it takes {sorted(inputs)}")
    missing, ignored = column_mismatch(inputs, frame.columns)
    if missing:
        note(f"{csv_path} has no column for input{'s' * (len(missing) > 1)} {', '.join(missing)}: sent as missing")
    if ignored:
        note(f"column{'s' * (len(ignored) > 1)} {', '.join(ignored)} of {csv_path} "
             f"{'are' if len(ignored) > 1 else 'is'} not an input of the export: ignored")
    request = rows_request(inputs, frame)
    outputs = {k: v.numpy() for k, v in serve(**{k: tf.constant(v) for k, v in request.items()}, **scalars).items()}
    per_row = [k for k in _ROW_OUTPUTS if k in outputs] + sorted(set(outputs) - set(_ROW_OUTPUTS))
    listed = [k for k in per_row if outputs[k].dtype == object and not _one_per_row(outputs[k], len(frame))]
    per_row = [k for k in per_row if _one_per_row(outputs[k], len(frame))]
    results = []
    for row in range(len(frame)):
        result = {"row": row + 1}
        for key in per_row:
            value = np.asarray(outputs[key][row]).reshape(-1)[0]
            result[key] = value.decode("utf-8") if isinstance(value, bytes) else value.item()
        for key in listed:  # several strings per row (a recommender's item ids): joined, in order
            result[key] = ", ".join(v.decode("utf-8") for v in np.asarray(outputs[key][row]).reshape(-1) if v)
        if "probabilities" in outputs:
            result["probability"] = float(np.max(outputs["probabilities"][row]))
        results.append(result)
    return results


def scalar_inputs(inputs: Mapping, arguments: Mapping[str, str], signature: str = SIGNATURE) -> dict:
    """{name: tf constant} for each input of `inputs` that takes one value per request (a scalar, such as a
    recommender's `k`), parsed from `arguments` ({name: text}); a missing or unknown argument is an error.

    Example:
        >>> import tensorflow as tf
        >>> inputs = {"user_ids": tf.TensorSpec([None], tf.string), "k": tf.TensorSpec([], tf.int32)}
        >>> int(scalar_inputs(inputs, {"k": "5"})["k"])
        5
    """
    scalars = {name: spec for name, spec in inputs.items() if getattr(spec, "shape", None) is not None
               and spec.shape.rank == 0}
    unknown = sorted(set(arguments) - set(scalars))
    if unknown:
        raise ValueError(f"--arg {unknown[0]}: {signature} takes no single-value input of that name; its "
                         f"single-value inputs: {', '.join(scalars) or 'none'}")
    values = {}
    for name, spec in scalars.items():
        if name not in arguments:
            raise ValueError(f"{signature} takes one {spec.dtype.name} {name!r} per request: give --arg {name}=VALUE")
        text = arguments[name]
        try:
            value = text if spec.dtype == tf.string else float(text) if spec.dtype.is_floating else int(text)
        except ValueError:
            raise ValueError(f"--arg {name}={text}: {signature}'s {name} is {spec.dtype.name}") from None
        values[name] = tf.constant(value, spec.dtype)
    return values


def _one_per_row(value: np.ndarray, rows: int) -> bool:
    return value.ndim >= 1 and value.shape[0] == rows and int(np.prod(value.shape[1:], dtype=int)) == 1
