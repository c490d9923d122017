"""Paired text files: line N of the source file goes with line N of the target file (a parallel corpus).

The usual layout of translation corpora (`train.en` / `train.de`) and of any
sequence-to-sequence set kept as two files. Both files are read whole at load;
files of different lengths are an error that names both and their line
counts. A pair with an empty (whitespace-only) side is a bad record named by
its line number (`on_bad_record: skip` drops it). The examples are a table of
one text column, `source`, with the target texts as labels: what a `csv`
source gives with `feature_columns: [source]` and a text `target_column`.

Example (YAML):
    data:
      source: {type: text_pairs, source: data/words.txt, target: data/digits.txt}
"""

from __future__ import annotations

from pydantic import Field, field_validator

from data.sources.text_files import check_encoding
from pipelines.options import Options
from pipelines.registry import sources


class TextPairsOptions(Options):
    source: str = Field(description="File of source texts, one per line.")
    target: str = Field(description="File of target texts, one per line, line N answering the source's line N.")
    encoding: str = Field(default="utf-8", description="Text encoding of both files (a Python codec name).")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        return check_encoding(value)


@sources.register("text_pairs", TextPairsOptions)
def load_text_pairs(options: TextPairsOptions, *, on_bad_record: str = "error"):
    """(source line, target line) pairs as a one-column table with text targets.

    Example:
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> _ = open(os.path.join(root, "in.txt"), "w").write("twelve\\nforty-two\\n")
        >>> _ = open(os.path.join(root, "out.txt"), "w").write("12\\n42\\n")
        >>> pairs = load_text_pairs(TextPairsOptions(source=f"{root}/in.txt", target=f"{root}/out.txt"))
        >>> pairs.kind, pairs.inputs["source"].tolist(), pairs.labels.tolist()
        ('columns', ['twelve', 'forty-two'], ['12', '42'])
    """
    import os

    import numpy as np

    from data.errors import BadRecords
    from data.examples import Examples

    bad = BadRecords(on_bad_record)
    paths = [os.path.abspath(options.source), os.path.abspath(options.target)]
    sides = [_lines(path, options.encoding) for path in paths]
    if len(sides[0]) != len(sides[1]):
        raise ValueError(f"text_pairs: {paths[0]} has {len(sides[0])} lines but {paths[1]} has {len(sides[1])}; "
                         f"line N of the source must go with line N of the target")
    keep = []
    for number, (source, target) in enumerate(zip(*sides), start=1):
        empty = [path for path, text in zip(paths, (source, target)) if not text.strip()]
        if empty:
            bad(f"{empty[0]} line {number}", "empty line (each line is one text of a pair)")
        else:
            keep.append(number - 1)
    if not keep:
        raise ValueError(f"text_pairs: {paths[0]} and {paths[1]} hold no pair with text on both sides")
    inputs = np.array([sides[0][i].strip() for i in keep], dtype=object)
    labels = np.array([sides[1][i].strip() for i in keep], dtype=object)
    return Examples({"source": inputs}, labels, [], skipped=bad.count, origin=f"{paths[0]} + {paths[1]}",
                    skipped_records=bad.records, kind="columns", columns={"source": "text"})


def _lines(path: str, encoding: str) -> list[str]:
    """The file's lines without their line ends; a missing or undecodable file is an error naming it."""
    try:
        with open(path, encoding=encoding) as file:
            return file.read().splitlines()
    except FileNotFoundError:
        raise ValueError(f"text_pairs: {path} does not exist") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"text_pairs: {path} is not {encoding} text ({error.reason} at byte {error.start})") from None
