"""Parquet tables: numeric feature columns and a label column, read like the csv source.

Example (YAML):
    data:
      source: {type: parquet, path: data/iris.parquet, label_column: species}
"""

from __future__ import annotations

from pydantic import Field

from data.sources.csv import TableOptions
from pipelines.registry import sources


class ParquetOptions(TableOptions):
    path: str = Field(description="The parquet file.")


@sources.register("parquet", ParquetOptions)
def load_parquet(options: ParquetOptions, *, on_bad_record: str = "error"):
    """A parquet table: one example per row, float32 features from numeric columns, classes from a label column.

    Example:
        >>> examples = load_parquet(ParquetOptions(path="data/iris.parquet", label_column="species"))  # doctest: +SKIP
        >>> examples.inputs.dtype                                                                      # doctest: +SKIP
        dtype('float32')
    """
    from data.errors import BadRecords
    from data.sources.csv import read_parquet, table_examples

    frame = read_parquet(options.path)
    return table_examples(frame, None, options, BadRecords(on_bad_record), f"parquet:{options.path}")
