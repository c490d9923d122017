"""`ClassTask`: what every task whose targets are class (or tag) ids shares.

Class-labelled tasks keep the source's class names, stratify the split, accept
`training.class_weight`, report accuracy by default, and check an export by
comparing its `probabilities` with the Keras model's: the largest absolute
difference, and whether the argmax (the answer a user sees) agrees.

Imbalance can be handled for you: `training.class_weight: auto` (the default of
text classification, `default_class_weight`) weighs classes
"balanced" when the training split's largest class has more than
`IMBALANCE_FACTOR` times the examples of its smallest; then the model also
tracks macro-F1 (`f1_macro`), and early stopping and checkpoints watch
`val_f1_macro` unless the spec names a monitor, since accuracy rewards
answering the large class. After evaluation, `diagnose` says which weights
were used and whether the held-out predictions collapsed
(`models.tasks.collapse`).

Example:
    >>> ClassTask.metric, ClassTask.direction, ClassTask.stratify
    ('accuracy', 'max', True)
    >>> import numpy as np
    >>> ClassTask.parity(None, {"probabilities": np.array([[0.2, 0.8]])}, np.array([[0.3, 0.7]]))
    {'export_parity_max_abs_diff': 0.10000000000000009, 'export_parity_class_agreement': 1.0}
"""

from __future__ import annotations

import json

import numpy as np

from models.tasks.base import Evaluation, Task

IMBALANCE_FACTOR = 3.0
"""`class_weight: auto` weighs classes when the largest training class has more than this many times the smallest's examples."""


class ClassTask(Task):
    """Targets are class ids (or multi-hot rows, or per-token tag ids) named by `class_names`.

    Attributes:
        default_class_weight: `training.class_weight` when the spec leaves it unset.
        auto_weighted: Set by `class_weight`: `auto` turned balanced weights on,
            so the model tracks `f1_macro` and callbacks watch `val_f1_macro`.
        weights_used: Set by `class_weight`: the weights `fit` got (None: none),
            and `weights_note`, the summary's line about them.
    """

    metric = "accuracy"
    direction = "max"
    stratify = True
    weighs_classes = True
    default_metrics = ("accuracy",)
    default_class_weight = "none"
    auto_weighted = False
    weights_used: dict[int, float] | None = None
    weights_note: str | None = None

    def prepare(self, examples, train) -> None:
        """Keep the class names and the shape of one example."""
        self.class_names = list(examples.class_names)
        self.num_classes = len(self.class_names)
        self.input_shape = examples.input_shape

    def class_weight(self, train) -> dict[int, float] | None:
        """`training.class_weight` resolved on the training labels: auto, balanced, none, or as given.

        `auto` is balanced when the largest class has more than `IMBALANCE_FACTOR`
        times the examples of the smallest (one label per example only), else none.

        Example:
            >>> task.class_weight(train)   # doctest: +SKIP
            {0: 0.56, 1: 5.0}
        """
        from models.tasks.collapse import imbalance

        setting = self.spec.training.class_weight or self.default_class_weight
        labels = np.asarray(train.labels)
        self.auto_weighted, self.weights_used, self.weights_note = False, None, None
        if setting == "none" or (setting == "auto" and labels.ndim != 1):
            return None
        if isinstance(setting, dict):
            self.weights_used = {int(k): float(v) for k, v in setting.items()}
            self.weights_note = "class weights: as given in training.class_weight"
            return self.weights_used
        ratio = imbalance(labels)
        if setting == "auto" and ratio <= IMBALANCE_FACTOR:
            return None
        self.auto_weighted = setting == "auto"
        self.weights_used = _balanced(labels, self.num_classes)
        chosen = "; training.class_weight: auto" if self.auto_weighted else ""
        self.weights_note = f"class weights: balanced (largest class {ratio:.1f}x the smallest{chosen})"
        return self.weights_used

    def monitor(self) -> tuple[str, str]:
        """`val_f1_macro` (max) when `auto` turned class weights on, else the task's metric."""
        return ("val_f1_macro", "max") if self.auto_weighted else super().monitor()

    def keras_metrics(self) -> list:
        """The task's (or the spec's) metrics, and macro-F1 (`f1_macro`) when `auto` turned class weights on."""
        import keras

        metrics = super().keras_metrics()
        if self.auto_weighted and "f1_macro" not in metrics:
            metrics.append(keras.metrics.F1Score(average="macro", name="f1_macro"))
        return metrics

    def targets(self):
        """One-hot labels, as the default loss takes them (and so MixUp/CutMix can mix images' labels)."""
        from data.dataset import one_hot_targets

        return one_hot_targets(self.num_classes)

    def softmax_head(self, x):
        """The head's hidden dense layers and dropout, then the float32 softmax `probabilities`, over `x`.

        `x` is a pooled feature vector (one label per example) or per-token vectors (one tag per token).
        """
        import keras

        for index, units in enumerate(self.head.hidden_units):
            x = keras.layers.Dense(units, activation="relu", name=f"head_dense{index}")(x)
        if self.head.dropout:
            x = keras.layers.Dropout(self.head.dropout, name="head_dropout")(x)
        return keras.layers.Dense(self.num_classes, activation="softmax", dtype="float32", name="probabilities")(x)

    def compile_options(self) -> dict:
        """Loss ('auto': categorical cross-entropy on one-hot targets, with the head's label smoothing) and metrics."""
        import keras

        loss = self.spec.training.loss
        if loss == "auto":
            loss = keras.losses.CategoricalCrossentropy(label_smoothing=getattr(self.head, "label_smoothing", 0.0))
        return {"loss": loss, "metrics": self.keras_metrics()}

    def parity(self, served: dict, reference: np.ndarray) -> dict[str, float]:
        """Largest |probability difference| and argmax agreement between the export and the Keras model."""
        probabilities = np.asarray(served["probabilities"])
        return {
            "export_parity_max_abs_diff": float(np.max(np.abs(probabilities - reference))),
            "export_parity_class_agreement": float(np.mean(probabilities.argmax(-1) == reference.argmax(-1))),
        }

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """Probabilities within `tolerance` and every argmax the same."""
        return parity["export_parity_max_abs_diff"] <= tolerance and parity["export_parity_class_agreement"] == 1.0

    # Diagnosis --------------------------------------------------------------------------------

    def diagnose(self, y_true: np.ndarray, y_pred: np.ndarray, train_labels: np.ndarray) -> Evaluation:
        """The class weights used (a verdict line and `class_weights.json`) and whether predictions collapsed.

        Takes class ids (for multi-hot rows, only the weights are reported); adds
        `test_majority_baseline_f1_macro` and `test_chance_baseline_f1_macro`, the
        macro-F1 of always answering the training split's largest class and of
        guessing with its class frequencies (`models.tasks.collapse.baseline_f1`).

        Example:
            >>> evaluation.update(self.diagnose(y_true, y_pred, train.labels))   # doctest: +SKIP
        """
        from models.tasks.collapse import baseline_f1, class_collapse, imbalance

        found = Evaluation()
        if self.weights_note:
            found.verdicts.append(self.weights_note)
            names = [self.class_names[c] if c < len(self.class_names) else str(c) for c in self.weights_used]
            found.tables["class_weights.json"] = json.dumps(dict(zip(names, self.weights_used.values())), indent=2)
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.ndim != 1 or not len(y_true):
            return found
        train_labels = np.asarray(train_labels, "int64")
        for name, score in baseline_f1(y_true, train_labels).items():
            found.metrics[f"test_{name}_baseline_f1_macro"] = score
        ratio = imbalance(train_labels)
        causes = []
        if self.weighs_classes and self.weights_used is None and ratio > 1.5:
            causes.append(f"class imbalance (the largest training class has {ratio:.1f}x the examples of the "
                          f"smallest): set training.class_weight: balanced")
        collapsed = class_collapse(y_true, y_pred, train_labels, self.class_names)
        return found.update(self.collapse_report(collapsed, causes))


def _balanced(labels: np.ndarray, num_classes: int) -> dict[int, float]:
    """sklearn's "balanced" weights, n / (classes * count), for the classes present; 1.0 for the others."""
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(labels)
    weights = compute_class_weight("balanced", classes=present, y=labels)
    resolved = {int(c): 1.0 for c in range(num_classes)}
    resolved.update({int(c): float(w) for c, w in zip(present, weights)})
    return resolved
