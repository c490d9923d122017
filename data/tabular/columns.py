"""Column types of a table, and its columns as the raw arrays of `Examples(kind="columns")`.

Types (`COLUMN_TYPES`): numeric, categorical, boolean, datetime, text. A
declared type wins; otherwise `infer_column_types` decides, conservatively:

- boolean: a bool dtype, or strings that are all true/false/yes/no (any case).
- numeric: a number dtype, or strings of which >= 95% (of the non-missing) are
  numbers; except integer codes: whole numbers with at most 10 distinct values,
  and at most 5% as many distinct values as non-missing rows (2 values always
  pass), are categorical (1/2/3 codes, 0/1 flags). A count of 0..90 in 1000
  rows stays numeric; ratings 1..5 in 100 rows are categorical.
- datetime: a datetime dtype, or strings of which >= 90% (of a sample of 200)
  hold a 4-digit year and parse as a date (pandas); "May" or "3-4" do not count.
- text: strings of at least 4 words (median) that are mostly distinct (at least
  half as many distinct values as non-missing rows).
- categorical: everything else, and columns with no value at all.

Raw arrays (`column_arrays`): numeric columns float32, NaN where missing or not
a finite number; the others object arrays of str, "" where missing. Integers
used as categories read as their decimal string ("3", not "3.0"), booleans as
"true"/"false" (also from yes/no, y/n, t/f, 1/0; another value is missing),
dates as "YYYY-MM-DD HH:MM:SS" (UTC when the value has an offset).

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"age": [31.5, None, 40.0], "city": ["Oslo", "Rome", None], "y": [1, 0, 1]})
    >>> types = infer_column_types(frame, target="y")
    >>> types
    {'age': 'numeric', 'city': 'categorical'}
    >>> arrays = column_arrays(frame, types)
    >>> arrays["age"].tolist(), arrays["city"].tolist()
    ([31.5, nan, 40.0], ['Oslo', 'Rome', ''])
"""

from __future__ import annotations

import keyword
import re
from typing import Literal, get_args

ColumnType = Literal["numeric", "categorical", "boolean", "datetime", "text"]
COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)

MAX_CODES = 10  # whole-number columns with at most this many distinct values ...
CODE_SHARE = 0.05  # ... and at most this share of non-missing rows are categorical codes
NUMBER_SHARE = 0.95  # strings that are numbers at least this often are numeric
DATE_SHARE = 0.9  # strings that are dates at least this often (in a sample) are datetimes
DATE_SAMPLE = 200
TEXT_WORDS = 4  # median words per value of a text column, at least
TEXT_DISTINCT = 0.5  # distinct values per non-missing row of a text column, at least

TRUE = ("true", "t", "yes", "y", "1", "1.0")
FALSE = ("false", "f", "no", "n", "0", "0.0")
_BOOLEAN_WORDS = {"true", "false", "yes", "no"}
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def infer_column_types(frame, target: str | None = None, declared: dict[str, str] | None = None) -> dict[str, str]:
    """The type of each column of a DataFrame but `target`, in frame order; `declared` types win.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({
        ...     "when": ["2024-01-05", "2024-02-11 08:30", "2023-12-31"], "ok": ["yes", "No", None],
        ...     "code": [1, 2, 1], "price": ["9.5", "12", "n/a"],
        ... })
        >>> infer_column_types(frame, declared={"price": "numeric"})
        {'when': 'datetime', 'ok': 'boolean', 'code': 'categorical', 'price': 'numeric'}
    """
    from pipelines.registry import suggest

    columns = [str(c) for c in frame.columns]
    declared = dict(declared or {})
    for column, kind in declared.items():
        if column not in columns:
            raise ValueError(
                f"column_types names no column {column!r}{suggest(column, columns)}; columns: {', '.join(columns)}"
            )
        if kind not in COLUMN_TYPES:
            raise ValueError(f"column {column!r}: type must be one of {', '.join(COLUMN_TYPES)}, got {kind!r}")
        if column == target:
            raise ValueError(f"column_types names the target column {target!r}; it types only the feature columns")
    frame = frame.rename(columns=str)
    return {c: declared.get(c) or infer_column_type(frame[c]) for c in columns if c != target}


def infer_column_type(values) -> str:
    """The type of one column (a pandas Series), by the rules of this module's docstring.

    Example:
        >>> import pandas as pd
        >>> infer_column_type(pd.Series([True, False])), infer_column_type(pd.Series(["1.5", "2", ""]))
        ('boolean', 'numeric')
        >>> infer_column_type(pd.Series(["a fine day out", "rain all day long", "sun and some wind"]))
        'text'
    """
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(values.dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = pd.to_numeric(values, errors="coerce").to_numpy("float64", na_value=np.nan)
        return "categorical" if _codes(numbers[~np.isnan(numbers)]) else "numeric"
    cells = [c for c in cell_strings(values) if c is not None]
    if not cells:
        return "categorical"
    if {c.lower() for c in cells} <= _BOOLEAN_WORDS:
        return "boolean"
    numbers = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy("float64", na_value=np.nan)
    parsed = numbers[~np.isnan(numbers)]
    if len(parsed) >= NUMBER_SHARE * len(cells):
        return "categorical" if _codes(parsed) else "numeric"
    sample = cells[:: max(1, len(cells) // DATE_SAMPLE)][:DATE_SAMPLE]
    if np.mean([d != "" for d in _dates(sample)]) >= DATE_SHARE:
        return "datetime"
    distinct = len(set(cells))
    if np.median([len(c.split()) for c in cells]) >= TEXT_WORDS and distinct >= TEXT_DISTINCT * len(cells):
        return "text"
    return "categorical"


def column_arrays(frame, types: dict[str, str]):
    """The columns named in `types` as raw arrays (N,): float32 with NaN, or object arrays of str with "".

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({
        ...     "n": ["1.5", "oops", ""], "b": [True, False, None], "d": ["2024-03-01T10:00", "", "bad"],
        ... })
        >>> arrays = column_arrays(frame, {"n": "numeric", "b": "boolean", "d": "datetime"})
        >>> arrays["n"].tolist(), arrays["b"].tolist(), arrays["d"].tolist()
        ([1.5, nan, nan], ['true', 'false', ''], ['2024-03-01 10:00:00', '', ''])
    """
    frame = frame.rename(columns=str)
    arrays = {}
    for column, kind in types.items():
        if column not in frame.columns:
            raise ValueError(f"no column {column!r}; columns: {', '.join(frame.columns)}")
        if kind not in COLUMN_TYPES:
            raise ValueError(f"column {column!r}: type must be one of {', '.join(COLUMN_TYPES)}, got {kind!r}")
        arrays[column] = _CONVERT[kind](frame[column])
    return arrays


def describe_columns(types: dict[str, str], arrays) -> list[dict]:
    """Per column: name, type, missing values and distinct non-missing values (for a data summary).

    Example:
        >>> import numpy as np
        >>> describe_columns({"x": "numeric"}, {"x": np.array([1.0, np.nan, 1.0], "float32")})
        [{'name': 'x', 'type': 'numeric', 'missing': 1, 'distinct': 1}]
    """
    import numpy as np

    rows = []
    for column, kind in types.items():
        values = np.asarray(arrays[column])
        missing = np.isnan(values) if values.dtype.kind == "f" else values == ""
        present = values[~missing]
        distinct = len(set(present.tolist()))
        rows.append({"name": column, "type": kind, "missing": int(missing.sum()), "distinct": distinct})
    return rows


def serving_name(column: str) -> str:
    """A name for `column` that Keras inputs and TF signatures keep as is: a Python identifier, [A-Za-z0-9_].

    Other characters become "_"; a name that does not start with a letter gets
    "c_" in front, a Python keyword "_" after it (tf.function would rename both).

    Example:
        >>> serving_name("petal length (cm)"), serving_name("_id"), serving_name("2nd"), serving_name("class")
        ('petal_length__cm_', 'c_id', 'c_2nd', 'class_')
    """
    name = _UNSAFE.sub("_", str(column))
    if not re.match(r"[A-Za-z]", name):
        name = "c_" + name.lstrip("_")
    return f"{name}_" if keyword.iskeyword(name) else name


def serving_names(columns) -> dict[str, str]:
    """`serving_name` of each column; a ValueError when two columns get the same name.

    Example:
        >>> serving_names(["sepal length", "species"])
        {'sepal length': 'sepal_length', 'species': 'species'}
        >>> serving_names(["a b", "a_b"])
        Traceback (most recent call last):
        ...
        ValueError: columns 'a b' and 'a_b' both have the serving name 'a_b'; rename one of them
    """
    names: dict[str, str] = {}
    owner: dict[str, str] = {}  # serving name -> the column that has it
    for column in columns:
        name = serving_name(column)
        if name in owner:
            raise ValueError(
                f"columns {owner[name]!r} and {column!r} both have the serving name {name!r}; rename one of them"
            )
        owner[name], names[column] = column, name
    return names


def cell_strings(values) -> list:
    """Each value of a pandas Series as a stripped str, or None when missing (None, NaN, NaT, empty or blank).

    Whole numbers read as integers ("3", not "3.0"), booleans as "true"/"false".

    Example:
        >>> import pandas as pd
        >>> cell_strings(pd.Series([" a ", "", None, 3.0, 2.5, True], dtype=object))
        ['a', None, None, '3', '2.5', 'true']
    """
    import numbers

    import pandas as pd

    out = []
    for value in values.to_numpy(object):
        if isinstance(value, str):
            value = value.strip()
            out.append(value or None)
        elif value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
            out.append(None)
        elif isinstance(value, bool) or type(value).__name__ == "bool_":
            out.append("true" if value else "false")
        elif isinstance(value, numbers.Integral):
            out.append(str(int(value)))
        elif isinstance(value, numbers.Real) and float(value).is_integer():
            out.append(str(int(value)))
        else:
            out.append(str(value).strip() or None)
    return out


def _codes(numbers) -> bool:
    """True when the (non-missing) numbers look like integer codes: few distinct whole numbers."""
    import numpy as np

    if not len(numbers) or not np.all(np.isfinite(numbers)) or not np.all(numbers == np.round(numbers)):
        return False
    distinct = len(np.unique(numbers))
    return distinct <= MAX_CODES and distinct <= max(2, CODE_SHARE * len(numbers))


def _strings(cells: list):
    import numpy as np

    out = np.empty(len(cells), dtype=object)
    out[:] = ["" if c is None else c for c in cells]
    return out


def _numeric(values):
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.astype("float64").to_numpy("float64", na_value=np.nan)
    else:
        words = {"true": "1", "false": "0"}
        cells = pd.Series([words.get(c, c) for c in cell_strings(values)], dtype=object)
        numbers = pd.to_numeric(cells, errors="coerce").to_numpy("float64", na_value=np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        numbers = numbers.astype("float32")
    numbers[~np.isfinite(numbers)] = np.nan
    return numbers


def _categorical(values):
    return _strings(cell_strings(values))


def _boolean(values):
    def flag(cell):
        if cell is None:
            return None
        cell = cell.lower()
        return "true" if cell in TRUE else "false" if cell in FALSE else None

    return _strings([flag(c) for c in cell_strings(values)])


def _datetime(values):
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        times = values if getattr(values.dt, "tz", None) is None else values.dt.tz_convert("UTC")
        return _strings([None if pd.isna(t) else t.strftime("%Y-%m-%d %H:%M:%S") for t in times])
    return _strings([d or None for d in _dates(cell_strings(values))])


def _dates(cells: list) -> list[str]:
    """Each cell as "YYYY-MM-DD HH:MM:SS" (UTC when it has an offset), or "" when missing or not a dated value."""
    import warnings

    import pandas as pd

    series = pd.Series([c if c is not None and _YEAR.search(c) else None for c in cells], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = pd.to_datetime(series, errors="coerce", format="ISO8601", utc=True)
        retry = times.isna() & series.notna()
        if retry.any():
            times[retry] = pd.to_datetime(series[retry], errors="coerce", format="mixed", utc=True)
    return ["" if pd.isna(t) else t.strftime("%Y-%m-%d %H:%M:%S") for t in times]


def _text(values):
    return _strings(cell_strings(values))


_CONVERT = {"numeric": _numeric, "categorical": _categorical, "boolean": _boolean, "datetime": _datetime, "text": _text}
