"""Tables (CSV, or parquet when the path ends with .parquet) in one of three modes.

- table: a `target_column` to predict from the other columns (or from
  `feature_columns`), each numeric, categorical, boolean, datetime or text as
  `column_types` declares or as inferred (`data.tabular.columns`). Examples of
  kind "columns": raw columns (missing values kept: NaN, "") and the raw target
  values, float64 when they all are numbers, else strings.
- text: a `text_column` of raw texts and a `label_column` (text classification).
- tokens: a `tokens_column` and a `tags_column` (token classification), each cell
  a space-separated string (`Alice visited Paris`, `B-PER O B-LOC`) or a JSON
  list (`["Alice", "visited", "Paris"]`); a cell starting with "[" is read as JSON.

Labels may be strings or integers; class ids follow their sorted unique values
(numerically when every label is an integer); tags likewise. With
`label_separator` a label cell holds several labels (`sports|politics`) and the
labels are multi-hot. A row with a missing target (or a numeric target that is
not finite), a missing label, an empty text, empty tokens, a token holding
whitespace, a cell that is not a JSON list of strings, tags whose number differs
from the tokens' or the wrong number of fields is a bad record, named by its
1-based data row (the header is not counted). Missing feature values in a table
are not: the model reads them as missing.

Example (YAML):
    data:
      source: {type: csv, path: data/iris.csv, target_column: species}
      # declared types: {type: csv, path: cars.csv, target_column: mpg, column_types: {cylinders: categorical}}
      # text: {type: csv, path: data/samples/sentiment.csv, text_column: text, label_column: label}
      # multi-label: {type: csv, path: news.csv, text_column: body, label_column: topics, label_separator: "|"}
      # tokens: {type: parquet, path: ner.parquet, tokens_column: tokens, tags_column: tags}
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, model_validator

from data.tabular.columns import ColumnType
from pipelines.options import Options
from pipelines.registry import sources

ColumnName = Annotated[str, Field(min_length=1)]
"""A column of the table, named as in its header."""


class TableOptions(Options):
    path: str = Field(description="The table file.")
    target_column: ColumnName | None = Field(
        default=None, description="Column to predict from the other columns (a table: tabular tasks)."
    )
    feature_columns: list[ColumnName] | None = Field(
        default=None, min_length=1,
        description="Columns the target is predicted from, in this order (with target_column); default: all others.",
    )
    column_types: dict[str, ColumnType] | None = Field(
        default=None,
        description="Declared types of feature columns (numeric, categorical, boolean, datetime, text); "
                    "the others are inferred (with target_column).",
    )
    label_column: str | None = Field(
        default=None, description="Column holding the class of each text (strings or integers); with text_column.",
    )
    text_column: str | None = Field(
        default=None, description="Column of raw texts, one example per row (text classification, with label_column)."
    )
    tokens_column: str | None = Field(
        default=None,
        description="Column of tokens, space-separated or a JSON list (token classification, with tags_column).",
    )
    tags_column: str | None = Field(
        default=None, description="Column of the tag of each token, space-separated or a JSON list (with tokens_column)."
    )
    label_separator: str | None = Field(
        default=None, min_length=1,
        description="Separator of several labels in one label cell (multi-label, multi-hot labels), e.g. '|'.",
    )

    @model_validator(mode="after")
    def _one_mode(self):
        modes = (
            "give target_column (a table: predict one column from the others), text_column and label_column "
            "(text classification), or tokens_column and tags_column (token classification)"
        )
        table_only = ("target_column", "feature_columns", "column_types")

        def given(*names: str) -> list[str]:
            return [n for n in names if getattr(self, n) is not None]

        if self.tokens_column is not None or self.tags_column is not None:
            if self.tokens_column is None or self.tags_column is None:
                raise ValueError("token classification needs both tokens_column and tags_column")
            others = given("label_column", "text_column", "label_separator", *table_only)
            if others:
                raise ValueError(f"tokens_column and tags_column cannot go with {', '.join(others)}; {modes}")
            if self.tokens_column == self.tags_column:
                raise ValueError("tokens_column and tags_column must be different columns")
        elif self.text_column is not None:
            if self.label_column is None:
                raise ValueError("text_column needs a label_column with the class of each text")
            others = given(*table_only)
            if others:
                raise ValueError(f"text_column cannot go with {', '.join(others)}; {modes}")
            if self.text_column == self.label_column:
                raise ValueError("text_column and label_column must be different columns")
        elif self.target_column is not None:
            others = given("label_column", "label_separator")
            if others:
                raise ValueError(
                    f"target_column cannot go with {', '.join(others)} (text classification, with text_column); {modes}"
                )
            if self.feature_columns is not None and self.target_column in self.feature_columns:
                raise ValueError(f"the target column {self.target_column!r} cannot also be a feature column")
            if self.column_types and self.target_column in self.column_types:
                raise ValueError(f"column_types types feature columns, not the target column {self.target_column!r}")
            if self.column_types and self.feature_columns is not None:
                unused = [c for c in self.column_types if c not in self.feature_columns]
                if unused:
                    raise ValueError(f"column_types names {', '.join(map(repr, unused))}, not among feature_columns")
        elif self.label_column is not None:
            raise ValueError(
                "label_column goes with text_column (text classification); "
                "for a table, name the column to predict as target_column"
            )
        else:
            others = given("feature_columns", "column_types", "label_separator")
            for_what = f" for {', '.join(others)}" if others else ""
            raise ValueError(f"no target_column, text_column or tokens_column{for_what}; {modes}")
        return self


class CsvOptions(TableOptions):
    path: str = Field(description="The CSV file (read as parquet when it ends with .parquet).")
    delimiter: str = Field(default=",", min_length=1, description="Field separator of the CSV file.")


@sources.register("csv", CsvOptions)
def load_csv(options: CsvOptions, *, on_bad_record: str = "error"):
    """A CSV table: one example per row, a table's raw columns and target, texts or tagged tokens.

    Example:
        >>> examples = load_csv(CsvOptions(path="data/iris.csv", target_column="species"))  # doctest: +SKIP
        >>> examples.kind, examples.columns["sepal_length"], examples.labels[:1]            # doctest: +SKIP
        ('columns', 'numeric', array(['setosa'], dtype=object))
        >>> reviews = load_csv(CsvOptions(path="data/samples/sentiment.csv", text_column="text", label_column="label"))  # doctest: +SKIP
        >>> reviews.kind, reviews.class_names                                                                           # doctest: +SKIP
        ('text', ['negative', 'positive'])
    """
    from data.errors import BadRecords
    from data.sources.table_rows import table_examples

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
    except Exception as error:  # pyarrow raises its own error types
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
