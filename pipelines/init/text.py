"""The text_classification drafts: a folder of .txt files per class, or a table's column of texts.

The model is the shipped sentiment spec's measured 1-D CNN (see
pipelines/specs/sentiment.yaml); the tokenize stage sizes its vocabulary and
sequence length from the training split, so the draft leaves them out.
`text_column` finds a table's column of long texts.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"review": ["a long text of many words, said to be good"] * 3, "stars": [1, 2, 3]})
    >>> text_column(frame, "stars")
    'review'
"""

from __future__ import annotations

from pathlib import Path

from pipelines.init.render import (
    SPLIT,
    Lines,
    class_list,
    common_bottom,
    common_top,
    flow,
    header,
    path_comment,
    render,
    scalar,
)

TEXT_EXTENSIONS = (".txt",)
TEXT_MIN_MEDIAN_WORDS = 8  # a table column whose median text has this many words is a text column
TEXT_ALONE_MIN_MEDIAN_WORDS = 4  # ... or this many, when it is the table's only column besides the target
TEXT_MAX_OTHER_COLUMNS = 2  # ... when the table has at most this many columns besides it and the target
TEXT_BATCH_SIZE = 32
TEXT_BACKBONE = {"source": "builtin", "name": "cnn1d", "config": {"embedding_dim": 64, "filters": [256], "kernel_size": 7}}
TEXT_HEAD = {"pooling": "max", "hidden_units": [128], "dropout": 0.2}
TEXT_EPOCHS = 20
TEXT_OPTIMIZER = {"name": "adam", "learning_rate": 3.0e-3}
TEXT_PATIENCE = 5


def text_folder_spec(path: str, name: str, files: dict[str, list[Path]]) -> str:
    """The spec text for the class sub-folders of `path`; `files` maps each class to its .txt files."""
    total = sum(map(len, files.values()))
    lines = header(f"Text classification: {class_list(files)} from the sub-folders of {path}, {total} documents.")
    lines += common_top(name, "text_classification", f"1-D CNN on the documents in {path}.")
    lines += [
        ("data:", None),
        ("  source:", None),
        ("    type: text_files", None),
        (f"    path: {scalar(path)}", path_comment(path, "one sub-folder of .txt files per class")),
        (f"    extensions: {flow(list(TEXT_EXTENSIONS))}", "file extensions read as documents"),
        ("    encoding: utf-8", "the files' text encoding, e.g. latin-1"),
    ]
    lines += _text_rest()
    lines += common_bottom(name)
    return render(lines)


def text_table_spec(path, source_type, name, frame, target, column, target_note) -> str:
    """The spec text for the texts in `column` of a table, classified by its `target` column."""
    labels = frame[target].dropna()
    lines = header(f"Text classification: {class_list(sorted(map(str, labels.unique())))} in column {target!r} "
                   f"from the texts in {column!r} of {path}, {len(frame)} rows.", target_note)
    lines += common_top(name, "text_classification", f"1-D CNN on the {column} column of {path}.")
    lines += [
        ("data:", None),
        ("  source:", None),
        (f"    type: {source_type}", None),
        (f"    path: {scalar(path)}", path_comment(path, "")),
        (f"    text_column: {scalar(column)}", "raw texts, tokenized inside the model"),
        (f"    label_column: {scalar(target)}", "the class of each text"),
    ]
    lines += _text_rest()
    lines += common_bottom(name)
    return render(lines)


def _text_rest() -> Lines:
    """data.split ... training for a text classifier; the tokenize stage sizes itself from the training split."""
    return [
        (f"  split: {flow(SPLIT)}", "shares held out, stratified by class"),
        (f"  batch_size: {TEXT_BATCH_SIZE}", None),
        ("  on_bad_record: error", "or skip: leave empty or unreadable texts out (counted and logged)"),
        ("stages:", None),
        ("  - tokenize: {tokenizer: word_piece, lowercase: true}",
         "trained on the training split; vocabulary_size and sequence_length chosen from it unless given"),
        ("model:", None),
        (f"  backbone: {flow(TEXT_BACKBONE)}", "or bilstm, gru, transformer_encoder"),
        (f"  head: {flow(TEXT_HEAD)}", None),
        ("training:", None),
        (f"  epochs: {TEXT_EPOCHS}", "early stopping usually ends sooner"),
        (f"  optimizer: {flow(TEXT_OPTIMIZER)}", None),
        ("  metrics: [accuracy]", None),
        ("  callbacks:", None),
        (f"    - early_stopping: {{patience: {TEXT_PATIENCE}}}",
         "watches val_f1_macro when classes are imbalanced (class weights on), else val_accuracy"),
        ("    - model_checkpoint", "saves the best model under .kpipe/<name>/checkpoints"),
        ("    - terminate_on_nan", None),
    ]


# --- Finding the texts in a table -----------------------------------------------------------------------------
def is_text_like(series) -> bool:
    """Neither numbers nor booleans."""
    import pandas as pd

    return not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def text_column(frame, target: str) -> str | None:
    """The column of long texts (median >= TEXT_MIN_MEDIAN_WORDS words) with the most words, if any.

    A table with one column besides the target needs TEXT_ALONE_MIN_MEDIAN_WORDS.
    """
    least = TEXT_ALONE_MIN_MEDIAN_WORDS if len(frame.columns) == 2 else TEXT_MIN_MEDIAN_WORDS
    best, most = None, least - 1
    for column in frame.columns:
        if column == target or not is_text_like(frame[column]):
            continue
        counts = _word_counts(frame[column])
        median = float(counts.median()) if len(counts) else 0.0
        if median > most:
            best, most = column, median
    return best


def wordiest_column(frame, target: str) -> str:
    """The text-like column with the most words per row (for `--task text_classification`)."""
    candidates = [c for c in frame.columns if c != target and is_text_like(frame[c])]
    if not candidates:
        raise ValueError("--task text_classification needs a column of texts; this table has none besides the target")
    return max(candidates, key=lambda c: float(_word_counts(frame[c]).median() or 0))


def _word_counts(series):
    return series.dropna().astype(str).str.split().str.len()
