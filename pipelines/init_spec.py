"""Draft a commented spec from data: what `kpipe init DATA` writes.

DATA is a folder of class sub-folders (images -> image_classification, .txt
files -> text_classification) or a CSV/Parquet table (a column of long texts
and a text label -> text_classification, else tabular_classification or
tabular_regression, guessed from the target column). The draft validates and
runs as written; every line a user may want to change carries a comment.
The defaults live in the constants below.

Example:
    >>> draft = draft_spec("data/cars.csv", target="MPG")   # doctest: +SKIP
    >>> draft.task, draft.notes                              # doctest: +SKIP
    ('tabular_regression', [])
    >>> Path("cars.yaml").write_text(draft.text)             # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# --- Defaults of every draft -------------------------------------------------------------------------------------
SEED = 42
SPLIT = {"validation": 0.15, "test": 0.15}
TASKS = ("image_classification", "text_classification", "tabular_classification", "tabular_regression")
TARGET_NAMES = ("target", "label", "class", "y")  # picked as the target, case-insensitive, when --target is not given

# --- Image folders ----------------------------------------------------------------------------------------------
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")  # what the image_folder source reads by default
IMAGE_SIZE = [64, 64]
IMAGE_BATCH_SIZE = 32
IMAGE_AUGMENT = [{"random_flip": "horizontal"}, {"random_rotation": 0.05}]
IMAGE_BACKBONE = {"source": "builtin", "name": "cnn", "config": {"filters": [32, 64, 128], "blocks_per_stage": 2}}
IMAGE_HEAD = {"dropout": 0.2}
IMAGE_EPOCHS = 30
IMAGE_OPTIMIZER = {"name": "adam", "learning_rate": 1.0e-3}
IMAGE_PATIENCE = 5
GRAYSCALE_MODES = {"1", "L", "LA", "I", "I;16", "F"}  # PIL modes of one-channel images

# --- Texts (a folder of .txt files, or a table with a text column) -----------------------------------------------
TEXT_EXTENSIONS = (".txt",)
TEXT_MIN_MEDIAN_WORDS = 8  # a table column whose median text has this many words is a text column
TEXT_ALONE_MIN_MEDIAN_WORDS = 4  # ... or this many, when it is the table's only column besides the target
TEXT_MAX_OTHER_COLUMNS = 2  # ... when the table has at most this many columns besides it and the target
TEXT_BATCH_SIZE = 32
# The shipped sentiment spec's model, measured on a real docstring corpus (see pipelines/specs/sentiment.yaml);
# the tokenizer's vocabulary and sequence length are left to the tokenize stage, which sizes them from the data.
TEXT_BACKBONE = {"source": "builtin", "name": "cnn1d", "config": {"embedding_dim": 64, "filters": [256], "kernel_size": 7}}
TEXT_HEAD = {"pooling": "max", "hidden_units": [128], "dropout": 0.2}
TEXT_EPOCHS = 20
TEXT_OPTIMIZER = {"name": "adam", "learning_rate": 3.0e-3}
TEXT_PATIENCE = 5

# --- Tables -----------------------------------------------------------------------------------------------------
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

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass
class Draft:
    """A drafted spec: its YAML `text`, `task`, `name` and the `notes` to tell the user (e.g. the target chosen)."""

    text: str
    task: str
    name: str
    notes: list[str] = field(default_factory=list)


def draft_spec(data: str | os.PathLike, *, target: str | None = None, task: str | None = None,
               name: str | None = None) -> Draft:
    """A commented spec for `data` (a folder of class sub-folders, or a CSV/Parquet table).

    `target` names the column to predict (default: one named target/label/class/y,
    else the last); `task` overrides the guessed task; `name` the spec name
    (default: the file or folder name, sanitized). Raises ValueError for data
    it cannot read or options that do not fit it.

    Example:
        >>> draft_spec("data/pets").task             # doctest: +SKIP
        'image_classification'
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"--task {task}: choose one of {', '.join(TASKS)}")
    path = Path(data)
    name = check_name(name) if name is not None else sanitize_name(path.stem if path.is_file() else path.resolve().name)
    if path.is_dir():
        if target is not None:
            raise ValueError(f"--target {target}: {data} is a folder, whose classes are its sub-folders; "
                             "--target goes with a table")
        return folder_spec(str(data), name, task)
    if path.is_file():
        return table_spec(str(data), name, target, task)
    raise ValueError(f"{data}: no such file or folder")


# --- Folders ----------------------------------------------------------------------------------------------------
def folder_spec(path: str, name: str, task: str | None = None) -> Draft:
    """An image_classification or text_classification draft for a folder of class sub-folders."""
    root = Path(path)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(f"{path}: no class sub-folders; put the images (or .txt files) of each class in a "
                         "sub-folder named after it")
    images = {c: _files(root / c, IMAGE_EXTENSIONS) for c in classes}
    texts = {c: _files(root / c, TEXT_EXTENSIONS) for c in classes}
    n_images, n_texts = sum(map(len, images.values())), sum(map(len, texts.values()))
    kind = task or ("image_classification" if n_images >= n_texts else "text_classification")
    if kind not in ("image_classification", "text_classification"):
        raise ValueError(f"--task {kind} needs a table; a folder of class sub-folders is image_classification "
                         "or text_classification")
    files, what = (images, "images") if kind == "image_classification" else (texts, ".txt files")
    if not n_images and not n_texts:
        raise ValueError(f"{path}: no images ({', '.join(IMAGE_EXTENSIONS)}) or .txt files in its class sub-folders")
    empty = [c for c in classes if not files[c]]
    if empty:
        raise ValueError(f"{path}: class sub-folder{'s' * (len(empty) > 1)} {', '.join(empty)} "
                         f"ha{'ve' if len(empty) > 1 else 's'} no {what}; add some or move {'them' if len(empty) > 1 else 'it'} out")
    if len(classes) < 2:
        raise ValueError(f"{path}: one class sub-folder ({classes[0]}); a classifier needs at least two")
    if kind == "image_classification":
        return Draft(_image_spec(path, name, files), kind, name)
    return Draft(_text_folder_spec(path, name, files), kind, name)


def _files(folder: Path, extensions) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in extensions and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _color_mode(files: list[Path], sample: int = 20) -> str:
    """grayscale when every sampled image has one channel, else rgb."""
    from PIL import Image

    modes = set()
    for file in files[:sample]:
        try:
            with Image.open(file) as image:
                modes.add(image.mode)
        except Exception:  # noqa: BLE001  (unreadable files are the source's to report)
            continue
    return "grayscale" if modes and modes <= GRAYSCALE_MODES else "rgb"


def _class_list(classes) -> str:
    classes = list(classes)
    shown = ", ".join(classes[:5]) + (", ..." if len(classes) > 5 else "")
    return f"{len(classes)} classes ({shown})"


def _image_spec(path: str, name: str, files: dict[str, list[Path]]) -> str:
    count = sum(map(len, files.values()))
    color = _color_mode([f for group in files.values() for f in group[:5]])
    lines = _header(f"Image classification: {_class_list(files)} from the sub-folders of {path}, {count} images.")
    lines += _common_top(name, "image_classification", f"Small CNN on the images in {path}.")
    lines += [
        ("data:", None),
        ("  source:", None),
        ("    type: image_folder", None),
        (f"    path: {_scalar(path)}", _path_comment(path, "one sub-folder of images per class")),
        (f"    image_size: {_flow(IMAGE_SIZE)}", "[height, width] each image is resized to when decoded (stretched)"),
        (f"    color_mode: {color}", "rgb or grayscale"),
        (f"  split: {_flow(SPLIT)}", "shares held out, stratified by class"),
        (f"  batch_size: {IMAGE_BATCH_SIZE}", None),
        ("  cache: true", "keep decoded images in memory; false for folders larger than memory"),
        ("  on_bad_record: error", "or skip: leave unreadable images out (counted and logged)"),
        ("stages:", None),
        (f"  - augment: {_flow(IMAGE_AUGMENT)}", "training batches only; e.g. drop random_flip for text or digits"),
        (f"  - rescale: {{scale: {1 / 255!r}}}", "pixels [0, 255] -> [0, 1], inside the export too"),
        ("model:", None),
        (f"  backbone: {_flow(IMAGE_BACKBONE)}", f"filters per stage; each stage halves the image size"),
        (f"  head: {_flow(IMAGE_HEAD)}", "hidden_units: [64] adds a dense layer"),
        ("training:", None),
        (f"  epochs: {IMAGE_EPOCHS}", "early stopping usually ends sooner"),
        (f"  optimizer: {_flow(IMAGE_OPTIMIZER)}", None),
        ("  metrics: [accuracy]", None),
        ("  callbacks:", None),
        (f"    - early_stopping: {{patience: {IMAGE_PATIENCE}, monitor: val_accuracy, mode: max}}",
         "stop after this many epochs without a better val_accuracy; keeps the best weights"),
        ("    - model_checkpoint", "saves the best model under .kpipe/<name>/checkpoints"),
        ("    - terminate_on_nan", None),
    ]
    lines += _common_bottom(name)
    return render(lines)


def _text_folder_spec(path: str, name: str, files: dict[str, list[Path]]) -> str:
    count = sum(map(len, files.values()))
    lines = _header(f"Text classification: {_class_list(files)} from the sub-folders of {path}, {count} documents.")
    lines += _common_top(name, "text_classification", f"1-D CNN on the documents in {path}.")
    lines += [
        ("data:", None),
        ("  source:", None),
        ("    type: text_files", None),
        (f"    path: {_scalar(path)}", _path_comment(path, "one sub-folder of .txt files per class")),
        (f"    extensions: {_flow(list(TEXT_EXTENSIONS))}", "file extensions read as documents"),
        ("    encoding: utf-8", "the files' text encoding, e.g. latin-1"),
    ]
    lines += _text_rest()
    lines += _common_bottom(name)
    return render(lines)


# --- Tables -----------------------------------------------------------------------------------------------------
def table_spec(path: str, name: str, target: str | None = None, task: str | None = None) -> Draft:
    """A text_classification, tabular_classification or tabular_regression draft for a CSV/Parquet table."""
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"{path}: not a table kpipe init reads (give a .csv or .parquet file, or a folder "
                         "of class sub-folders)")
    source_type = TABLE_SUFFIXES[suffix]
    frame = read_table(path, source_type)
    target, note = choose_target(list(frame.columns), target)
    notes = [f"{note}; give --target to choose another"] if note else []
    text_column = _text_column(frame, target)
    if task is None:
        others = len(frame.columns) - 2
        if text_column and _is_text_like(frame[target]) and others <= TEXT_MAX_OTHER_COLUMNS:
            task = "text_classification"
        else:
            task = guess_task(frame[target])
    if task == "image_classification":
        raise ValueError("--task image_classification needs a folder of class sub-folders of images")
    if task == "text_classification":
        if text_column is None:
            text_column = _wordiest_column(frame, target)
        text = _text_table_spec(path, source_type, name, frame, target, text_column, note)
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
        >>> choose_target(["a", "Label", "b"], None)
        ('Label', "target column: 'Label' (the column named like a label)")
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


def _word_counts(series):
    return series.dropna().astype(str).str.split().str.len()


def _is_text_like(series) -> bool:
    import pandas as pd

    return not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _text_column(frame, target: str) -> str | None:
    """The column of long texts (median >= TEXT_MIN_MEDIAN_WORDS words) with the most words, if any.

    A table with one column besides the target needs TEXT_ALONE_MIN_MEDIAN_WORDS.
    """
    least = TEXT_ALONE_MIN_MEDIAN_WORDS if len(frame.columns) == 2 else TEXT_MIN_MEDIAN_WORDS
    best, most = None, least - 1
    for column in frame.columns:
        if column == target or not _is_text_like(frame[column]):
            continue
        counts = _word_counts(frame[column])
        median = float(counts.median()) if len(counts) else 0.0
        if median > most:
            best, most = column, median
    return best


def _wordiest_column(frame, target: str) -> str:
    candidates = [c for c in frame.columns if c != target and _is_text_like(frame[c])]
    if not candidates:
        raise ValueError("--task text_classification needs a column of texts; this table has none besides the target")
    return max(candidates, key=lambda c: float(_word_counts(frame[c]).median() or 0))


def _text_table_spec(path, source_type, name, frame, target, text_column, target_note) -> str:
    labels = frame[target].dropna()
    lines = _header(f"Text classification: {_class_list(sorted(map(str, labels.unique())))} in column {target!r} "
                    f"from the texts in {text_column!r} of {path}, {len(frame)} rows.", target_note)
    lines += _common_top(name, "text_classification", f"1-D CNN on the {text_column} column of {path}.")
    lines += [
        ("data:", None),
        ("  source:", None),
        (f"    type: {source_type}", None),
        (f"    path: {_scalar(path)}", _path_comment(path, "")),
        (f"    text_column: {_scalar(text_column)}", "raw texts, tokenized inside the model"),
        (f"    label_column: {_scalar(target)}", "the class of each text"),
    ]
    lines += _text_rest()
    lines += _common_bottom(name)
    return render(lines)


def _text_rest() -> list[tuple[str, str | None]]:
    """data.split ... training for a text classifier; the tokenize stage sizes itself from the training split."""
    return [
        (f"  split: {_flow(SPLIT)}", "shares held out, stratified by class"),
        (f"  batch_size: {TEXT_BATCH_SIZE}", None),
        ("  on_bad_record: error", "or skip: leave empty or unreadable texts out (counted and logged)"),
        ("stages:", None),
        ("  - tokenize: {tokenizer: word_piece, lowercase: true}",
         "trained on the training split; vocabulary_size and sequence_length chosen from it unless given"),
        ("model:", None),
        (f"  backbone: {_flow(TEXT_BACKBONE)}", "or bilstm, gru, transformer_encoder"),
        (f"  head: {_flow(TEXT_HEAD)}", None),
        ("training:", None),
        (f"  epochs: {TEXT_EPOCHS}", "early stopping usually ends sooner"),
        (f"  optimizer: {_flow(TEXT_OPTIMIZER)}", None),
        ("  metrics: [accuracy]", None),
        ("  callbacks:", None),
        (f"    - early_stopping: {{patience: {TEXT_PATIENCE}}}",
         "watches val_f1_macro when classes are imbalanced (class weights on), else val_accuracy"),
        ("    - model_checkpoint", "saves the best model under .kpipe/<name>/checkpoints"),
        ("    - terminate_on_nan", None),
    ]


def _tabular_spec(path, source_type, name, frame, target, task, target_note) -> str:
    from data.tabular.columns import infer_column_types

    types = {c: t for c, t in infer_column_types(frame, target).items() if c != target}
    kind = "regression" if task == "tabular_regression" else "classification"
    batch = TABULAR_BATCH_SIZE[len(frame) > TABULAR_LARGE_ROWS]
    lines = _header(f"Tabular {kind}: predict {target!r} from {_count(len(types), 'column')} of {path}, "
                    f"{len(frame)} rows.", target_note)
    lines += _common_top(name, task, f"MLP on {path}, predicting {target}.",
                         task_comment="or tabular_classification" if kind == "regression" else "or tabular_regression")
    lines += [
        ("data:", None),
        ("  source:", None),
        (f"    type: {source_type}", None),
        (f"    path: {_scalar(path)}", _path_comment(path, "")),
        (f"    target_column: {_scalar(target)}", f"what the model predicts: {_describe_target(frame[target], task)}"),
        ("    column_types:", "numeric | categorical | boolean | datetime | text; fix a wrong guess here"),
    ]
    for column, kind_of in types.items():
        lines.append((f"      {_scalar(column)}: {kind_of}", _describe_column(frame[column])))
    missing_targets = int(frame[target].isna().sum())
    lines += [
        (f"  split: {_flow(SPLIT)}", "shares of rows held out for validation and the final test"),
        (f"  batch_size: {batch}", None),
        (f"  on_bad_record: {'skip' if missing_targets else 'error'}",
         f"skip: leave the {_count(missing_targets, 'row')} without a target out (counted and logged)"
         if missing_targets else "or skip: leave rows without a target out (counted and logged)"),
        ("model:", None),
        (f"  backbone: {_flow(TABULAR_BACKBONE)}", "units per layer; more for larger tables"),
        ("  head: {}", None),
        ("training:", None),
        (f"  epochs: {TABULAR_EPOCHS}", "early stopping usually ends much sooner"),
        (f"  optimizer: {_flow(TABULAR_OPTIMIZER)}", None),
        (f"  callbacks: {_flow(TABULAR_CALLBACKS)}", f"patience: epochs without a better {'val_mae' if kind == 'regression' else 'val_accuracy'}"),
    ]
    lines.append((f"export: {_flow({'model_name': name})}", f"versions go to serving/models/{name}/<n>/"))
    return render(lines)


def _describe_target(series, task: str) -> str:
    missing = int(series.isna().sum())
    values = series.dropna()
    if task == "tabular_regression":
        text = f"numbers from {_number(values.min())} to {_number(values.max())}"
    else:
        text = _class_list(sorted(map(_label, values.unique())))
    return text + (f"; {_count(missing, 'row')} without one" if missing else "")


def _describe_column(series) -> str:
    return f"{int(series.isna().sum())} missing, {int(series.nunique())} distinct"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def _path_comment(path: str, what: str) -> str | None:
    where = "" if os.path.isabs(path) else "relative to the folder kpipe runs in"
    return "; ".join(part for part in (what, where) if part) or None


def _label(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value) -> str:
    return f"{float(value):.4g}"


# --- Names ------------------------------------------------------------------------------------------------------
def sanitize_name(text: str) -> str:
    """`text` as a spec name: runs of other characters become '-', it starts with a letter or digit.

    Example:
        >>> sanitize_name("My cars (2024)")
        'My-cars-2024'
    """
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).lstrip("._-").rstrip("-")[:128]
    return name or "model"


def check_name(name: str) -> str:
    """`name` when it is a valid spec name, else a ValueError suggesting one."""
    if not _NAME.match(name):
        raise ValueError(f"--name {name!r}: use letters, digits, '.', '_' and '-', starting with a letter or digit "
                         f"(e.g. {sanitize_name(name)!r})")
    return name


# --- YAML text --------------------------------------------------------------------------------------------------
def _header(summary: str, target_note: str | None = None) -> list[tuple[str, str | None]]:
    lines = [(f"# {summary}", None)]
    if target_note:
        lines.append((f"# {target_note[0].upper()}{target_note[1:]}; `kpipe init --target COLUMN` picks another.",
                      None))
    lines += [("# Drafted by `kpipe init`: check it with `kpipe validate <this file>`, "
               "run it with `kpipe run <this file>`.", None)]
    return lines


def _common_top(name: str, task: str, description: str, task_comment: str | None = None):
    return [
        ("version: 1", None),
        (f"name: {_scalar(name)}", "names the runs' MLflow experiment and the export"),
        (f"task: {task}", task_comment),
        (f"description: {_scalar(description)}", None),
        (f"seed: {SEED}", "seeds the split, the initial weights and augmentation"),
    ]


def _common_bottom(name: str):
    return [
        ("tracking:", None),
        (f"  experiment: {_scalar(name)}", "MLflow experiment: kpipe compare --experiment " + name),
        ("export:", None),
        (f"  model_name: {_scalar(name)}", f"versions go to serving/models/{name}/<n>/"),
    ]


def render(lines: list[tuple[str, str | None]], widest: int = 56) -> str:
    """YAML lines with their comments aligned in one column (lines longer than `widest` push theirs right)."""
    width = max((len(text) for text, comment in lines if comment and len(text) <= widest), default=0) + 2
    out = []
    for text, comment in lines:
        if comment:
            out.append(f"{text.ljust(max(width, len(text) + 2))}# {comment}")
        else:
            out.append(text)
    return "\n".join(out) + "\n"


def _scalar(value) -> str:
    """`value` as a YAML scalar in block context (a mapping value or key), quoted only where YAML needs it."""
    import yaml

    text = yaml.safe_dump(value, width=1 << 30, allow_unicode=True)
    return text.removesuffix("\n...\n").strip()


def _flow(value) -> str:
    """`value` (dicts, lists, scalars) as one line of YAML flow style."""
    import yaml

    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return yaml.safe_dump([value], default_flow_style=True, width=1 << 30, allow_unicode=True).strip()[1:-1]
