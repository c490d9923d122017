"""`sequence_classification`: one label per series (univariate or multivariate, of any length up to the longest).

Owns the head (each series z-normalized, then the backbone's pooled features,
dense layers, dropout and a softmax), the loss (categorical cross-entropy with
the head's label smoothing), the metrics and verdicts every classifier has (macro scores, the
majority baseline, collapse), the plots (a few training series per class, the
confusion matrix) and the export:

- `serving_default(series: float32 [batch, steps, values])` returns
  `probabilities`, `class_ids` and `class_names`; `steps` is the longest
  training series, and a shorter series is padded with NaN after its end (the
  padding every time-series backbone masks; `kpipe predict --series` pads);
  another shape is an InvalidArgument error saying what the input must be.

Each series is z-normalized inside the model by default (`model.head.standardize:
series`: every value over the series' own real steps, as the UCR archive gives
its series), so series of any level and scale look alike to the backbone and a
client sends raw values; set `standardize: none` where a series' level or scale
tells its class.

When the source assigns train and test but no validation examples (the `ucr`
archive's TRAIN/TEST split), `data.split.validation` is carved from the
training examples: that share of them, stratified by class, seeded (0, as
`pipelines/specs/series_shapes.yaml` sets it: train on all of them).
`training.epochs: auto` is about `AUTO_STEPS` steps: a small set gets many
epochs.

Example (YAML):
    task: sequence_classification
    data: {source: {type: series_rows, path: shapes.csv, series_columns: [values], label_column: label}}
    model: {backbone: {source: builtin, name: resnet1d}}
    # data: {source: {type: ucr, path: data/ucr/GunPoint}}     # GunPoint_TRAIN.ts, GunPoint_TEST.ts
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from models.tasks.base import Choice, Evaluation
from models.tasks.classes import ClassTask
from models.tasks.heads import PooledHead
from pipelines.registry import tasks

AUTO_STEPS = 3000
"""`training.epochs: auto` trains about this many steps, in `AUTO_EPOCHS` epochs at least and at most."""
AUTO_EPOCHS = (20, 300)
SHOWN_PER_CLASS = 3
"""The data figure draws this many training series of each class."""
EPSILON = 1e-6
"""Added to a series' deviation, so a flat series standardizes to zeros rather than NaN."""


class SequenceHead(PooledHead):
    """A classifier over the pooled features of each series, z-normalized first."""

    standardize: Literal["series", "none"] = Field(
        "series", description="series: z-normalize each value of a series over its own real steps inside the model "
                              "(level and scale do not matter); none: the values as given."
    )


@tasks.register("sequence_classification", SequenceHead)
class SequenceClassification(ClassTask):
    """Classify whole series (FCN, ResNet1D, InceptionTime, recurrent or patch backbones; series-in export)."""

    input_name = "series"

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives one series per example, in at least two classes."""
        if examples.kind != "sequences":
            raise ValueError(f"task sequence_classification needs one series per example (a series_rows, ucr or "
                             f"numpy source); data.source gives {examples.kind}")
        if examples.num_classes < 2:
            raise ValueError(f"task sequence_classification needs at least 2 classes, got {examples.class_names}")

    def split(self, examples, seed: int) -> tuple:
        """`data.split`, or the source's assigned split; a training part with no validation gives it a share.

        Where the source assigns train and test only (the `ucr` archive), the
        `data.split.validation` share of the training examples becomes the
        validation part (stratified when every class has two examples, seeded).
        """
        import dataclasses

        from data.split import split_examples

        train, validation, test = super().split(examples, seed)
        share = self.spec.data.split.validation
        if examples.assigned_split is None or validation.size or not share or train.size < 2:
            return train, validation, test
        pooled = dataclasses.replace(train, assigned_split=None)
        stratify = self.spec.data.split.stratify and np.unique(train.labels, return_counts=True)[1].min() >= 2
        try:
            train, validation, _ = split_examples(pooled, share, 0.0, seed=seed, stratify=stratify)
        except ValueError:  # fewer validation examples than classes: carve at random
            train, validation, _ = split_examples(pooled, share, 0.0, seed=seed, stratify=False)
        return train, validation, test

    def choose(self, train) -> list[Choice]:
        """`training.epochs: auto`: about `AUTO_STEPS` steps, between `AUTO_EPOCHS` (a small set needs many epochs)."""
        if self.spec.training.epochs != "auto":
            return []
        steps = max(1, math.ceil(train.size / self.spec.data.batch_size))
        epochs = min(max(math.ceil(AUTO_STEPS / steps), AUTO_EPOCHS[0]), AUTO_EPOCHS[1])
        return [Choice("training.epochs", epochs, f"about {AUTO_STEPS} steps of {steps} per epoch "
                                                  f"({train.size} training series), within {AUTO_EPOCHS[0]} to "
                                                  f"{AUTO_EPOCHS[1]} epochs")]

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """Series z-normalization (`head.standardize`) + backbone (pooled features) + dense layers + softmax."""
        import keras

        inputs = keras.Input(input_shape, name="series")
        series = standardized(inputs) if getattr(self.head, "standardize", "none") == "series" else inputs
        return keras.Model(inputs, self.softmax_head(backbone(series)), name=self.spec.name.replace("-", "_"))

    # Evaluation -------------------------------------------------------------------------------

    def evaluate(self, model, dataset, train, held_out):
        """Held-out metrics, macro scores, the majority baseline, the confusion matrix and the collapse check."""
        from models import plots
        from models.tasks.scores import macro_scores, majority_baseline

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        y_true = np.asarray(held_out.labels)
        y_pred = np.argmax(model.predict(held_out.inputs, batch_size=256, verbose=0), axis=-1)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        metrics.update(macro_scores(y_true, y_pred))
        metrics.update(majority_baseline(train.labels, y_true, float(np.mean(y_true == y_pred))))
        figures = {"confusion_matrix.png": plots.confusion_matrix(y_true, y_pred, self.class_names)}
        return Evaluation(metrics, figures).update(self.diagnose(y_true, y_pred, train.labels))

    def data_figures(self, datasets, examples) -> dict:
        """A few training series of each class (their first value), as the source gave them."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, self.num_classes, figsize=(3.2 * self.num_classes, 2.6), squeeze=False)
        for label, ax in enumerate(axes[0]):
            for index in np.flatnonzero(examples.labels == label)[:SHOWN_PER_CLASS]:
                ax.plot(examples.inputs[index, :, 0], linewidth=1)
            ax.set_title(self.class_names[label])
            ax.grid(alpha=0.3)
        fig.suptitle("Training series by class")
        fig.tight_layout()
        return {"series_by_class.png": fig}

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`serving_default(series)` -> probabilities, class ids and names."""
        import tensorflow as tf

        names = tf.constant(self.class_names)
        steps, values = datasets.model_input_shape
        shape = f"series must be [batch, {steps} steps (NaN after a shorter series' end), {values} values per step]"

        def serve(series):
            with tf.control_dependencies([tf.debugging.assert_equal(tf.shape(series)[1:], [steps, values],
                                                                    message=shape)]):
                probabilities = model(tf.identity(series), training=False)
            class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
            return {"probabilities": probabilities, "class_ids": class_ids, "class_names": tf.gather(names, class_ids)}

        spec = [tf.TensorSpec([None, *datasets.model_input_shape], tf.float32, name=self.input_name)]
        return [model], {"serving_default": (serve, spec)}

    def serving_requests(self, examples, indices) -> list[dict]:
        """One request per example: its series [1, steps, values] (NaN after its end)."""
        return [{self.input_name: np.asarray(examples.inputs[i:i + 1], "float32")} for i in indices]

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict --series` with a CSV of the request's series (its padding left out)."""
        from models.tasks.series_csv import write_series_csv

        series = request[self.input_name][0]
        kept = series[~np.all(np.isnan(series), axis=-1)]
        return ["--series", str(write_series_csv(kept, [f"value_{i}" for i in range(series.shape[1])], folder))]

    def reference(self, model, datasets, requests) -> np.ndarray:
        """The Keras model's probabilities for the same series."""
        return np.asarray(model(np.concatenate([r[self.input_name] for r in requests]), training=False))


def standardized(series):
    """Each value of each series [batch, steps, values] less its mean over the real steps, over its deviation.

    NaN (padding, a missing value) stays NaN, so the backbone still sees where a series ends.

    Example:
        >>> x = np.array([[[1.0], [3.0], [np.nan]]], "float32")
        >>> np.asarray(standardized(x))[0, :, 0].round(3).tolist()
        [-1.0, 1.0, nan]
    """
    from keras import ops

    missing = ops.isnan(series)
    present = ops.cast(ops.logical_not(missing), series.dtype)
    values = ops.where(missing, ops.zeros_like(series), series)
    count = ops.maximum(ops.sum(present, axis=1, keepdims=True), 1.0)
    mean = ops.sum(values, axis=1, keepdims=True) / count
    variance = ops.sum(ops.square(values - mean) * present, axis=1, keepdims=True) / count
    scaled = (values - mean) / ops.sqrt(variance + EPSILON)
    return ops.where(missing, series, scaled)
