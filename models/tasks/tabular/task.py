"""What tabular classification and regression share: raw columns in, a FeatureSpace, baselines, importance.

The model takes one input per raw column (float32 numbers, strings for the
rest) and encodes them itself with a Keras `FeatureSpace` adapted on the
training split only (`data.tabular.layers`), so the export takes raw rows and
TF Serving's row format works unchanged:
`{"instances": [{"Horsepower": 130, "Origin": "USA"}]}`. A missing number is
sent as NaN, a missing category or date as "" (an unseen category answers
through the out-of-vocabulary slot; it never errors).

Example (YAML):
    task: tabular_regression
    data: {source: {type: csv, path: cars.csv, target_column: mpg}}
    model: {backbone: {source: builtin, name: mlp, config: {units: [128, 128], residual: true}}}
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from models.tasks.base import Task
from models.tasks.heads import DenseHead
from pipelines.options import NonNegativeInt, Options, PositiveInt

CHUNK = 2048
"""Rows the model answers at once when it predicts a whole split."""


class EncodingOptions(Options):
    """How raw columns become features inside the model (Keras FeatureSpace)."""

    hash_above: PositiveInt = Field(
        200, description="A categorical column with more distinct training values than this is hashed."
    )
    hash_bins: PositiveInt = Field(64, description="Hash bins of a hashed categorical column.")
    text_max_tokens: PositiveInt = Field(1000, description="Vocabulary of a free-text column (tf-idf).")
    numeric_bins: NonNegativeInt = Field(
        0, le=256, description="Piecewise-linear encoding of each numeric column over this many quantile bins "
                               "(0: the standardized value alone), which lets the network cut at thresholds as trees do."
    )


class TabularHead(DenseHead):
    """Layers between a tabular backbone and the output, and how columns are encoded."""

    encoding: EncodingOptions = Field(default_factory=EncodingOptions)


class TabularTask(Task):
    """Shared by `tabular_classification` and `tabular_regression`; subclasses own targets and outputs."""

    input_name = None
    task_name = "tabular"
    backends = ("tensorflow",)
    backend_notes = {"jax": "its model takes raw table columns, strings included, and encodes them itself with a "
                            "Keras FeatureSpace; JAX arrays hold no strings"}

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives a table (columns and a target), with no stages."""
        if examples.kind != "columns":
            raise ValueError(
                f"task {self.spec.task} needs a table: a csv or parquet source with target_column, or an sklearn "
                f"table; data.source gives {examples.kind} examples"
            )
        if self.spec.stages:
            raise ValueError(f"stages: task {self.spec.task} encodes its columns inside the model; remove `stages`")

    def read_targets(self, examples):
        """The examples with columns renamed to their serving names (the export's input names)."""
        import dataclasses

        from data.tabular.columns import serving_names

        if examples.kind != "columns":
            return examples
        names = serving_names(list(examples.columns))
        return dataclasses.replace(
            examples, inputs={names[c]: v for c, v in examples.inputs.items()},
            columns={names[c]: kind for c, kind in examples.columns.items()},
        )

    def prepare(self, examples, train) -> None:
        """Adapt the FeatureSpace on the training split's columns only."""
        from data.tabular.feature_space import adapt_feature_space, build_feature_space

        encoding = self.head.encoding
        self.types = dict(examples.columns)
        self.feature_space = build_feature_space(
            self.types, train.inputs, hash_above=encoding.hash_above, hash_bins=encoding.hash_bins,
            text_max_tokens=encoding.text_max_tokens, numeric_bins=encoding.numeric_bins,
        )
        adapt_feature_space(self.feature_space, train.inputs)
        self.example_columns = train.inputs

    def backbone_input_shape(self, input_shape) -> dict[str, tuple[int, ...]]:
        """Each column's encoded width: the backbone gets one feature vector per column."""
        encoded = self.feature_space(_first_rows(self.example_columns))
        return {name: tuple(value.shape[1:]) for name, value in encoded.items()}

    # Model ------------------------------------------------------------------------------------

    def raw_inputs(self) -> dict:
        """One `keras.Input` per raw column: float32 numbers, strings for the other types."""
        import keras

        return {name: keras.Input(shape=(), dtype="float32" if kind == "numeric" else "string", name=name)
                for name, kind in self.types.items()}

    def build_model(self, backbone, input_shape):
        """Raw columns -> FeatureSpace -> backbone -> hidden dense layers -> dropout -> the task's output."""
        import keras

        inputs = self.raw_inputs()
        x = backbone(self.feature_space(inputs))
        for index, units in enumerate(self.head.hidden_units):
            x = keras.layers.Dense(units, activation="relu", name=f"head_dense{index}")(x)
        if self.head.dropout:
            x = keras.layers.Dropout(self.head.dropout, name="head_dropout")(x)
        return keras.Model(inputs, self.output_layer(x), name=self.spec.name.replace("-", "_"))

    def predict(self, model, columns: dict[str, np.ndarray]) -> np.ndarray:
        """The model's raw outputs for whole columns, answered in chunks."""
        import tensorflow as tf

        count = len(next(iter(columns.values())))
        outputs = [np.asarray(model({k: tf.constant(v[i:i + CHUNK]) for k, v in columns.items()}, training=False))
                   for i in range(0, count, CHUNK)]
        return np.concatenate(outputs)

    # Evaluation -------------------------------------------------------------------------------

    def baselines(self, train, held_out, *, classification: bool) -> dict[str, np.ndarray]:
        """Held-out predictions of the linear and gradient-boosted-tree baselines fitted on the training split."""
        from models.tasks.tabular.baselines import fit_baselines, predict_baselines

        fitted, categories = fit_baselines(train.inputs, train.labels, self.types,
                                           classification=classification, seed=self.spec.seed)
        return predict_baselines(fitted, categories, held_out.inputs, self.types)

    def importance(self, score, held_out, what: str) -> tuple[dict, str]:
        """Permutation importance on the held-out split: the bar chart and the CSV table."""
        from models import plots
        from models.tasks.tabular.importance import importance_table, permutation_importance

        drops = permutation_importance(score, held_out.inputs, seed=self.spec.seed)
        shown = dict(list(drops.items())[:30])
        figure = plots.bar_chart(shown, f"Permutation importance (held-out {what} drop)", f"{what} drop")
        return {"feature_importance.png": figure}, importance_table(drops, what)

    # Export -----------------------------------------------------------------------------------

    def input_signature(self) -> dict:
        """One named [batch] input per raw column, as TF Serving's row format sends them."""
        import tensorflow as tf

        return {name: tf.TensorSpec([None], tf.float32 if kind == "numeric" else tf.string, name=name)
                for name, kind in self.types.items()}

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """Objects to track and the raw-columns-in `serving_default` endpoint."""

        def serve(columns):
            return self.outputs(model(columns, training=False))

        return [model], {"serving_default": (serve, [self.input_signature()])}

    def serving_requests(self, examples, indices) -> list[dict[str, np.ndarray]]:
        """One `serving_default` request per row: each column's raw value (NaN or "" where missing)."""
        requests = []
        for i in indices:
            requests.append({name: _cell(examples.inputs[name][i], kind) for name, kind in self.types.items()})
        return requests

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict --rows` with a one-row CSV of the request's raw values."""
        import csv
        from pathlib import Path

        path = Path(folder) / "rows.csv"
        with path.open("w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows([list(request), [_text(values[0]) for values in request.values()]])
        return ["--rows", str(path)]

    def reference(self, model, datasets, requests) -> np.ndarray:
        """What the in-memory Keras model gives for the same rows."""
        return self.predict(model, {name: np.concatenate([r[name] for r in requests]) for name in self.types})


def _cell(value, kind: str) -> np.ndarray:
    if kind == "numeric":
        return np.array([value], dtype="float32")
    return np.array([str(value).encode("utf-8")], dtype=object)


def _text(value) -> str:
    """A request's raw value as a CSV cell: NaN and "" stay empty."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return "" if np.isnan(value) else repr(float(value))


def _first_rows(columns: dict[str, np.ndarray], count: int = 2) -> dict:
    import tensorflow as tf

    return {name: tf.constant(values[:count]) for name, values in columns.items()}
