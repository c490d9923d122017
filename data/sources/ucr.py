"""A UCR/UEA time-series-classification set as timeseriesclassification.com gives it (`.ts` or `.tsv` files).

`path` is the folder of one problem, holding `<Name>_TRAIN.ts` and
`<Name>_TEST.ts` (the UEA/sktime format) or `<Name>_TRAIN.tsv` and
`<Name>_TEST.tsv` (the UCR 2018 format), or one such file.

- `.ts`: `#` comment lines, then `@` header lines (`@problemName`,
  `@univariate`, `@dimensions`, `@equalLength`, `@classLabel true 1 2 ...`),
  then `@data` and one case per line: its dimensions separated by `:`, the
  values of each separated by `,`, the class label last. Cases may differ in
  length (the dimensions of one case may not). `?` is a missing value.
- `.tsv`: one case per line, tab separated: the class label, then the
  values; a series shorter than the longest is padded with `NaN` (univariate).

The examples are of kind `sequences`: float32 (N, T, F), T the longest case,
the steps past a case's end NaN in every dimension; a missing value (`?`) is
NaN too (the built-in backbones read a value missing in a step as 0, a step
missing in every dimension as padding). Labels are class ids, named by the
header's `@classLabel` list (else the labels seen), numbers in numeric order.
The archive's split is kept: its TEST cases are the test split and its TRAIN
cases the training split, from which `sequence_classification` carves the
`data.split.validation` share (stratified, seeded); `keep_split: false` pools
both files and splits by `data.split`'s shares instead.

A malformed line (a wrong number of dimensions, dimensions of different
lengths, a value that is not a number, a label not in `@classLabel`) is a bad
record named by file and line; a malformed header (timestamps, no class
labels, an unknown `@` key) is an error naming the file.

Example (YAML):
    task: sequence_classification
    data:
      source: {type: ucr, path: data/ucr/GunPoint}          # GunPoint_TRAIN.ts + GunPoint_TEST.ts
      # source: {type: ucr, path: data/ucr/UCRArchive_2018/ArrowHead, format: tsv}
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import sources

FORMATS = ("ts", "tsv")
PARTS = {"TRAIN": "train", "TEST": "test"}
HEADER_KEYS = {"problemname", "timestamps", "missing", "univariate", "dimensions", "dimension", "equallength",
               "serieslength", "classlabel", "targetlabel", "data"}


class UcrOptions(Options):
    path: str = Field(description="Folder holding <name>_TRAIN and <name>_TEST (.ts or .tsv), or one such file.")
    name: str | None = Field(
        default=None, min_length=1,
        description="The problem's name, the files' prefix; default: the folder's name (or the file's, for a file).",
    )
    format: Literal["auto", "ts", "tsv"] = Field(
        default="auto", description="auto: .ts when the folder has it, else .tsv; or the file's extension.",
    )
    keep_split: bool = Field(
        default=True,
        description="Keep the archive's TRAIN/TEST split (TEST is the test split); false: pool them and split by "
                    "data.split's shares.",
    )


@sources.register("ucr", UcrOptions)
def load_ucr(options: UcrOptions, *, on_bad_record: str = "error"):
    """The cases of a UCR/UEA problem (TRAIN then TEST): NaN-padded float32 (N, T, F) sequences, class ids.

    Example:
        >>> import os, tempfile
        >>> folder = os.path.join(tempfile.mkdtemp(), "Toy")
        >>> os.mkdir(folder)
        >>> header = "@problemName Toy\\n@univariate true\\n@classLabel true a b\\n@data\\n"
        >>> _ = open(os.path.join(folder, "Toy_TRAIN.ts"), "w").write(header + "1,2,3:a\\n4,5:b\\n")
        >>> _ = open(os.path.join(folder, "Toy_TEST.ts"), "w").write(header + "6,?,8:b\\n")
        >>> toy = load_ucr(UcrOptions(path=folder))
        >>> toy.kind, toy.inputs.shape, toy.inputs[1, :, 0].tolist(), toy.class_names, toy.labels.tolist()
        ('sequences', (3, 3, 1), [4.0, 5.0, nan], ['a', 'b'], [0, 1, 1])
        >>> toy.assigned_split.tolist()
        ['train', 'train', 'test']
    """
    import numpy as np

    from data.errors import BadRecords
    from data.examples import Examples
    from data.labels import class_ids
    from data.series.sequences import padded

    bad = BadRecords(on_bad_record)
    files = problem_files(options)
    series, labels, parts, declared = [], [], [], []
    for path, part in files:
        read = read_ts if path.lower().endswith(".ts") else read_tsv
        cases, header_labels = read(path, bad)
        if header_labels is not None:
            declared.append((path, header_labels))
        for values, label in cases:
            series.append(values)
            labels.append(label)
            parts.append(part)
    if not series:
        raise ValueError(f"ucr: no usable cases in {', '.join(path for path, _ in files)}")
    widths = {values.shape[1] for values in series}
    if len(widths) > 1:  # each file is consistent on its own; TRAIN and TEST may still disagree
        raise ValueError(f"ucr: the files' cases have different numbers of dimensions: {sorted(widths)} "
                         f"({', '.join(path for path, _ in files)})")
    if declared:
        names = declared[0][1]
        for path, other in declared[1:]:
            if set(other) != set(names):
                raise ValueError(f"ucr: {path} declares @classLabel {' '.join(other)}, but {declared[0][0]} "
                                 f"declares {' '.join(names)}")
    else:
        names = labels
    class_names, class_id = class_ids(list(dict.fromkeys(names)))
    keep = options.keep_split and any(part is not None for part in parts)
    return Examples(
        padded(series), np.array([class_id(label) for label in labels], dtype="int64"), class_names,
        kind="sequences", skipped=bad.count, skipped_records=bad.records,
        origin=f"ucr:{options.path}",
        assigned_split=np.array([part or "train" for part in parts], dtype=object) if keep else None,
    )


def problem_files(options: UcrOptions) -> list[tuple[str, str | None]]:
    """(path, "train" | "test" | None) of the files to read: a folder's TRAIN and TEST files, or the one file."""
    path = options.path
    if os.path.isfile(path):
        extension = path.rsplit(".", 1)[-1].lower() if "." in os.path.basename(path) else ""
        if extension not in FORMATS:
            raise ValueError(f"ucr: {path} is neither a .ts nor a .tsv file")
        if options.format != "auto" and options.format != extension:
            raise ValueError(f"ucr: {path} is a .{extension} file, but format is {options.format}")
        stem = os.path.basename(path)[: -len(extension) - 1]
        part = next((PARTS[p] for p in PARTS if stem.upper().endswith("_" + p)), None)
        return [(path, part)]
    if not os.path.isdir(path):
        raise ValueError(f"ucr: no file or folder at {path}")
    name = options.name or os.path.basename(os.path.normpath(path))
    formats = FORMATS if options.format == "auto" else (options.format,)
    for extension in formats:
        found = [(os.path.join(path, f"{name}_{p}.{extension}"), PARTS[p]) for p in PARTS]
        if any(os.path.isfile(file) for file, _ in found):
            present = [os.path.basename(file) for file, _ in found if os.path.isfile(file)]
            missing = [os.path.basename(file) for file, _ in found if not os.path.isfile(file)]
            if missing:
                raise ValueError(f"ucr: {path} has {present[0]} but not {missing[0]}")
            return found
    wanted = " or ".join(f"{name}_TRAIN.{e} and {name}_TEST.{e}" for e in formats)
    present = sorted(f for f in os.listdir(path) if f.lower().endswith((".ts", ".tsv")))
    hint = f"; it has {', '.join(present[:6])} (set `name`)" if present else ""
    raise ValueError(f"ucr: {path} has no {wanted}{hint}")


def read_ts(path: str, bad) -> tuple[list, list[str] | None]:
    """The cases ([T, F] float64 values, label) of a `.ts` file, and its `@classLabel` list (None if none)."""
    header: dict[str, str] = {}
    cases = []
    width = None
    in_data = False
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                if not line.startswith("@"):
                    raise ValueError(f"ucr: {path} line {number}: expected an @ header line or @data, got "
                                     f"{_shown(line)}")
                key, _, value = line[1:].partition(" ")
                key = key.lower()
                if key not in HEADER_KEYS:
                    raise ValueError(f"ucr: {path} line {number}: unknown header @{line[1:].split()[0]}")
                header[key] = value.strip()
                if key == "data":
                    labels = _check_header(path, header)
                    width = _declared_width(path, header)
                    in_data = True
                continue
            where = f"{path} line {number}"
            try:
                values, label = _ts_case(line, width, labels)
            except ValueError as problem:
                bad(where, str(problem))
                continue
            width = width or values.shape[1]
            cases.append((values, label))
    if not in_data:
        raise ValueError(f"ucr: {path} has no @data line")
    return cases, labels


def _check_header(path: str, header: dict) -> list[str] | None:
    """The `@classLabel` list (None: labels not listed); an error for what this source cannot read."""
    if header.get("timestamps", "false").lower() == "true":
        raise ValueError(f"ucr: {path}: @timeStamps true is not supported (give the values without timestamps)")
    if "targetlabel" in header and header["targetlabel"].split()[:1] == ["true"]:
        raise ValueError(f"ucr: {path}: @targetLabel true is a regression problem; this source reads classes")
    words = header.get("classlabel", "").split()
    if not words or words[0].lower() != "true":
        raise ValueError(f"ucr: {path}: the header needs @classLabel true <labels> (a classification problem)")
    return words[1:] or None


def _declared_width(path: str, header: dict) -> int | None:
    """The dimensions per case the header promises (`@univariate true`: 1; `@dimensions n`), or None."""
    if header.get("univariate", "").lower() == "true":
        return 1
    text = header.get("dimensions", header.get("dimension"))
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"ucr: {path}: @dimensions must be a positive integer, got {text!r}")
    return int(text)


def _ts_case(line: str, width: int | None, labels: list[str] | None):
    """([T, F] values, label) of one `.ts` data line; a ValueError saying what is wrong."""
    import numpy as np

    *dimensions, label = line.split(":")
    label = label.strip()
    if not dimensions:
        raise ValueError("no values before the class label (dimensions are separated by ':', the label last)")
    if not label:
        raise ValueError("no class label after the last ':'")
    if labels is not None and label not in labels:
        raise ValueError(f"class label {label!r} is not one of @classLabel {' '.join(labels)}")
    if width is not None and len(dimensions) != width:
        raise ValueError(f"{len(dimensions)} dimensions, the file's cases have {width}")
    columns = [_numbers(text.split(","), index) for index, text in enumerate(dimensions)]
    lengths = [len(column) for column in columns]
    if len(set(lengths)) > 1:
        raise ValueError(f"dimensions differ in length: {', '.join(map(str, lengths))} values")
    return np.stack(columns, axis=1), label


def read_tsv(path: str, bad) -> tuple[list, None]:
    """The cases ([T, 1] values without the NaN padding, label) of a UCR 2018 `.tsv` file."""
    cases = []
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line:
                continue
            label, *fields = re.split(r"\t|,", line)  # the 2018 archive is tab separated; its .csv copies, commas
            label = label.strip()
            try:
                if not label or label.lower() == "nan":
                    raise ValueError("no class label in the first column")
                values = _numbers(fields, 0, padded=True)
            except ValueError as problem:
                bad(f"{path} line {number}", str(problem))
                continue
            cases.append((values[:, None], label))
    return cases, None


def _numbers(tokens: list[str], dimension: int, padded: bool = False):
    """float64 values of one dimension, '?' (or NaN) a missing value; where `padded`, trailing NaN dropped."""
    import numpy as np

    where = "" if padded else f"dimension {dimension} "
    values = np.empty(len(tokens))
    for step, token in enumerate(tokens):
        token = token.strip()
        try:
            values[step] = np.nan if token == "?" else float(token)
        except ValueError:
            raise ValueError(f"{where}step {step}: {_shown(token)} is not a number") from None
        if np.isinf(values[step]):
            raise ValueError(f"{where}step {step}: {_shown(token)} is infinite")
    if padded:
        real = np.flatnonzero(~np.isnan(values))
        values = values[: real[-1] + 1] if len(real) else values[:0]
    if not len(values) or np.isnan(values).all():
        raise ValueError(f"{where}no values".strip())
    return values


def _shown(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
