"""CoNLL-style files for token classification: one token and its tag per line, a blank line between sentences.

Columns are split on any whitespace (or on `delimiter`); the token and the tag
are read from `token_column` and `tag_column` (negative counts from the end, so
the default reads `Paris NNP B-NP B-LOC` as token `Paris`, tag `B-LOC`).
`-DOCSTART-` lines are skipped, and so are comment lines starting with "#"
between sentences (inside a sentence, a line starting with "#" is a token line,
so that a "#" token is read). A line with too few columns, an empty tag or a
token holding whitespace is a bad record named "<file> line <n>"; under
`on_bad_record: skip` its whole sentence is dropped. Tag names are sorted.

Example (YAML):
    data:
      source: {type: conll, path: data/samples/ner.conll}
      # tab-separated, token in column 1, tag in column 3: {type: conll, path: corpus/, delimiter: "\\t", token_column: 1, tag_column: 3}
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from pipelines.options import Options
from pipelines.registry import sources

_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that surrogateescape kept


class ConllOptions(Options):
    path: str = Field(description="A CoNLL file, or a folder of them (read recursively, in sorted order).")
    token_column: int = Field(default=0, description="Column of the token (0-based; negative counts from the end).")
    tag_column: int = Field(default=-1, description="Column of the tag (0-based; negative counts from the end).")
    delimiter: str | None = Field(
        default=None, min_length=1, description="Column separator, e.g. a tab; default: any run of whitespace."
    )
    encoding: str = Field(default="utf-8", description="Text encoding of the files (a Python codec name).")
    extensions: list[str] = Field(
        default_factory=lambda: [".conll", ".conllu", ".iob", ".bio", ".tsv", ".txt"], min_length=1,
        description="File extensions read when path is a folder (case-insensitive).",
    )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        from data.sources.text_files import check_encoding

        return check_encoding(value)

    @model_validator(mode="after")
    def _two_columns(self):
        if self.token_column == self.tag_column:
            raise ValueError("token_column and tag_column must be different columns")
        return self


@sources.register("conll", ConllOptions)
def load_conll(options: ConllOptions, *, on_bad_record: str = "error"):
    """Sentences of a CoNLL file (or folder): tokens joined by spaces, with one tag id per token.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "toy.conll")
        >>> _ = open(path, "w").write("-DOCSTART- O\\n\\nAlice B-PER\\nruns O\\n\\nBob B-PER\\n")
        >>> examples = load_conll(ConllOptions(path=path))
        >>> examples.kind, list(examples.inputs), examples.class_names, [t.tolist() for t in examples.labels]
        ('tokens', ['Alice runs', 'Bob'], ['B-PER', 'O'], [[0, 1], [0]])
    """
    import os

    import numpy as np

    from data.errors import BadRecords
    from data.examples import Examples
    from data.labels import class_ids, ragged
    from data.sources.text_files import files_under

    bad = BadRecords(on_bad_record)
    path = os.path.abspath(options.path)
    if os.path.isdir(path):
        extensions = {"." + e.lower().lstrip(".") for e in options.extensions}
        files = files_under(path, extensions)
        if not files:
            raise ValueError(f"conll: no files in {path} (extensions: {', '.join(sorted(extensions))})")
    elif os.path.isfile(path):
        files = [path]
    else:
        raise ValueError(f"conll: no file or folder at {path}")

    sentences = []
    for file in files:
        sentences += _sentences(file, options, bad)
    if not sentences:
        raise ValueError(f"conll: no sentences in {path}")
    class_names, id_of = class_ids([tag for _, tags in sentences for tag in tags])
    inputs = np.empty(len(sentences), dtype=object)
    inputs[:] = [" ".join(tokens) for tokens, _ in sentences]
    labels = ragged([[id_of(tag) for tag in tags] for _, tags in sentences])
    return Examples(
        inputs, labels, class_names, skipped=bad.count, origin=f"conll:{path}", skipped_records=bad.records,
        kind="tokens",
    )


def _sentences(file: str, options: ConllOptions, bad) -> list[tuple[list[str], list[str]]]:
    """(tokens, tags) of each good sentence of `file`; a sentence with bad lines goes to `bad`, named by its first."""
    try:
        with open(file, "rb") as handle:
            data = handle.read()
        text = data.decode(options.encoding, errors="surrogateescape")
    except (OSError, UnicodeDecodeError) as error:
        bad(file, f"cannot read as {options.encoding}: {error}")
        return []
    text = text.removeprefix("\ufeff")

    sentences = []
    tokens, tags, problems = [], [], []

    def close():
        if problems:
            (where, reason), more = problems[0], len(problems) - 1
            bad(where, reason + (f" (and {more} more bad line{'s' * (more != 1)} in this sentence)" if more else ""))
        elif tokens:
            sentences.append((list(tokens), list(tags)))
        tokens.clear()
        tags.clear()
        problems.clear()

    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith("-DOCSTART-"):
            close()
            continue
        if stripped.startswith("#") and not tokens and not problems:
            continue
        token, tag, problem = _token_and_tag(line, options)
        if problem is not None:
            problems.append((f"{file} line {number}", problem))
        else:
            tokens.append(token)
            tags.append(tag)
    close()
    return sentences


def _token_and_tag(line: str, options: ConllOptions) -> tuple[str, str, str | None]:
    """The token and tag of one line, or why the line is bad.

    Example:
        >>> _token_and_tag("Paris NNP B-LOC", ConllOptions(path="x"))
        ('Paris', 'B-LOC', None)
        >>> _token_and_tag("Paris", ConllOptions(path="x"))[2]
        '1 column, too few for token_column 0 and tag_column -1'
    """
    if _UNDECODABLE.search(line):
        return "", "", f"cannot decode as {options.encoding}"
    fields = [f.strip() for f in line.split(options.delimiter)] if options.delimiter else line.split()
    count = len(fields)
    token_index = options.token_column if options.token_column >= 0 else count + options.token_column
    tag_index = options.tag_column if options.tag_column >= 0 else count + options.tag_column
    if not (0 <= token_index < count and 0 <= tag_index < count) or token_index == tag_index:
        return "", "", (
            f"{count} column{'s' * (count != 1)}, too few for "
            f"token_column {options.token_column} and tag_column {options.tag_column}"
        )
    token, tag = fields[token_index], fields[tag_index]
    if not token:
        return "", "", "empty token"
    if token.split() != [token]:
        return "", "", f"token {token!r} contains whitespace"
    if not tag:
        return "", "", "empty tag"
    return token, tag, None
