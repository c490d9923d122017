"""Parquet tables, read like the csv source: a table's raw columns and target, texts, or tokens and tags.

Token and tag cells may also be parquet lists of strings.

Example (YAML):
    data:
      source: {type: parquet, path: data/iris.parquet, target_column: species}
      # text: {type: parquet, path: reviews.parquet, text_column: review, label_column: stars}
      # tokens: {type: parquet, path: ner.parquet, tokens_column: tokens, tags_column: ner_tags}
"""

from __future__ import annotations

from pydantic import Field

from data.sources.csv import TableOptions
from pipelines.registry import sources


class ParquetOptions(TableOptions):
    path: str = Field(description="The parquet file.")


@sources.register("parquet", ParquetOptions)
def load_parquet(options: ParquetOptions, *, on_bad_record: str = "error"):
    """A parquet table: one example per row, a table's raw columns and target, texts or tagged tokens.

    Example:
        >>> examples = load_parquet(ParquetOptions(path="data/iris.parquet", target_column="species"))  # doctest: +SKIP
        >>> examples.kind, examples.inputs["sepal_length"].dtype                                        # doctest: +SKIP
        ('columns', dtype('float32'))
    """
    from data.errors import BadRecords
    from data.sources.csv import read_parquet
    from data.sources.table_rows import table_examples

    frame = read_parquet(options.path)
    return table_examples(frame, None, options, BadRecords(on_bad_record), f"parquet:{options.path}")
