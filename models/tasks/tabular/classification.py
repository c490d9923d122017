"""`tabular_classification`: the class of each row of a table (binary or multi-class).

Owns the target encoding (the target column's values become class ids, sorted
numerically when they are all integers), the softmax output, cross-entropy,
the held-out metrics (accuracy, macro precision/recall/F1, ROC AUC for two
classes), the baselines (majority class, logistic regression, gradient-boosted
trees on the same split), the plots (confusion matrix, permutation importance)
and the export: `serving_default` takes one input per raw column and returns
`probabilities`, `class_ids` and `class_names`.

Example (YAML):
    task: tabular_classification
    data: {source: {type: csv, path: data/samples/customers.csv, target_column: churned}}
    model: {backbone: {source: builtin, name: mlp, config: {units: [128, 128], residual: true, batch_norm: true}}}
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from models.tasks.base import Evaluation
from models.tasks.classes import ClassTask
from models.tasks.scores import macro_scores, majority_baseline
from models.tasks.tabular.task import TabularHead, TabularTask
from models.tasks.verdict import beat_baselines
from pipelines.options import Fraction
from pipelines.registry import tasks


class TabularClassificationHead(TabularHead):
    """A softmax over the classes of the target column."""

    label_smoothing: Fraction = Field(0.0, description="Label smoothing of the cross-entropy loss.")


@tasks.register("tabular_classification", TabularClassificationHead)
class TabularClassification(TabularTask, ClassTask):
    """Classify the rows of a table (raw-columns-in TF Serving export, tree and linear baselines)."""

    def read_targets(self, examples):
        """Target values -> class ids, class names in sorted order."""
        import dataclasses

        from data.labels import class_ids

        examples = super().read_targets(examples)
        if examples.kind != "columns" or examples.class_names:
            return examples
        keys = [_key(value) for value in examples.labels]
        names, id_of = class_ids(keys)
        return dataclasses.replace(examples, labels=np.array([id_of(k) for k in keys], "int64"), class_names=names)

    def check(self, examples) -> None:
        """A table whose target has at least two classes."""
        super().check(examples)
        if examples.num_classes < 2:
            raise ValueError(f"task tabular_classification needs at least 2 classes in the target column, "
                             f"got {examples.class_names}")

    def prepare(self, examples, train) -> None:
        ClassTask.prepare(self, examples, train)
        TabularTask.prepare(self, examples, train)

    def targets(self):
        """Raw columns and one-hot class ids."""
        import tensorflow as tf

        return lambda columns, label: (columns, tf.one_hot(label, self.num_classes))

    def output_layer(self, x):
        import keras

        return keras.layers.Dense(self.num_classes, activation="softmax", dtype="float32", name="probabilities")(x)

    def compile_options(self) -> dict:
        """Categorical cross-entropy ('auto', with the head's label smoothing) and accuracy."""
        import keras

        loss = self.spec.training.loss
        if loss == "auto":
            loss = keras.losses.CategoricalCrossentropy(label_smoothing=self.head.label_smoothing)
        return {"loss": loss, "metrics": self.keras_metrics()}

    # Evaluation -------------------------------------------------------------------------------

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """Held-out metrics next to the majority, linear and tree baselines; confusion matrix and importance;
        the class weights and collapse verdicts (`diagnose`)."""
        from models import plots

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        probabilities = self.predict(model, held_out.inputs)
        y_true, y_pred = held_out.labels, probabilities.argmax(-1)
        metrics["test_accuracy"] = accuracy = float(np.mean(y_true == y_pred))
        metrics.update(macro_scores(y_true, y_pred))
        if self.num_classes == 2 and len(np.unique(y_true)) == 2:
            from sklearn.metrics import roc_auc_score

            metrics["test_roc_auc"] = float(roc_auc_score(y_true, probabilities[:, 1]))
        metrics.update(majority_baseline(train.labels, y_true, accuracy))
        baselines = {"majority class": metrics["test_majority_baseline_accuracy"]}
        for name, predicted in self.baselines(train, held_out, classification=True).items():
            baselines[name] = metrics[f"test_{name}_baseline_accuracy"] = float(np.mean(y_true == predicted))
        metrics["test_accuracy_over_tree_baseline"] = accuracy - baselines["tree"]
        verdicts = beat_baselines("accuracy", accuracy, baselines, higher_is_better=True)
        figures, table = self.importance(
            lambda columns: float(np.mean(self.predict(model, columns).argmax(-1) == y_true)), held_out, "accuracy")
        figures["confusion_matrix.png"] = plots.confusion_matrix(y_true, y_pred, self.class_names)
        evaluation = Evaluation(metrics, figures, {"feature_importance.csv": table}, verdicts)
        return evaluation.update(self.diagnose(y_true, y_pred, train.labels))

    def data_figures(self, datasets, examples) -> dict:
        """How many rows each class has (whole source)."""
        from models import plots

        counts = np.bincount(examples.labels, minlength=examples.num_classes)
        return {"label_counts.png": plots.bar_chart(
            {name: float(count) for name, count in zip(examples.class_names, counts)}, "Rows per class", "rows")}

    # Export -----------------------------------------------------------------------------------

    def outputs(self, probabilities) -> dict:
        """`probabilities`, `class_ids` and `class_names` of each row."""
        import tensorflow as tf

        class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {"probabilities": probabilities, "class_ids": class_ids,
                "class_names": tf.gather(tf.constant(self.class_names), class_ids)}


def _key(value):
    """A target cell as a class key: whole floats read as integers (1.0 -> 1), the rest as text."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return str(value)
