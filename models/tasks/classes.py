"""`ClassTask`: what every task whose targets are class (or tag) ids shares.

Class-labelled tasks keep the source's class names, stratify the split, accept
`training.class_weight`, report accuracy by default, and check an export by
comparing its `probabilities` with the Keras model's: the largest absolute
difference, and whether the argmax (the answer a user sees) agrees.

Example:
    >>> ClassTask.metric, ClassTask.direction, ClassTask.stratify
    ('accuracy', 'max', True)
    >>> import numpy as np
    >>> ClassTask.parity(None, {"probabilities": np.array([[0.2, 0.8]])}, np.array([[0.3, 0.7]]))
    {'export_parity_max_abs_diff': 0.09999999999999998, 'export_parity_class_agreement': 1.0}
"""

from __future__ import annotations

import numpy as np

from models.tasks.base import Task


class ClassTask(Task):
    """Targets are class ids (or multi-hot rows, or per-token tag ids) named by `class_names`."""

    metric = "accuracy"
    direction = "max"
    stratify = True
    weighs_classes = True
    default_metrics = ("accuracy",)

    def prepare(self, examples, train) -> None:
        """Keep the class names and the shape of one example."""
        self.class_names = list(examples.class_names)
        self.num_classes = len(self.class_names)
        self.input_shape = examples.input_shape

    def class_weight(self, train) -> dict[int, float] | None:
        """`training.class_weight` resolved: 'balanced' from the training labels, or as given.

        Example:
            >>> task.class_weight(train)   # doctest: +SKIP
            {0: 0.67, 1: 2.0}
        """
        setting = self.spec.training.class_weight
        if setting is None:
            return None
        if setting != "balanced":
            return {int(k): float(v) for k, v in setting.items()}
        from sklearn.utils.class_weight import compute_class_weight

        labels = train.labels
        present = np.unique(labels)
        weights = compute_class_weight("balanced", classes=present, y=labels)
        resolved = {int(c): 1.0 for c in range(self.num_classes)}
        resolved.update({int(c): float(w) for c, w in zip(present, weights)})
        return resolved

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
