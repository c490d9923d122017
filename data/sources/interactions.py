"""An interactions table (who interacted with what, and when): CSV, or Parquet when the path ends with .parquet.

One row per interaction: a `user_column` and an `item_column` (ids, read as
strings), optionally a `timestamp_column` (numbers, or dates and times that
pandas reads) and a `rating_column` (numbers). Examples of kind "columns" with
the inputs `user_id` and `item_id` (object arrays of str, and `rating`
float32 with a rating column; with `users:` or `items:` feature tables, each
of their columns joined by id as `user_<column>` or `item_<column>`, typed and
read as tabular sources read columns, missing where the table lacks the id) and, as labels, each interaction's time as
float64 seconds since 1970 (its row number without a timestamp column), so a
task can order each user's interactions (`retrieval` holds out each user's
last ones).

A row with a missing user or item id, or a timestamp or rating that is not a
number (or a date), is a bad record named by file, 1-based data row and
column (`on_bad_record: skip` skips it). A missing file or column is an error
naming it.

With `generate`, a missing file is first written by
`data.synthetic.interactions` (users in taste groups, items in genres, Zipf
popularity) with those settings, and read from then on; with `items:`, the
items' genres are written at its path too (columns item_id, genre).

Example (YAML):
    data:
      source: {type: interactions, path: data/generated/interactions.csv, timestamp_column: timestamp,
               generate: {users: 1000, items: 500}}
      # your own: {type: interactions, path: plays.parquet, user_column: listener, item_column: track,
      #            timestamp_column: played_at, items: {path: tracks.csv, id_column: track_id}}
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field, model_validator

from data.tabular.columns import ColumnType
from pipelines.options import Options, PositiveInt
from pipelines.registry import sources

ColumnName = Annotated[str, Field(min_length=1)]
"""A column of the interactions table, named as in its header."""


class GenerateOptions(Options):
    """Settings of the synthetic interactions written on first use (`data.synthetic.interactions`)."""

    users: PositiveInt = Field(1000, description="Number of users.")
    items: PositiveInt = Field(500, ge=20, description="Number of items.")
    groups: PositiveInt = Field(10, description="Taste groups of users (and genres of items).")
    seed: int = Field(0, ge=0, description="The same seed writes the same table.")


class FeatureTableOptions(Options):
    """A table of user (or item) features, one row per id, read with the tabular column handling."""

    path: str = Field(description="The table file: CSV, or Parquet when it ends with .parquet.")
    id_column: Optional[ColumnName] = Field(
        None, description="Column of the ids; default: the interactions' user_column (item_column).")
    column_types: Optional[dict[str, ColumnType]] = Field(
        None, description="Declared types of feature columns (numeric, categorical, boolean, datetime, text); "
                          "the others are inferred.")
    delimiter: str = Field(",", min_length=1, description="Field separator of a CSV file.")


class InteractionsOptions(Options):
    path: str = Field(description="The interactions file: CSV, or Parquet when it ends with .parquet.")
    user_column: ColumnName = Field("user_id", description="Column of user ids.")
    item_column: ColumnName = Field("item_id", description="Column of item ids.")
    timestamp_column: Optional[ColumnName] = Field(
        None, description="Column of interaction times (numbers, or dates pandas reads); default: row order."
    )
    rating_column: Optional[ColumnName] = Field(None, description="Column of ratings (numbers), kept as `rating`.")
    delimiter: str = Field(",", min_length=1, description="Field separator of a CSV file.")
    users: Optional[FeatureTableOptions] = Field(
        None, description="User features: each interaction gets its user's row as `user_<column>` columns.")
    items: Optional[FeatureTableOptions] = Field(
        None, description="Item features: each interaction gets its item's row as `item_<column>` columns.")
    generate: Optional[GenerateOptions] = Field(
        None, description="Write a synthetic interactions table at `path` (and the items' genres at items.path) "
                          "first when missing (CSV only).",
    )

    @model_validator(mode="after")
    def _distinct_columns(self):
        named = [c for c in (self.user_column, self.item_column, self.timestamp_column, self.rating_column) if c]
        if len(set(named)) != len(named):
            raise ValueError(f"user_column, item_column, timestamp_column and rating_column must name different "
                             f"columns, got {named}")
        if self.generate is not None and self.path.lower().endswith(".parquet"):
            raise ValueError("generate writes a CSV file; give a path that does not end with .parquet")
        return self


@sources.register("interactions", InteractionsOptions)
def load_interactions(options: InteractionsOptions, *, on_bad_record: str = "error"):
    """Interactions as `user_id`/`item_id` columns (and `rating`), labelled by their time.

    Example:
        >>> import tempfile
        >>> path = tempfile.mkdtemp() + "/plays.csv"
        >>> _ = open(path, "w").write("who,what,when\\nann,x,2024-01-02\\nann,y,2024-01-01\\n")
        >>> examples = load_interactions(InteractionsOptions(path=path, user_column="who", item_column="what",
        ...                                                  timestamp_column="when"))
        >>> examples.inputs["item_id"].tolist(), examples.labels.tolist()
        (['x', 'y'], [1704153600.0, 1704067200.0])
    """
    import os

    from data.errors import BadRecords

    if options.generate is not None:  # write what is missing, never over an existing file
        from data.synthetic.interactions import write_interactions

        items_path = None if options.items is None else options.items.path
        settings = options.generate.model_dump()
        if not os.path.isfile(options.path):
            write_interactions(options.path, None, **settings)
        if items_path is not None and not os.path.isfile(items_path):
            write_interactions(None, items_path, **settings)
    bad = BadRecords(on_bad_record)
    frame, rows = _read(options, bad)
    return interaction_examples(frame, rows, options, bad, f"interactions:{options.path}")


def _read(options: InteractionsOptions, bad):
    """The table as a DataFrame and the 1-based data row of each of its rows (malformed CSV lines go to `bad`)."""
    from data.sources.csv import _read_csv, read_parquet

    if options.path.lower().endswith(".parquet"):
        frame = read_parquet(options.path)
        return frame, list(range(1, len(frame) + 1))
    return _read_csv(options.path, options.delimiter, bad)


def interaction_examples(frame, rows: list[int], options: InteractionsOptions, bad, origin: str):
    """Examples from an interactions DataFrame; bad rows go to `bad` (error or skip), named by file, row, column.

    Example:
        >>> import pandas as pd
        >>> from data.errors import BadRecords
        >>> frame = pd.DataFrame({"user_id": ["a", "b"], "item_id": ["x", "y"]})
        >>> found = interaction_examples(frame, [1, 2], InteractionsOptions(path="t.csv"), BadRecords("error"), "t")
        >>> found.inputs["user_id"].tolist(), found.labels.tolist()
        (['a', 'b'], [1.0, 2.0])
    """
    import numpy as np

    from data.examples import Examples
    from data.tabular.columns import cell_strings
    from pipelines.registry import suggest

    frame = frame.rename(columns=str)
    path, columns = options.path, list(frame.columns)
    named = {"user": options.user_column, "item": options.item_column, "timestamp": options.timestamp_column,
             "rating": options.rating_column}
    for what, column in named.items():
        if column is not None and column not in columns:
            raise ValueError(f"{path}: no {what} column {column!r}{suggest(column, columns)}; "
                             f"columns: {', '.join(columns)}")
    users, items = cell_strings(frame[options.user_column]), cell_strings(frame[options.item_column])
    times = (np.asarray(rows, "float64") if options.timestamp_column is None
             else _times(frame[options.timestamp_column]))
    ratings = None if options.rating_column is None else _numbers(frame[options.rating_column])
    keep = []
    for i, row in enumerate(rows):
        problem = None
        if users[i] is None:
            problem = f"column {options.user_column!r}: missing user id"
        elif items[i] is None:
            problem = f"column {options.item_column!r}: missing item id"
        elif not np.isfinite(times[i]):
            value = frame[options.timestamp_column].iloc[i]
            problem = f"column {options.timestamp_column!r}: {value!r} is not a number or a date"
        elif ratings is not None and not np.isfinite(ratings[i]):
            value = frame[options.rating_column].iloc[i]
            problem = f"column {options.rating_column!r}: {value!r} is not a number"
        if problem is None:
            keep.append(i)
        else:
            bad(f"{path} row {row}", problem)
    if not keep:
        raise ValueError(f"{path}: no usable interactions")
    inputs = {"user_id": _strings([users[i] for i in keep]), "item_id": _strings([items[i] for i in keep])}
    types = {"user_id": "categorical", "item_id": "categorical"}
    if ratings is not None:
        inputs["rating"], types["rating"] = ratings[keep].astype("float32"), "numeric"
    for role, table, column in (("user", options.users, options.user_column),
                                ("item", options.items, options.item_column)):
        if table is not None:
            joined, kinds = feature_columns(table, table.id_column or column, role, inputs[f"{role}_id"], bad)
            for name in joined:
                if name in inputs:
                    raise ValueError(f"{table.path}: the feature column for {name!r} clashes with {name!r}; "
                                     f"rename it")
            inputs.update(joined)
            types.update(kinds)
    return Examples(inputs, times[keep], [], skipped=bad.count, origin=origin, skipped_records=bad.records,
                    kind="columns", columns=types)


def feature_columns(table: FeatureTableOptions, id_column: str, role: str, ids, bad) -> tuple[dict, dict]:
    """The rows of a feature table joined onto interactions by id: ({`<role>_<column>`: (N,) array}, types).

    An id missing from the table gets missing values (NaN, ""). A row without an id is a bad record; an id
    given twice is an error naming both rows.

    Example:
        >>> import tempfile, numpy as np
        >>> from data.errors import BadRecords
        >>> path = tempfile.mkdtemp() + "/items.csv"
        >>> _ = open(path, "w").write("item_id,genre,price\\nx,rock,3\\ny,jazz,\\n")
        >>> table = FeatureTableOptions(path=path, column_types={"price": "numeric"})
        >>> joined, types = feature_columns(table, "item_id", "item",
        ...                                 np.array(["y", "z", "x"], object), BadRecords("error"))
        >>> types, joined["item_genre"].tolist(), joined["item_price"].tolist()
        ({'item_genre': 'categorical', 'item_price': 'numeric'}, ['jazz', '', 'rock'], [nan, nan, 3.0])
    """
    import numpy as np

    from data.sources.csv import _read_csv, read_parquet
    from data.tabular.columns import cell_strings, column_arrays, infer_column_types, serving_name
    from pipelines.registry import suggest

    path = table.path
    if path.lower().endswith(".parquet"):
        frame = read_parquet(path).rename(columns=str)
        rows = list(range(1, len(frame) + 1))
    else:
        frame, rows = _read_csv(path, table.delimiter, bad)
    columns = list(frame.columns)
    if id_column not in columns:
        raise ValueError(f"{path}: no {role} id column {id_column!r}{suggest(id_column, columns)}; "
                         f"columns: {', '.join(columns)}")
    features = [c for c in columns if c != id_column]
    if not features:
        raise ValueError(f"{path}: no feature columns besides the id column {id_column!r}")
    for column in table.column_types or {}:
        if column not in features:
            raise ValueError(f"{path}: column_types names {column!r}, which is not a feature column"
                             f"{suggest(column, features)}; feature columns: {', '.join(features)}")
    where: dict[str, int] = {}
    for i, key in enumerate(cell_strings(frame[id_column])):
        if key is None:
            bad(f"{path} row {rows[i]}", f"column {id_column!r}: missing {role} id")
        elif key in where:
            raise ValueError(f"{path} row {rows[i]}: {role} id {key!r} is given twice (also row {rows[where[key]]})")
        else:
            where[key] = i
    kept = frame.iloc[sorted(where.values())][features]
    kinds = infer_column_types(kept, declared=table.column_types)
    arrays = column_arrays(frame[features], kinds)
    positions = np.array([where.get(key, -1) for key in np.asarray(ids).tolist()])
    joined, types = {}, {}
    for column, kind in kinds.items():
        name = serving_name(f"{role}_{column}")
        values = arrays[column]
        missing = np.array([np.nan], "float32") if kind == "numeric" else np.array([""], object)
        joined[name] = np.concatenate([values, missing])[positions]  # -1: the missing value at the end
        types[name] = kind
    return joined, types


def _strings(values: list[str]):
    import numpy as np

    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _numbers(column):
    """float64 values of a column; NaN where a cell is missing or not a number."""
    import pandas as pd

    return pd.to_numeric(column.replace("", None), errors="coerce").to_numpy("float64", na_value=float("nan"))


def _times(column):
    """Seconds since 1970 (float64) of each cell: a number as it is, else a date; NaN where a cell is neither."""
    import numpy as np
    import pandas as pd

    seconds = np.array(_numbers(column))
    dates = ~np.isfinite(seconds)
    if dates.any():
        stamps = pd.to_datetime(column[dates].replace("", None), errors="coerce", utc=True, format="mixed")
        seconds[dates] = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy("float64",
                                                                                          na_value=np.nan)
    return seconds
