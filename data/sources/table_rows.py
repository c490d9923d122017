"""Rows of a table (a pandas DataFrame) -> Examples, in the table, text or tokens mode of `TableOptions`.

Shared by the `csv` and `parquet` sources; bad rows go to `on_bad_record`, named
by their 1-based data row. See `table_examples` for an example.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.registry import suggest

if TYPE_CHECKING:
    from data.sources.csv import TableOptions


def table_examples(frame, rows: list[int] | None, options: TableOptions, bad, origin: str):
    """Examples from a DataFrame in the mode `options` name; bad rows go to `bad`.

    `rows` are the 1-based data rows of `frame` in the file (default 1, 2, ...),
    used to name bad records.

    Example:
        >>> import pandas as pd
        >>> from data.errors import BadRecords
        >>> from data.sources.csv import TableOptions
        >>> frame = pd.DataFrame({"x": [1.5, None], "y": ["b", "a"]})
        >>> table = table_examples(frame, None, TableOptions(path="t", target_column="y"), BadRecords("error"), "t")
        >>> table.kind, table.columns, table.inputs["x"].tolist(), table.labels.tolist()
        ('columns', {'x': 'numeric'}, [1.5, nan], ['b', 'a'])
        >>> frame = pd.DataFrame({"words": ["Ann runs", '["Bo"]'], "tags": ["B-PER O", "B-PER"]})
        >>> options = TableOptions(path="t", tokens_column="words", tags_column="tags")
        >>> table_examples(frame, None, options, BadRecords("error"), "t").class_names
        ['B-PER', 'O']
    """
    frame = frame.rename(columns=str)
    rows = list(range(1, len(frame) + 1)) if rows is None else rows
    if options.tokens_column is not None:
        return _token_examples(frame, rows, options, bad, origin)
    if options.text_column is not None:
        return _text_examples(frame, rows, options, bad, origin)
    return _column_examples(frame, rows, options, bad, origin)


def _column(frame, path: str, column: str, what: str) -> None:
    columns = list(frame.columns)
    if column not in columns:
        raise ValueError(f"{path}: no {what} column {column!r}{suggest(column, columns)}; columns: {', '.join(columns)}")


def _column_examples(frame, rows: list[int], options: TableOptions, bad, origin: str):
    """A table's raw feature columns and target values; a row whose target is missing (or not finite) is bad."""
    from data.examples import Examples
    from data.tabular.columns import column_arrays, infer_column_types

    path, target = options.path, options.target_column
    _column(frame, path, target, "target")
    features = options.feature_columns or [c for c in frame.columns if c != target]
    for column in features:
        _column(frame, path, column, "feature")
    if not features:
        raise ValueError(f"{path}: no feature columns besides the target column {target!r}")
    for column in options.column_types or {}:
        if column not in features:
            raise ValueError(
                f"{path}: column_types names {column!r}, which is not a feature column{suggest(column, features)}; "
                f"feature columns: {', '.join(features)}"
            )
    values, problems = _targets(frame[target])
    keep = []
    for i, problem in enumerate(problems):
        if problem is None:
            keep.append(i)
        else:
            bad(f"{path} row {rows[i]}", f"column {target!r}: {problem}")
    if not keep:
        raise ValueError(f"{path}: no usable data rows")
    kept = frame.iloc[keep][features]
    types = infer_column_types(kept, declared=options.column_types)
    return Examples(
        column_arrays(kept, types), values[keep], [], skipped=bad.count, origin=origin, skipped_records=bad.records,
        kind="columns", columns=types,
    )


def _targets(column):
    """Raw target values (float64 when every present value is a number, else str) and, per row, a problem or None."""
    import numpy as np
    import pandas as pd

    from data.tabular.columns import cell_strings

    cells = cell_strings(column)
    present = [c for c in cells if c is not None]
    numbers = pd.to_numeric(pd.Series(present, dtype=object), errors="coerce").to_numpy("float64", na_value=np.nan)
    if present and not np.isnan(numbers).any():
        values = np.full(len(cells), np.nan)
        values[[i for i, c in enumerate(cells) if c is not None]] = numbers
        problems = [
            "missing target" if c is None else None if np.isfinite(v) else f"target {c!r} is not a finite number"
            for c, v in zip(cells, values)
        ]
        return values, problems
    values = np.empty(len(cells), dtype=object)
    values[:] = ["" if c is None else c for c in cells]
    return values, ["missing target" if c is None else None for c in cells]


def _text_examples(frame, rows: list[int], options: TableOptions, bad, origin: str):
    import numpy as np

    from data.examples import Examples

    path, text, label = options.path, options.text_column, options.label_column
    _column(frame, path, text, "text")
    _column(frame, path, label, "label")
    texts = [_text(v) for v in frame[text].to_numpy(object)]
    keys = _label_keys(frame[label], options.label_separator)
    keep = []
    for i, (value, key) in enumerate(zip(texts, keys)):
        if value is None:
            bad(f"{path} row {rows[i]}", f"empty text in column {text!r}")
        elif key is None:
            bad(f"{path} row {rows[i]}", f"missing label in column {label!r}")
        else:
            keep.append(i)
    if not keep:
        raise ValueError(f"{path}: no usable data rows")
    labels, class_names = _encode_labels([keys[i] for i in keep], options.label_separator is not None)
    inputs = np.empty(len(keep), dtype=object)
    inputs[:] = [texts[i] for i in keep]
    return Examples(
        inputs, labels, class_names, skipped=bad.count, origin=origin, skipped_records=bad.records, kind="text",
    )


def _token_examples(frame, rows: list[int], options: TableOptions, bad, origin: str):
    import numpy as np

    from data.examples import Examples
    from data.labels import class_ids, ragged

    path, tokens_column, tags_column = options.path, options.tokens_column, options.tags_column
    _column(frame, path, tokens_column, "tokens")
    _column(frame, path, tags_column, "tags")
    sentences, tag_lists = [], []
    for i, (cell, tag_cell) in enumerate(zip(frame[tokens_column].to_numpy(object), frame[tags_column].to_numpy(object))):
        where = f"{path} row {rows[i]}"
        tokens, problem = _sequence(cell, tokens_column)
        if problem is None:
            tags, problem = _sequence(tag_cell, tags_column)
        if problem is None:
            problem = sequence_problem(tokens, tags)
        if problem is not None:
            bad(where, problem)
            continue
        sentences.append(" ".join(tokens))
        tag_lists.append(tags)
    if not sentences:
        raise ValueError(f"{path}: no usable data rows")
    class_names, id_of = class_ids([t for tags in tag_lists for t in tags])
    inputs = np.empty(len(sentences), dtype=object)
    inputs[:] = sentences
    labels = ragged([[id_of(t) for t in tags] for tags in tag_lists])
    return Examples(
        inputs, labels, class_names, skipped=bad.count, origin=origin, skipped_records=bad.records,
        kind="tokens",
    )


def sequence_problem(tokens: list[str], tags: list[str]) -> str | None:
    """Why `tokens` with `tags` are not a usable sentence, or None.

    Example:
        >>> sequence_problem(["New York"], ["B-LOC"])
        "token 'New York' contains whitespace"
        >>> sequence_problem(["Ann", "runs"], ["B-PER"])
        '2 tokens but 1 tag'
    """
    if not tokens:
        return "no tokens"
    for token in tokens:
        if token.split() != [token]:
            return f"token {token!r} contains whitespace" if token.strip() else "empty token"
    for tag in tags:
        if not tag.strip():
            return "empty tag"
    if len(tokens) != len(tags):
        return f"{len(tokens)} token{'s' * (len(tokens) != 1)} but {len(tags)} tag{'s' * (len(tags) != 1)}"
    return None


def _sequence(value, column: str) -> tuple[list[str], str | None]:
    """Tokens (or tags) of a cell: a space-separated string, a JSON list, or a list (parquet); and a problem."""
    import json

    import numpy as np
    import pandas as pd

    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
    elif isinstance(value, str) and value.strip().startswith("["):
        try:
            items = json.loads(value)
        except ValueError as error:
            return [], f"column {column!r}: not a JSON list: {error}"
        if not isinstance(items, list):
            return [], f"column {column!r}: not a JSON list"
    elif isinstance(value, str):
        items = value.split()
    elif value is None or pd.isna(value):
        items = []
    else:
        items = str(value).split()
    if not all(isinstance(item, str) or (isinstance(item, (int, np.integer)) and not isinstance(item, bool))
               for item in items):
        return [], f"column {column!r}: items must be strings"
    if not items:
        return [], f"column {column!r}: empty"
    return [str(item) for item in items], None


def _text(value) -> str | None:
    """A text cell as str; None when missing or only whitespace."""
    import pandas as pd

    if isinstance(value, str):
        return value if value.strip() else None
    if value is None or pd.isna(value):
        return None
    return str(value)


def _label_keys(column, separator: str | None) -> list:
    """Per row: a label key (int or stripped str), or with `separator` a list of them; None when missing."""
    keys = [_label_key(v) for v in column.to_numpy(object)]
    if separator is None:
        return keys
    split = []
    for key in keys:
        if key is None or isinstance(key, int):
            split.append(None if key is None else [key])
            continue
        parts = list(dict.fromkeys(p.strip() for p in key.split(separator) if p.strip()))
        split.append(parts or None)
    return split


def _encode_labels(keys: list, multi: bool):
    """Class ids (N,) (or multi-hot (N, C) when `multi`) and class names for non-missing label keys."""
    import numpy as np

    from data.labels import class_ids

    class_names, id_of = class_ids([k for key in keys for k in key] if multi else keys)
    if multi:
        labels = np.zeros((len(keys), len(class_names)), dtype="int64")
        for row, key in enumerate(keys):
            labels[row, [id_of(k) for k in key]] = 1
    else:
        labels = np.array([id_of(k) for k in keys], dtype="int64")
    return labels, class_names


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

