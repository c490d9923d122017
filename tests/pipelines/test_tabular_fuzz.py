"""Fuzzing the tabular tasks: random, partly wrong specs through `kpipe validate`, and random rows through an export.

`kpipe validate` answers every spec with exit 0 or 2 (each problem on a line that
names its key path), never a traceback, and writes nothing. A tiny trained
export (classification and regression) answers every row, however wrong, with
finite numbers: missing values, unseen categories, unicode, inf, bad dates and
booleans, and tables with extra, missing or wrong-typed columns.
"""

from __future__ import annotations

import copy
import csv
import math
import random
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from pipelines.cli import main
from tests.helpers import REPO

SPECS = {name: yaml.safe_load((REPO / "pipelines" / "specs" / f"{name}.yaml").read_text())
         for name in ("customers", "diabetes")}
CASES = 500

# Validate fuzz -----------------------------------------------------------------------------------

WORDS = ["units", "residual", "batch_norm", "dropout", "d_token", "heads", "blocks", "ffn_factor", "activation",
         "multi_label", "label_smoothing", "standardize_target", "hidden_units", "encoding", "hash_bins",
         "target_column", "feature_columns", "column_types", "delimiter", "name", "type", "path", "loss",
         "epochs", "bogus", "ünïcødé", "✓", "target-column", "Units", "x", "_", "0"]
SCALARS = [None, True, False, 0, 1, -1, -7, 3, 2**40, -(2**70), 0.5, -0.25, 1.5, 1e308, -1e-9, math.inf, -math.inf,
           math.nan, "", " ", "auto", "mse", "huber", "relu", "mlp", "ft_transformer", "csv", "sklearn", "1e-3", "-1",
           "ünïcødé ✓", "yes", "null", "[1, 2]"]
COLUMN_TYPES = ["numeric", "categorical", "boolean", "datetime", "text", "Numeric", "date", "float", "string", "",
                "category", 3, None, ["numeric"], {"numeric": 1}]
TASKS = ["tabular_classification", "tabular_regression", "image_classification", "text_classification",
         "tabular", "regression", "classification", "Tabular_Regression", "", None, 7]
LOSSES = ["auto", "mse", "huber", "mae", "categorical_crossentropy", "binary_crossentropy", "nonsense", "", "MSE",
          3, None, ["mse"], {"name": "mse"}]
BACKBONE_KEYS = ["units", "residual", "batch_norm", "dropout", "activation", "d_token", "heads", "blocks",
                 "ffn_factor", "attention_dropout", "ffn_dropout", "residual_dropout", "filters", "preset", "layers"]
HEAD_KEYS = ["multi_label", "label_smoothing", "standardize_target", "hidden_units", "dropout", "encoding",
             "pooling", "threshold", "classes"]
ENCODING_KEYS = ["hash_above", "hash_bins", "text_max_tokens", "vocabulary", "max_tokens"]
SOURCE_KEYS = ["type", "name", "path", "target_column", "feature_columns", "column_types", "delimiter",
               "label_column", "text_column", "tokens_column", "tags_column", "label_separator", "sheet", "url"]
NUMERIC_PATHS = [("seed",), ("data", "batch_size"), ("data", "split", "validation"), ("data", "split", "test"),
                 ("training", "epochs"), ("training", "steps_per_epoch"), ("training", "optimizer", "learning_rate"),
                 ("training", "optimizer", "weight_decay"), ("model", "head", "dropout"),
                 ("export", "parity_samples"), ("export", "warmup_samples"), ("data", "shuffle_buffer")]


def random_value(rng: random.Random, depth: int = 0):
    """A scalar, or (rarely, shallow) a list or mapping of them."""
    roll = rng.random()
    if depth < 2 and roll < 0.1:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if depth < 2 and roll < 0.2:
        return {rng.choice(WORDS): random_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    if roll < 0.3:
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0xA0, 0x2FFF)]))
                       for _ in range(rng.randrange(8)))
    return rng.choice(SCALARS)


def tree_paths(node, prefix=()):
    """Every key path in a nested dict/list, the root excluded."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from tree_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from tree_paths(value, (*prefix, index))


def dict_paths(node, prefix=()):
    """The paths of every mapping in a nested dict/list, the root included."""
    if isinstance(node, dict):
        yield prefix
        for key, value in node.items():
            yield from dict_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from dict_paths(value, (*prefix, index))


def get(spec, path):
    node = spec
    for part in path:
        node = node[part]
    return node


def put(spec, path, value) -> None:
    """Set `value` at `path`, creating mappings on the way (replacing what is not one)."""
    node = spec
    for part in path[:-1]:
        if isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                return
            child = node[part]
        else:
            child = node.get(part)
        if not isinstance(child, (dict, list)):
            child = {}
            node[part] = child
        node = child
    if isinstance(node, list):
        if isinstance(path[-1], int) and path[-1] < len(node):
            node[path[-1]] = value
    else:
        node[path[-1]] = value


def mutate(spec: dict, rng: random.Random) -> str:
    """One random change to `spec` (in place); returns what it did, for failure messages."""
    kind = rng.choice(["set", "delete", "unknown_key", "column_type", "target", "source", "task", "head",
                       "backbone", "loss", "negative", "gates"])
    if kind == "set":
        path = rng.choice(list(tree_paths(spec)))
        put(spec, path, random_value(rng))
    elif kind == "delete":
        path = rng.choice(list(tree_paths(spec)))
        parent = get(spec, path[:-1])
        del parent[path[-1]]
    elif kind == "unknown_key":
        candidates = list(dict_paths(spec)) + [("data", "source"), ("model", "head"), ("model", "backbone", "config"),
                                               ("model", "head", "encoding"), ("data", "source", "column_types")]
        path = rng.choice(candidates)
        key = rng.choice(WORDS + [f"{rng.choice(WORDS)}_extra"])
        put(spec, (*path, key), random_value(rng))
    elif kind == "column_type":
        column = rng.choice(["support_calls", "signup_date", "contract", "region", "has_support_plan", "churned",
                             "age", "no_such_column", "", "ünïcødé"])
        put(spec, ("data", "source", "column_types", column), rng.choice(COLUMN_TYPES))
    elif kind == "target":
        key = rng.choice(["target_column", "feature_columns"])
        value = (rng.choice(["", " ", None, 0, "churned", "tenure_months", "nonexistent", ["churned"]])
                 if key == "target_column" else
                 rng.choice([[], [""], ["churned"], ["region", "region"], "region", [1, None], ["tenure_months"]]))
        put(spec, ("data", "source", key), value)
    elif kind == "source":
        spec.setdefault("data", {})["source"] = rng.choice([
            {"type": "sklearn", "name": rng.choice(["iris", "wine", "breast_cancer", "diabetes", "digits", "boston",
                                                    "", None])},
            {"type": rng.choice(["csv", "parquet", "CSV", "numpy", "tfds", "image_folder", "", None]),
             "path": rng.choice(["data/samples/customers.csv", "x.parquet", "", None, 3]),
             "target_column": rng.choice(["churned", "", None])},
            {"type": "sklearn", "name": "iris", "target_column": "species"},
            {"type": "csv", "path": "t.csv", "target_column": "y", "text_column": "t", "label_column": "y"},
            rng.choice([None, "csv", [], {}]),
        ])
    elif kind == "task":
        spec["task"] = rng.choice(TASKS)
    elif kind == "head":
        key = rng.choice(HEAD_KEYS)
        value = ({k: random_value(rng) for k in rng.sample(ENCODING_KEYS + ["bogus"], rng.randrange(1, 3))}
                 if key == "encoding" and rng.random() < 0.7 else random_value(rng))
        put(spec, ("model", "head", key), value)
    elif kind == "backbone":
        backbone = {"source": rng.choice(["builtin", "builtin", "keras_hub", "keras_cv", "nope", None]),
                    "name": rng.choice(["mlp", "ft_transformer", "cnn", "resnet", "MLP", "", None])}
        if rng.random() < 0.9:
            backbone["config"] = {k: rng.choice([random_value(rng), rng.randrange(-2, 65), [64, 64], [0], True])
                                  for k in rng.sample(BACKBONE_KEYS, rng.randrange(0, 5))}
        spec.setdefault("model", {})["backbone"] = backbone if rng.random() < 0.9 else random_value(rng)
    elif kind == "loss":
        put(spec, ("training", "loss"), rng.choice(LOSSES))
    elif kind == "negative":
        put(spec, rng.choice(NUMERIC_PATHS), rng.choice([-1, -0.5, 0, -(10**9), 1e9, -math.inf]))
    elif kind == "gates":
        put(spec, ("export", "gates"), rng.choice([[], ["test_r2 >= 0.2"], ["test_accuracy >"], ["nonsense"], "x",
                                                   [3], ["test_rmse <= -1"], None]))
    return kind


def key_path_lines(err: str, spec: dict) -> list[str]:
    """The lines of a SpecError report that do not start with a key path of `spec` (or a Spec field)."""
    from pipelines.spec import Spec

    lines = err.strip().splitlines()
    bad = [] if lines and lines[0].rstrip().endswith(("problem", "problems")) else lines[:1]
    roots = {str(k) for k in spec} | set(Spec.model_fields)
    for line in lines[1:]:
        path, sep, message = line.strip().partition(": ")
        if not (line.startswith("  ") and sep and message and path.split(".")[0] in roots):
            bad.append(line)
    return bad


def test_validate_on_random_tabular_specs(tmp_path_factory, in_tmp_dir, capsys):
    rng = random.Random(0)
    codes, failures = {0: 0, 2: 0}, []
    for case in range(CASES):
        base = rng.choice(sorted(SPECS))
        spec = copy.deepcopy(SPECS[base])
        changes = [mutate(spec, rng) for _ in range(rng.randrange(1, 5))]
        folder = tmp_path_factory.mktemp("fuzz")
        path = folder / "spec.yaml"
        path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        try:
            code = main(["validate", str(path)])
        except BaseException as error:  # noqa: BLE001 - the point is that nothing escapes
            code = f"raised {type(error).__name__}: {error}"
        out, err = capsys.readouterr()
        where = f"case {case} ({base}, {changes}): {yaml.safe_dump(spec, allow_unicode=True)}"
        if code not in (0, 2):
            failures.append(f"{where}\n  exit {code}\n{err}")
            continue
        codes[code] += 1
        if "Traceback" in out + err or not (out if code == 0 else err).strip():
            failures.append(f"{where}\n  no message or a traceback:\n{out}{err}")
        elif code == 2 and key_path_lines(err, spec):
            failures.append(f"{where}\n  lines without a key path: {key_path_lines(err, spec)}")
        if list(in_tmp_dir.iterdir()) or [p.name for p in folder.iterdir()] != ["spec.yaml"]:
            failures.append(f"{where}\n  wrote files: {list(in_tmp_dir.iterdir())} {list(folder.iterdir())}")
    assert not failures, f"{len(failures)} of {CASES} cases failed:\n" + "\n\n".join(failures[:10])
    assert codes[2] > CASES // 2 and codes[0] > 0, codes  # the mutations do break specs, and not all of them


# Export fuzz --------------------------------------------------------------------------------------

TINY_RUN = ["training.epochs=1", "training.steps_per_epoch=2", "training.verbose=0", "tracking.log_model=false",
            "export.gates=[]", "export.parity_samples=8", "export.warmup_samples=2", "model.backbone.config.units=[8]"]
ROWS = 200
NUMBERS = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 3.0e38, -3.0e38, 1e30, -1e30, 1e-45, -1e-45, 12.5,
           -12.5, 65.0, 1e6, -1e6, 2.0**24 + 1]
STRINGS = ["", " ", "one-year", "two-year", "month-to-month", "west", "north", "Mars", "ONE-YEAR", " west ",
           "true", "false", "yes", "no", "1", "0", "maybe", "Y", "TRUE ", "nan", "None", "null", "NaN", "[UNK]",
           "2023-07-01", "2022-05-01T10:30:00Z", "2024-02-29 23:59:59.999", "2023-02-29", "2024-13-45", "0000-00-00",
           "9999-12-31", "-001-01-01", "1970-01-01", "yesterday", "2024-1-1", "2024-01-01 25:61", "24-01-01",
           "ünïcødé ✓", "日本語", "🙂" * 3, "\x00", "\n\t", "a,b;c", "x" * 5000, "-1", "1e309", "inf"]


def random_cell(rng: random.Random, numeric: bool):
    if numeric:
        return rng.choice(NUMBERS) if rng.random() < 0.7 else rng.uniform(-1e3, 1e3)
    if rng.random() < 0.75:
        return rng.choice(STRINGS)
    ranges = [(1, 0x7F), (0xA0, 0xD7FF), (0xE000, 0x10FFFF)]  # no surrogates
    return "".join(chr(rng.randrange(*rng.choice(ranges))) for _ in range(rng.randrange(12)))


def random_rows(inputs: dict, rng: random.Random, rows: int = ROWS) -> dict[str, np.ndarray]:
    """A batch of `rows` random, mostly wrong rows for a signature: float32 numbers, object arrays of str."""
    import tensorflow as tf

    batch = {}
    for name, spec in sorted(inputs.items()):  # one order, so one seed gives the same rows
        numeric = spec.dtype == tf.float32
        cells = [random_cell(rng, numeric) for _ in range(rows)]
        batch[name] = np.array(cells, "float32") if numeric else np.array(cells, object)
    return batch


@pytest.fixture(scope="module")
def tiny_exports(tmp_path_factory):
    """A tiny customers classification export and a tiny diabetes regression export, trained once for the module.

    The customers model encodes a column of each kind: numbers, a boolean, a date, a free-text
    column (tf-idf) and a hashed category.
    """
    from pipelines.runner import run

    root = tmp_path_factory.mktemp("tabular_exports")
    exports, started = {}, time.perf_counter()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        for name in SPECS:
            extra = [  # every column kind: region read as free text, contract (3 values) hashed
                f"data.source.path={REPO / 'data' / 'samples' / 'customers.csv'}",
                "data.source.column_types.region=text",
                "model.head.encoding.hash_above=2", "model.head.encoding.hash_bins=4",
            ] if name == "customers" else []
            result = run(REPO / "pipelines" / "specs" / f"{name}.yaml", overrides=[
                *TINY_RUN, *extra, f"tracking.tracking_uri=sqlite:///{root}/mlflow.db",
                f"export.base_path={root}/models", f"training.work_dir={root}/work",
            ])
            assert result.export_path is not None, result.failed_gates
            if name == "customers":
                encoders = {type(layer).__name__: layer for layer in result.model.layers}
                assert {"ImputedNumeric", "BooleanFlag", "DatetimeParts", "TextVectorization"} <= set(encoders)
                assert encoders["CategoryOneHot"].hash_bins == 4
            exports[name] = result.export_path
    print(f"trained and exported {sorted(exports)} in {time.perf_counter() - started:.1f}s")
    return exports


def serve_of(export_path: Path):
    from serving.loading import load_export

    return load_export(export_path).signatures["serving_default"]


def answer(serve, batch: dict) -> dict[str, np.ndarray]:
    import tensorflow as tf

    return {k: v.numpy() for k, v in serve(**{k: tf.constant(v) for k, v in batch.items()}).items()}


def assert_probabilities(outputs: dict, rows: int, classes: int) -> None:
    probabilities = outputs["probabilities"]
    assert probabilities.shape == (rows, classes)
    assert np.isfinite(probabilities).all(), np.argwhere(~np.isfinite(probabilities))[:10]
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(outputs["class_ids"], probabilities.argmax(axis=1))
    assert outputs["class_names"].shape == (rows,)


@pytest.mark.slow
def test_export_answers_or_refuses_every_row(tiny_exports, tmp_path):
    import pandas as pd

    from serving.rows_client import column_mismatch, predict_rows, rows_request

    rng = random.Random(0)
    serve = serve_of(tiny_exports["customers"])
    inputs = serve.structured_input_signature[1]
    assert {spec.dtype.name for spec in inputs.values()} == {"float32", "string"}
    classes = serve.structured_outputs["probabilities"].shape[-1]

    # Random raw rows, as one batch and one by one (a row answers alike alone or in a batch).
    batch = random_rows(inputs, rng)
    outputs = answer(serve, batch)
    assert_probabilities(outputs, ROWS, classes)
    for row in range(ROWS):
        alone = answer(serve, {k: v[row:row + 1] for k, v in batch.items()})
        assert_probabilities(alone, 1, classes)
        np.testing.assert_allclose(alone["probabilities"][0], outputs["probabilities"][row], atol=1e-5,
                                   err_msg=f"row {row}: {({k: v[row] for k, v in batch.items()})}")
    every_cell_missing = {k: np.array([math.nan], "float32") if spec.dtype.name == "float32"
                          else np.array([""], object) for k, spec in inputs.items()}
    assert_probabilities(answer(serve, every_cell_missing), 1, classes)

    # Tables through rows_request: extra, missing and wrong-typed columns.
    names = sorted(inputs)
    numeric = [n for n in names if inputs[n].dtype.name == "float32"]
    text = [n for n in names if n not in numeric]
    frames = {
        "extra columns": pd.DataFrame({**{n: [random_cell(rng, n in numeric) for _ in range(20)] for n in names},
                                       "customer_id": range(20), "churned": ["yes"] * 20, "ünïcødé": ["✓"] * 20}),
        "missing columns": pd.DataFrame({n: [random_cell(rng, n in numeric) for _ in range(20)] for n in names[::2]}),
        "no input column at all": pd.DataFrame({"unrelated": [1, 2, 3]}),
        "wrong-typed cells": pd.DataFrame({
            **{n: ["abc", "", None, "12.5", "1e400", True, b"7", [1], {"a": 1}, pd.NaT] for n in numeric},
            **{n: [3, 2.5, None, math.nan, True, b"\xff\xfe", pd.Timestamp("2024-01-01"), -1e300, [1], pd.NA]
               for n in text},
        }),
        "numbers as strings": pd.DataFrame({n: ["1", "-2.5", " 3 ", "inf", "nan", "1,5"] for n in names}),
        "numbers beyond float32": pd.DataFrame({n: [1e300, -1e300, 1e39, -3.5e38, 2**200] for n in names}),
    }
    for what, frame in frames.items():
        request = rows_request(inputs, frame)
        assert set(request) == set(inputs), what
        for name in numeric:
            assert request[name].dtype == np.float32 and not np.isinf(request[name]).any(), (what, name)
        assert_probabilities(answer(serve, request), len(frame), classes)
    huge = rows_request(inputs, frames["numbers beyond float32"])[numeric[0]]
    assert np.isfinite(huge).all() and (np.abs(huge) > 1e38).all()  # huge, not missing
    with pytest.raises(ValueError, match="more than one column named"):
        rows_request(inputs, pd.DataFrame([[1.0, 2.0]], columns=[numeric[0], numeric[0]]))
    wrong = rows_request(inputs, frames["wrong-typed cells"])
    assert np.isnan(wrong[numeric[0]][[0, 1, 2, 4, 7, 8, 9]]).all()  # not a finite number -> NaN (missing)
    assert wrong[numeric[0]][3] == 12.5
    assert rows_request(inputs, frames["missing columns"])[names[1]].tolist() == (
        [""] * 20 if names[1] in text else pytest.approx([math.nan] * 20, nan_ok=True))

    # Through a CSV: notes name the extra and missing columns, and every row answers.
    csv_path = tmp_path / "rows.csv"
    frame = frames["extra columns"].drop(columns=names[:2])
    # Quoted: pandas writes a lone \r in a cell unquoted, which any reader takes for a line break.
    frame.to_csv(csv_path, index=False, quoting=csv.QUOTE_ALL)
    notes = []
    results = predict_rows(tiny_exports["customers"], csv_path, note=notes.append)
    missing, ignored = column_mismatch(inputs, frame.columns)
    assert set(missing) == set(names[:2]) and set(ignored) == {"customer_id", "churned", "ünïcødé"}
    assert len(notes) == 2 and all(n in notes[0] for n in missing) and all(c in notes[1] for c in ignored), notes
    assert len(results) == len(frame)
    assert all(0 <= r["probability"] <= 1 and math.isfinite(r["probability"]) for r in results)

    # Regression: finite predictions for every random row and table.
    serve = serve_of(tiny_exports["diabetes"])
    inputs = serve.structured_input_signature[1]
    tables = [pd.DataFrame({"unrelated": ["x"] * 5}),
              pd.DataFrame({n: [1e300, -1e300, "abc", None, True, "3e38", -3e38] for n in inputs})]
    for batch in (random_rows(inputs, rng), *(rows_request(inputs, table) for table in tables)):
        predictions = answer(serve, batch)["predictions"]
        assert predictions.shape[0] == len(next(iter(batch.values())))
        assert np.isfinite(predictions).all(), np.argwhere(~np.isfinite(predictions))[:10]
