"""The exported SavedModel as an MLflow pyfunc model: raw inputs in, the export's outputs out.

`ExportModel` wraps one export version (the folder TF Serving serves) so that
`mlflow models serve -m runs:/<run_id>/servable --env-manager local` and
`mlflow.pyfunc.load_model(...)` answer PNG bytes, strings or table columns
exactly as TF Serving does: `predict` calls the export's `serving_default`.

Inputs are a pandas DataFrame (or a dict of columns) whose columns are the
signature's input names, one row per example. Binary inputs (encoded images)
are declared `binary` in the MLflow signature, so the scoring server
base64-decodes them from `dataframe_split` / `dataframe_records` requests;
`instances` / `inputs` requests leave binary values undecoded, so send images
as `dataframe_split`. Strings and numbers work in every format. Outputs are a
DataFrame with one row per example and one column per output of
`serving_default` (strings decoded as UTF-8, per-example arrays as lists).

Example:
    >>> body = {"dataframe_split": {"columns": ["image_bytes"], "data": [[base64_png]]}}   # doctest: +SKIP
    >>> requests.post("http://127.0.0.1:5000/invocations", json=body).json()               # doctest: +SKIP
    {'predictions': [{'class_ids': 3, 'class_names': '3', 'probabilities': [...]}]}
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import mlflow.pyfunc

from serving.loading import load_export

ARTIFACT = "export"
"""The key (and artifact folder) of the SavedModel in the logged model's artifacts."""

SIGNATURE = "serving_default"


def _signature_inputs(function) -> dict:
    """{input name: tf.TensorSpec} of a concrete signature function."""
    return dict(function.structured_input_signature[1])


def _column(values, spec):
    """One input column as the numpy batch `serving_default` takes."""
    import numpy as np
    import tensorflow as tf

    values = values.tolist() if hasattr(values, "tolist") else list(values)
    if not isinstance(values, list):  # a scalar: one example
        values = [values]
    if spec.dtype == tf.string:
        return np.array([v if isinstance(v, bytes) else str(v).encode("utf-8") for v in values], dtype=object)
    return np.asarray(values, dtype=spec.dtype.as_numpy_dtype)


def _rows(outputs: dict) -> "pandas.DataFrame":  # noqa: F821
    """`serving_default`'s outputs (name -> batch array) as a DataFrame, one row per example."""
    import pandas as pd

    def value(item):
        if isinstance(item, bytes):
            return item.decode("utf-8", errors="replace")
        if hasattr(item, "tolist"):
            item = item.tolist()
        if isinstance(item, list):
            return [value(x) for x in item]
        return item

    return pd.DataFrame({name: [value(item) for item in array] for name, array in sorted(outputs.items())})


def predict_with(function, model_input) -> "pandas.DataFrame":  # noqa: F821
    """Call a `serving_default` function on a DataFrame or dict of columns; a DataFrame of its outputs."""
    import tensorflow as tf

    specs = _signature_inputs(function)
    columns = {name: model_input[name] for name in model_input}  # DataFrame columns or dict keys
    missing = sorted(set(specs) - set(columns))
    if missing:
        raise ValueError(f"missing inputs {missing}; {SIGNATURE} takes {sorted(specs)}")
    inputs = {name: tf.constant(_column(columns[name], spec)) for name, spec in specs.items()}
    return _rows({name: tensor.numpy() for name, tensor in function(**inputs).items()})


class ExportModel(mlflow.pyfunc.PythonModel):
    """An export version (SavedModel) served through its `serving_default` signature."""

    def load_context(self, context) -> None:
        self._loaded = load_export(context.artifacts[ARTIFACT])  # kept alive: the signature needs it
        self._serve = self._loaded.signatures[SIGNATURE]

    def predict(self, context, model_input, params=None):
        return predict_with(self._serve, model_input)


def warmup_example(export_dir: str | os.PathLike) -> "pandas.DataFrame":  # noqa: F821
    """The first warmup request of `export_dir` as a DataFrame of raw inputs (the input example)."""
    import pandas as pd
    import tensorflow as tf

    from serving.warmup import read_warmup

    request = read_warmup(export_dir)[0].predict_log.request
    columns = {}
    for name, proto in sorted(request.inputs.items()):
        array = tf.make_ndarray(proto)
        columns[name] = [v.decode("utf-8") if isinstance(v, bytes) and _is_text(v) else v for v in array.tolist()]
    return pd.DataFrame(columns)


def _is_text(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def servable_parts(export_dir: str | os.PathLike, code_dir: str | os.PathLike) -> dict:
    """The keyword arguments of `mlflow.pyfunc.log_model` for the export in `export_dir`.

    The signature's inputs are the warmup request's (text: `string`, encoded images:
    `binary`), its outputs what `serving_default` answers to them; the input example is
    that request. `code_dir` (an empty folder) receives a copy of this package's modules,
    logged as the model's code so it loads wherever TensorFlow (and TensorFlow Text) is.
    """
    from mlflow.models import infer_signature

    export_dir = Path(export_dir)
    example = warmup_example(export_dir)
    loaded = load_export(export_dir)
    output = predict_with(loaded.signatures[SIGNATURE], example)
    package = Path(code_dir) / "serving"
    package.mkdir(parents=True, exist_ok=True)
    for module in Path(__file__).parent.glob("*.py"):
        shutil.copy2(module, package / module.name)
    return {
        "python_model": ExportModel(),
        "artifacts": {ARTIFACT: str(export_dir)},
        "code_paths": [str(package)],
        "signature": infer_signature(example, output),
        "input_example": example,
    }
