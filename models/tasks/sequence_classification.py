"""`sequence_classification`: one label per series (univariate or multivariate, of any length up to the longest).

Owns the head (dense layers, dropout and a softmax on the backbone's pooled
features), the loss (categorical cross-entropy with the head's label
smoothing), the metrics and verdicts every classifier has (macro scores, the
majority baseline, collapse), the plots (a few training series per class, the
confusion matrix) and the export:

- `serving_default(series: float32 [batch, steps, values])` returns
  `probabilities`, `class_ids` and `class_names`; `steps` is the longest
  training series, and a shorter series is padded with NaN after its end (the
  padding every time-series backbone masks; `kpipe predict --series` pads);
  another shape is an InvalidArgument error saying what the input must be.

Example (YAML):
    task: sequence_classification
    data: {source: {type: series_rows, path: shapes.csv, series_columns: [values], label_column: label}}
    model: {backbone: {source: builtin, name: resnet1d}}
"""

from __future__ import annotations

import numpy as np

from models.tasks.base import Evaluation
from models.tasks.classes import ClassTask
from models.tasks.heads import PooledHead
from pipelines.registry import tasks

SHOWN_PER_CLASS = 3
"""The data figure draws this many training series of each class."""


@tasks.register("sequence_classification", PooledHead)
class SequenceClassification(ClassTask):
    """Classify whole series (FCN, ResNet1D, InceptionTime, recurrent or patch backbones; series-in export)."""

    input_name = "series"

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives one series per example, in at least two classes."""
        if examples.kind != "sequences":
            raise ValueError(f"task sequence_classification needs one series per example (a series_rows or numpy "
                             f"source); data.source gives {examples.kind}")
        if examples.num_classes < 2:
            raise ValueError(f"task sequence_classification needs at least 2 classes, got {examples.class_names}")

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """Backbone (pooled features) + hidden dense layers + dropout + softmax."""
        import keras

        inputs = keras.Input(input_shape, name="series")
        return keras.Model(inputs, self.softmax_head(backbone(inputs)), name=self.spec.name.replace("-", "_"))

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
