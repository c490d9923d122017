"""`tabular_regression`: a number for each row of a table, in the target's own units.

Owns the target encoding (the target column as float32), the target
standardisation (mean and standard deviation of the training split; the model
ends in a layer that undoes it, so predictions, metrics and the export are in
the target's units, while the loss compares standardized values), the losses
(mse, huber, mae), the held-out metrics (MAE, RMSE, R^2, MAPE), the baselines
(training mean, ridge regression, gradient-boosted trees on the same split), the
plots (predicted vs actual, residuals, permutation importance) and the export:
`serving_default` takes one input per raw column and returns `predictions`.

Example (YAML):
    task: tabular_regression
    data: {source: {type: sklearn, name: diabetes}}
    model: {backbone: {source: builtin, name: mlp, config: {units: [128, 128], residual: true, batch_norm: true}}}
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from models.tasks.base import Evaluation
from models.tasks.tabular.task import TabularHead, TabularTask
from models.tasks.verdict import beat_baselines
from pipelines.registry import tasks

LOSSES = ("mse", "huber", "mae")


class TabularRegressionHead(TabularHead):
    """A single output in the target's units."""

    standardize_target: bool = Field(
        True, description="Train on the target standardized with the training split's mean and deviation "
                          "(undone inside the model, so answers are in the target's units)."
    )


@tasks.register("tabular_regression", TabularRegressionHead)
class TabularRegression(TabularTask):
    """Predict a number for the rows of a table (raw-columns-in TF Serving export, tree and linear baselines)."""

    metric = "mae"
    direction = "min"

    def read_targets(self, examples):
        """The target column as float32; a value that is not a number is an error naming it."""
        import dataclasses

        examples = super().read_targets(examples)
        if examples.kind != "columns":
            return examples
        values = np.empty(len(examples.labels), "float32")
        for index, value in enumerate(examples.labels):
            try:
                values[index] = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"task tabular_regression needs a numeric target; {examples.origin} has "
                                 f"{value!r} in the target column (example {index + 1})") from None
        if not np.all(np.isfinite(values)):
            raise ValueError(f"task tabular_regression needs finite targets; {examples.origin} has "
                             f"{values[~np.isfinite(values)][0]} in the target column")
        return dataclasses.replace(examples, labels=values)

    @classmethod
    def check_spec(cls, spec) -> None:
        """A loss this task knows, and no class weights."""
        super().check_spec(spec)
        if spec.training.loss not in ("auto", *LOSSES):
            raise ValueError(f"training.loss: tabular_regression takes auto (mse), {', '.join(LOSSES)}; "
                             f"got {spec.training.loss!r}")

    def prepare(self, examples, train) -> None:
        """Adapt the FeatureSpace and fit the target's mean and deviation, on the training split."""
        super().prepare(examples, train)
        labels = np.asarray(train.labels, "float64")
        self.mean, self.std = float(labels.mean()), float(labels.std()) or 1.0
        if not self.head.standardize_target:
            self.mean, self.std = 0.0, 1.0

    def targets(self):
        """Raw columns and the target as a [1] float32 vector."""
        import tensorflow as tf

        return lambda columns, value: (columns, tf.reshape(tf.cast(value, tf.float32), [1]))

    def output_layer(self, x):
        import keras

        z = keras.layers.Dense(1, dtype="float32", name="standardized")(x)
        return keras.layers.Rescaling(self.std, offset=self.mean, dtype="float32", name="predictions")(z)

    def compile_options(self) -> dict:
        """The loss on standardized values, MAE and RMSE in the target's units."""
        import keras

        from models.tasks.tabular.losses import StandardizedLoss

        name = "mse" if self.spec.training.loss == "auto" else self.spec.training.loss
        metrics = self.spec.training.metrics
        if metrics is None:
            metrics = ["mae", keras.metrics.RootMeanSquaredError(name="rmse")]
        return {"loss": StandardizedLoss(name, self.mean, self.std), "metrics": metrics}

    # Evaluation -------------------------------------------------------------------------------

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """Held-out errors next to the mean, linear and tree baselines; predicted-vs-actual, residuals, importance;
        a collapse verdict when the predictions barely vary or do no better than the training mean."""
        from models.tasks.collapse import regression_collapse
        from models.tasks.tabular import plots
        from models.tasks.tabular.errors import regression_errors

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        truth = np.asarray(held_out.labels, "float64")
        predicted = self.predict(model, held_out.inputs)[:, 0].astype("float64")
        metrics.update(regression_errors(truth, predicted, prefix="test_"))
        baselines = {"training mean": float(np.mean(np.abs(truth - np.mean(train.labels))))}
        for name, guessed in self.baselines(train, held_out, classification=False).items():
            baselines[name] = float(np.mean(np.abs(truth - guessed)))
        metrics["test_mean_baseline_mae"] = baselines["training mean"]
        metrics["test_linear_baseline_mae"] = baselines["linear"]
        metrics["test_tree_baseline_mae"] = baselines["tree"]
        metrics["test_mae_over_tree_baseline"] = metrics["test_mae"] - baselines["tree"]
        verdicts = beat_baselines("MAE", metrics["test_mae"], baselines, higher_is_better=False)
        figures, table = self.importance(
            lambda columns: -float(np.mean(np.abs(self.predict(model, columns)[:, 0] - truth))), held_out, "MAE")
        figures["predicted_vs_actual.png"] = plots.predicted_vs_actual(truth, predicted)
        figures["residuals.png"] = plots.residuals(truth, predicted)
        evaluation = Evaluation(metrics, figures, {"feature_importance.csv": table}, verdicts)
        return evaluation.update(self.collapse_report(regression_collapse(truth, predicted, train.labels)))

    def collapse_causes(self) -> list[str]:
        """The learning rate and epochs, and an unstandardized target."""
        causes = super().collapse_causes()
        if not self.head.standardize_target:
            causes.append("a target far from unit scale: set model.head.standardize_target: true")
        return causes

    # Export -----------------------------------------------------------------------------------

    def outputs(self, predictions) -> dict:
        """`predictions` [batch] in the target's units."""
        import tensorflow as tf

        return {"predictions": tf.reshape(predictions, [-1])}

    def parity(self, served: dict, reference: np.ndarray) -> dict[str, float]:
        """Largest absolute and relative difference between the export's predictions and the Keras model's."""
        predicted, expected = np.asarray(served["predictions"], "float64"), np.asarray(reference, "float64")[:, 0]
        difference = np.abs(predicted - expected)
        return {"export_parity_max_abs_diff": float(difference.max()),
                "export_parity_max_rel_diff": float((difference / np.maximum(np.abs(expected), 1.0)).max())}

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """Every prediction within `tolerance`, relative to its size (absolute below 1)."""
        return parity["export_parity_max_rel_diff"] <= tolerance
