"""Held-out scores the classification tasks share: macro precision/recall/F1 and the majority baseline.

Example:
    >>> import numpy as np
    >>> macro_scores(np.array([0, 1, 1]), np.array([0, 1, 0]))["test_f1_macro"]
    0.6666666666666666
"""

from __future__ import annotations

import numpy as np


def macro_scores(y_true: np.ndarray, y_pred: np.ndarray, prefix: str = "test_") -> dict[str, float]:
    """Macro-averaged precision, recall and F1 (class ids, or multi-hot rows for multi-label)."""
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, _ = precision_recall_fscore_support(y_true, y_pred, average="macro", zero_division=0)
    return {f"{prefix}precision_macro": float(precision), f"{prefix}recall_macro": float(recall),
            f"{prefix}f1_macro": float(f1)}


def majority_baseline(train_labels: np.ndarray, y_true: np.ndarray, accuracy: float,
                      prefix: str = "test_") -> dict[str, float]:
    """Accuracy of always answering the training split's most frequent class, and the model's margin over it.

    Example:
        >>> import numpy as np
        >>> majority_baseline(np.array([1, 1, 0]), np.array([1, 0]), accuracy=1.0)
        {'test_majority_baseline_accuracy': 0.5, 'test_accuracy_over_baseline': 0.5}
    """
    majority = int(np.bincount(train_labels).argmax())
    baseline = float(np.mean(y_true == majority)) if len(y_true) else 0.0
    return {f"{prefix}majority_baseline_accuracy": baseline, f"{prefix}accuracy_over_baseline": accuracy - baseline}


def per_class_f1(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict[str, float]:
    """F1 of each class (ids, or multi-hot rows), by name.

    Example:
        >>> import numpy as np
        >>> per_class_f1(np.array([0, 1]), np.array([0, 0]), ["a", "b"])
        {'a': 0.6666666666666666, 'b': 0.0}
    """
    from sklearn.metrics import f1_score

    labels = None if y_true.ndim == 2 else list(range(len(class_names)))
    scores = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {name: float(score) for name, score in zip(class_names, scores)}
