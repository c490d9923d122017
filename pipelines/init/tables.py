"""The table drafts: a CSV/Parquet table -> tabular_classification, tabular_regression or text_classification.

A table whose columns are named like user and item ids is an interaction log
instead, drafted as retrieval or ranking (interactions.py) unless `--target`
or a table task is given. Otherwise the target is `--target`, else a column
named like a label, else the last;
the task follows from it (`guess_task`), unless the table is a column of long
texts and a text label, which makes it text_classification (see text.py).

Example:
    >>> choose_target(["a", "Label", "b"], None)
    ('Label', "target column: 'Label' (the column named like a label)")
"""

from __future__ import annotations

import difflib
from pathlib import Path

from pipelines.init.interactions import INTERACTION_TASKS, interaction_columns, interactions_spec
from pipelines.init.names import sanitize_name
from pipelines.init.render import (
    SPLIT,
    Draft,
    class_list,
    common_top,
    count,
    flow,
    header,
    path_comment,
    render,
    scalar,
)
from pipelines.init.text import TEXT_MAX_OTHER_COLUMNS, is_text_like, text_column, text_table_spec, wordiest_column

TARGET_NAMES = ("target", "label", "class", "y")  # picked as the target, case-insensitive, when --target is not given
CLASSIFICATION_MAX_DISTINCT = 20  # an integer target with at most this many values is a class, else a number
TABULAR_LARGE_ROWS = 2000  # tables with more rows get the larger batch size
TABULAR_BATCH_SIZE = (32, 64)  # [up to TABULAR_LARGE_ROWS rows, more]
# Tuned with `python -m benchmarks.tabular_quality --seeds 42 7 1` on six real tables (see that module):
# batch norm off and a learning rate of 3e-3 won 14 of 18 runs within the goal, against 11-12 for batch norm,
# a 1e-3 rate, piecewise-linear number encoding or early stopping on val_loss.
TABULAR_BACKBONE = {"source": "builtin", "name": "mlp", "config": {"units": [128, 128], "residual": True, "dropout": 0.1}}
TABULAR_EPOCHS = 200
TABULAR_OPTIMIZER = {"name": "adamw", "learning_rate": 3.0e-3, "weight_decay": 1.0e-4}
TABULAR_CALLBACKS = [{"early_stopping": {"patience": 20}}, "model_checkpoint", "terminate_on_nan"]
TABLE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
TABLE_TASKS = ("text_classification", "tabular_classification", "tabular_regression")
NEEDS = {
    "image_classification": "a folder of class sub-folders",
    "object_detection": "annotated images", "semantic_segmentation": "annotated images",
    "captioning": "captioned images: a COCO captions .json, or a CSV of image file names and captions",
    "dual_encoder": "captioned images: a COCO captions .json, or a CSV of image file names and captions",
}
"""What the tasks a table does not draft need, as error messages say."""


def table_spec(path: str, name: str | None = None, target: str | None = None, task: str | None = None) -> Draft:
    """A retrieval or ranking draft for an interaction log, else a text_classification, tabular_classification or
    tabular_regression draft for a CSV/Parquet table; `name` defaults to the file's (and the task's, for
    interactions)."""
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"{path}: not a file kpipe init reads (give a COCO .json, a .csv or .parquet table, "
                         "or a folder)")
    if task in NEEDS:
        raise ValueError(f"--task {task} needs {NEEDS[task]}; a table drafts {', '.join(TABLE_TASKS)}, "
                         f"or {' or '.join(INTERACTION_TASKS)} from an interaction log")
    source_type = TABLE_SUFFIXES[suffix]
    frame = read_table(path, source_type)
    if task not in TABLE_TASKS:
        columns = interaction_columns(list(frame.columns))
        if task in INTERACTION_TASKS and (columns is None or target is not None):
            raise ValueError(f"--task {task} needs an interaction log without --target: a column named like user "
                             f"ids (user, user_id, userId, customer, ...) and one like item ids (item, item_id, "
                             f"movieId, product, ...); {path} has {', '.join(map(str, frame.columns))}")
        if columns is not None and target is None:
            return interactions_spec(path, source_type, name, columns, task or INTERACTION_TASKS[0])
    name = name or sanitize_name(Path(path).stem)
    target, note = choose_target(list(frame.columns), target)
    notes = [f"{note}; give --target to choose another"] if note else []
    texts = text_column(frame, target)
    if task is None:
        others = len(frame.columns) - 2
        if texts and is_text_like(frame[target]) and others <= TEXT_MAX_OTHER_COLUMNS:
            task = "text_classification"
        else:
            task = guess_task(frame[target])
    if task == "text_classification":
        text = text_table_spec(path, source_type, name, frame, target, texts or wordiest_column(frame, target), note)
    else:
        text = _tabular_spec(path, source_type, name, frame, target, task, note)
    return Draft(text, task, name, notes)


def read_table(path: str, source_type: str):
    """The table at `path` as a DataFrame (pandas' type inference); a ValueError naming it when unreadable or empty."""
    import pandas as pd

    try:
        frame = pd.read_parquet(path) if source_type == "parquet" else pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty") from None
    except Exception as error:  # noqa: BLE001  (pandas and pyarrow raise many error types)
        raise ValueError(f"cannot read {path}: {error}") from None
    if frame.empty or len(frame.columns) < 2:
        raise ValueError(f"{path}: a table needs rows and at least two columns (features and a target); "
                         f"it has {len(frame)} rows and {len(frame.columns)} column(s)")
    return frame


def choose_target(columns: list[str], target: str | None) -> tuple[str, str | None]:
    """The target column and, when it was not given, a note saying which one was chosen and why.

    Example:
        >>> choose_target(["a", "b"], None)
        ('b', "target column: 'b' (the last column)")
    """
    if target is not None:
        if target in columns:
            return target, None
        folded = {str(c).strip().lower(): c for c in columns}
        close = [folded[k] for k in difflib.get_close_matches(target.strip().lower(), folded, n=1, cutoff=0.5)]
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"--target {target!r}: no such column; {hint}columns: {', '.join(map(str, columns))}")
    for column in columns:
        if str(column).lower() in TARGET_NAMES:
            return column, f"target column: {column!r} (the column named like a label)"
    return columns[-1], f"target column: {columns[-1]!r} (the last column)"


def guess_task(series) -> str:
    """tabular_classification for a non-numeric, boolean or few-valued integer target, else tabular_regression.

    Example:
        >>> import pandas as pd
        >>> guess_task(pd.Series([1, 2, 2, 3])), guess_task(pd.Series([0.5, 1.7]))
        ('tabular_classification', 'tabular_regression')
    """
    import pandas as pd

    values = series.dropna()
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return "tabular_classification"
    integral = pd.api.types.is_integer_dtype(values) or bool((values == values.round()).all())
    if integral and values.nunique() <= CLASSIFICATION_MAX_DISTINCT:
        return "tabular_classification"
    return "tabular_regression"


def _tabular_spec(path, source_type, name, frame, target, task, target_note) -> str:
    from data.tabular.columns import infer_column_types

    types = {c: t for c, t in infer_column_types(frame, target).items() if c != target}
    kind = "regression" if task == "tabular_regression" else "classification"
    batch = TABULAR_BATCH_SIZE[len(frame) > TABULAR_LARGE_ROWS]
    lines = header(f"Tabular {kind}: predict {target!r} from {count(len(types), 'column')} of {path}, "
                   f"{len(frame)} rows.", target_note)
    lines += common_top(name, task, f"MLP on {path}, predicting {target}.",
                        task_comment="or tabular_classification" if kind == "regression" else "or tabular_regression")
    lines += [
        ("data:", None),
        ("  source:", None),
        (f"    type: {source_type}", None),
        (f"    path: {scalar(path)}", path_comment(path, "")),
        (f"    target_column: {scalar(target)}", f"what the model predicts: {_describe_target(frame[target], task)}"),
        ("    column_types:", "numeric | categorical | boolean | datetime | text; fix a wrong guess here"),
    ]
    for column, kind_of in types.items():
        lines.append((f"      {scalar(column)}: {kind_of}", _describe_column(frame[column])))
    missing_targets = int(frame[target].isna().sum())
    lines += [
        (f"  split: {flow(SPLIT)}", "shares of rows held out for validation and the final test"),
        (f"  batch_size: {batch}", None),
        (f"  on_bad_record: {'skip' if missing_targets else 'error'}",
         f"skip: leave the {count(missing_targets, 'row')} without a target out (counted and logged)"
         if missing_targets else "or skip: leave rows without a target out (counted and logged)"),
        ("model:", None),
        (f"  backbone: {flow(TABULAR_BACKBONE)}", "units per layer; more for larger tables"),
        ("  head: {}", None),
        ("training:", None),
        (f"  epochs: {TABULAR_EPOCHS}", "early stopping usually ends much sooner"),
        (f"  optimizer: {flow(TABULAR_OPTIMIZER)}", None),
        (f"  callbacks: {flow(TABULAR_CALLBACKS)}",
         f"patience: epochs without a better {'val_mae' if kind == 'regression' else 'val_accuracy'}"),
    ]
    lines.append((f"export: {flow({'model_name': name})}", f"versions go to serving/models/{name}/<n>/"))
    return render(lines)


def _describe_target(series, task: str) -> str:
    missing = int(series.isna().sum())
    values = series.dropna()
    if task == "tabular_regression":
        text = f"numbers from {_number(values.min())} to {_number(values.max())}"
    else:
        text = class_list(sorted(map(_label, values.unique())))
    return text + (f"; {count(missing, 'row')} without one" if missing else "")


def _describe_column(series) -> str:
    return f"{int(series.isna().sum())} missing, {int(series.nunique())} distinct"


def _label(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value) -> str:
    return f"{float(value):.4g}"
