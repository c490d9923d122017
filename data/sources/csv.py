"""Tables (CSV, or parquet when the path ends with .parquet): numeric feature columns and a label column.

Labels may be strings or integers; class ids follow their sorted unique values
(numerically when every label is an integer). A row with a value that is not a
finite number, a missing label or the wrong number of fields is a bad record,
named by its 1-based data row (the header is not counted).

Example (YAML):
    data:
      source: {type: csv, path: data/iris.csv, label_column: species}
"""

from __future__ import annotations

import re

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import sources, suggest


class TableOptions(Options):
    path: str = Field(description="The table file.")
    label_column: str = Field(description="Column holding the class of each row (strings or integers).")
    feature_columns: list[str] | None = Field(
        default=None, min_length=1, description="Numeric columns used as features, in this order; default: all but the label."
    )


class CsvOptions(TableOptions):
    path: str = Field(description="The CSV file (read as parquet when it ends with .parquet).")
    delimiter: str = Field(default=",", min_length=1, description="Field separator of the CSV file.")


@sources.register("csv", CsvOptions)
def load_csv(options: CsvOptions, *, on_bad_record: str = "error"):
    """A CSV table: one example per row, float32 features from numeric columns, classes from a label column.

    Example:
        >>> examples = load_csv(CsvOptions(path="data/iris.csv", label_column="species"))  # doctest: +SKIP
        >>> examples.inputs.shape, examples.class_names                                     # doctest: +SKIP
        ((150, 4), ['setosa', 'versicolor', 'virginica'])
    """
    from data.errors import BadRecords

    bad = BadRecords(on_bad_record)
    if options.path.lower().endswith(".parquet"):
        return table_examples(read_parquet(options.path), None, options, bad, f"csv:{options.path}")
    frame, rows = _read_csv(options.path, options.delimiter, bad)
    return table_examples(frame, rows, options, bad, f"csv:{options.path}")


def read_parquet(path: str):
    """The parquet file at `path` as a DataFrame; a ValueError naming the file when it cannot be read."""
    import os

    import pandas as pd

    if not os.path.isfile(path):
        raise ValueError(f"no table file at {path}")
    try:
        return pd.read_parquet(path)
    except Exception as error:  # noqa: BLE001  (pyarrow raises its own error types)
        raise ValueError(f"cannot read parquet file {path}: {error}") from error


def _read_csv(path: str, delimiter: str, bad):
    """The CSV as strings ('' where empty) and the 1-based data row of each of its rows.

    Lines with the wrong number of fields go to `bad`; blank lines are dropped.
    """
    import os
    import warnings

    import pandas as pd

    if not os.path.isfile(path):
        raise ValueError(f"no table file at {path}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                path, sep=delimiter, dtype=str, keep_default_na=False, skip_blank_lines=False, on_bad_lines="warn"
            )
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path} is empty") from None
        except pd.errors.ParserError as error:
            raise ValueError(f"cannot parse CSV file {path}: {error}") from None
        except UnicodeDecodeError as error:
            raise ValueError(f"cannot read CSV file {path}: {error}") from None
    malformed = set()
    for warning in caught:
        for line, reason in re.findall(r"Skipping line (\d+): (.*)", str(warning.message)):
            malformed.add(int(line) - 1)
            bad(f"{path} row {int(line) - 1}", reason.strip())
    rows, row = [], 0
    for _ in range(len(frame)):
        row += 1
        while row in malformed:
            row += 1
        rows.append(row)
    blank = frame.eq("").all(axis=1).to_numpy()  # blank lines, read as rows so that rows keep their numbers
    return frame[~blank], [r for r, b in zip(rows, blank) if not b]


def table_examples(frame, rows: list[int] | None, options: TableOptions, bad, origin: str):
    """Examples from a DataFrame: float32 features, class ids of the label column; bad rows go to `bad`.

    `rows` are the 1-based data rows of `frame` in the file (default 1, 2, ...),
    used to name bad records.

    Example:
        >>> import pandas as pd
        >>> from data.errors import BadRecords
        >>> frame = pd.DataFrame({"x": [1.0, 2.0], "y": ["b", "a"]})
        >>> table_examples(frame, None, TableOptions(path="t", label_column="y"), BadRecords("error"), "t").labels
        array([1, 0])
    """
    import numpy as np
    import pandas as pd

    from data.examples import Examples

    path, label = options.path, options.label_column
    frame = frame.rename(columns=str)
    columns = list(frame.columns)
    if label not in columns:
        raise ValueError(f"{path}: no label column {label!r}{suggest(label, columns)}; columns: {', '.join(columns)}")
    features = options.feature_columns or [c for c in columns if c != label]
    for column in features:
        if column not in columns:
            raise ValueError(f"{path}: no feature column {column!r}{suggest(column, columns)}; columns: {', '.join(columns)}")
    if label in features:
        raise ValueError(f"{path}: the label column {label!r} cannot also be a feature column")
    if not features:
        raise ValueError(f"{path}: no feature columns besides the label column {label!r}")

    rows = list(range(1, len(frame) + 1)) if rows is None else rows
    numeric = frame[features].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(over="ignore"):
        values = numeric.astype("float32")
    finite = np.isfinite(values)
    keys = [_label_key(v) for v in frame[label].to_numpy(object)]

    good = finite.all(axis=1) & np.array([k is not None for k in keys], dtype=bool)
    for i in np.flatnonzero(~good):
        if keys[i] is None:
            bad(f"{path} row {rows[i]}", f"missing label in column {label!r}")
        else:
            j = int(np.argmin(finite[i]))
            raw = frame[features[j]].iloc[i]
            missing = raw is None or pd.isna(raw) or (isinstance(raw, str) and not raw.strip())
            reason = "missing value" if missing else f"{raw!r} is not a finite number"
            bad(f"{path} row {rows[i]}", f"column {features[j]!r}: {reason}")
    keep = np.flatnonzero(good)
    if not len(keep):
        raise ValueError(f"{path}: no usable data rows")

    kept = [keys[i] for i in keep]
    if all(isinstance(k, int) or re.fullmatch(r"[+-]?\d+", k) for k in kept):
        kept = [int(k) for k in kept]
    else:
        kept = [str(k) for k in kept]
    classes = sorted(set(kept))
    ids = {c: i for i, c in enumerate(classes)}
    return Examples(
        values[keep], np.array([ids[k] for k in kept], dtype="int64"), [str(c) for c in classes],
        skipped=bad.count, origin=origin, skipped_records=bad.records,
    )


def _label_key(value):
    """A label as an int or a stripped str; None when missing."""
    import numbers

    import pandas as pd

    if isinstance(value, str):
        return value.strip() or None
    if value is None or pd.isna(value):
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(value)
    return str(value)
