"""Did training collapse? Held-out predictions that say one thing, or no more than a baseline does.

A model that learned nothing often still "runs": a classifier answers its
largest class for nearly every example (class imbalance, a learning rate far
too high or too low, training stopped before it learned), a regressor answers
about the same number for every row. These pure numpy checks find it from the
held-out predictions; the tasks turn a `Diagnosis` into a verdict sentence with
the spec keys to change, and tag the run `kpipe.<TAG>: <reason>`.

Example:
    >>> import numpy as np
    >>> truth = np.array([0, 1, 0, 1, 0, 1, 0, 0, 1, 1])
    >>> found = class_collapse(truth, np.zeros(10, "int64"), truth, ["cat", "dog"])
    >>> found.reason
    'one_class'
    >>> found.verdict(["class imbalance: set training.class_weight: balanced"])
    "Collapse: 100% of held-out predictions are class 'cat' (the largest true class is 50%). Likely causes: class imbalance: set training.class_weight: balanced."
    >>> class_collapse(truth, truth, truth) is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TAG = "collapse"
"""The run tag a collapse sets, under `kpipe.` (`Evaluation.tags`): `kpipe.collapse`."""

ONE_CLASS_SHARE = 0.95
"""A classifier collapsed when its most predicted class takes this share of predictions (and the truth's does not)."""

FLAT_STD = 0.01
"""A regressor collapsed when its predictions' deviation is under this fraction of the target's."""


@dataclass(frozen=True)
class Diagnosis:
    """Why held-out predictions look collapsed.

    Attributes:
        reason: A short code, the value of the `kpipe.collapse` tag: `one_class`,
            `baseline_f1` (macro-F1 no better than the majority class's or chance's),
            `flat_predictions`, `baseline_mae` (MAE no better than the training mean's)
            or `not_finite` (NaN or infinite predictions).
        finding: The sentence that says what was found, with the numbers.
    """

    reason: str
    finding: str

    def verdict(self, causes: list[str]) -> str:
        """The finding and the likely causes (each naming the spec key to change), as one summary line."""
        if not causes:
            return self.finding
        return f"{self.finding} Likely causes: {'; '.join(causes)}."


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, labels=None) -> float:
    """F1 averaged over `labels` (default: every class in the truth or the predictions), 0 where undefined.

    Example:
        >>> macro_f1(np.array([0, 1, 1]), np.array([0, 1, 0]))
        0.6666666666666666
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = np.union1d(y_true, y_pred) if labels is None else np.asarray(labels)
    scores = []
    for label in labels:
        predicted, actual = y_pred == label, y_true == label
        hits = float(np.sum(predicted & actual))
        denominator = float(np.sum(predicted) + np.sum(actual))
        scores.append(2 * hits / denominator if denominator else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def baseline_f1(y_true: np.ndarray, train_labels: np.ndarray, labels=None) -> dict[str, float]:
    """Held-out macro-F1 of two answers that learned nothing but the training split's class frequencies.

    `majority`: always the most frequent training class. `chance`: a class drawn
    at random with the training frequencies, whose expected F1 on class c is
    2·p·q / (p + q) (p: c's share of the truth, q: of the training labels).
    Averaged over `labels` (default: the classes of the truth and of training).

    Example:
        >>> baseline_f1(np.array([0, 1, 1, 1]), np.array([1, 1, 1, 0]))
        {'majority': 0.42857142857142855, 'chance': 0.5}
    """
    y_true, train_labels = np.asarray(y_true, "int64"), np.asarray(train_labels, "int64")
    labels = np.union1d(y_true, train_labels) if labels is None else np.asarray(labels)
    majority = int(np.bincount(train_labels).argmax())
    chance = []
    for label in labels:
        p, q = float(np.mean(y_true == label)), float(np.mean(train_labels == label))
        chance.append(2 * p * q / (p + q) if p + q else 0.0)
    return {"majority": macro_f1(y_true, np.full(len(y_true), majority), labels),
            "chance": float(np.mean(chance)) if chance else 0.0}


def class_collapse(y_true: np.ndarray, y_pred: np.ndarray, train_labels: np.ndarray,
                   class_names: list[str] | None = None) -> Diagnosis | None:
    """A `Diagnosis` when held-out class predictions collapsed, else None.

    Collapsed: the most predicted class takes at least 95% of the predictions
    while the truth's largest class is below that (`one_class`), or, with two
    or more classes in the truth, the macro-F1 is no better than always
    answering the training split's majority class, or than guessing with the
    training frequencies (`baseline_f1`). F1s average over every class of the
    truth, the predictions and the training labels.

    Example:
        >>> truth = np.array([0, 0, 0, 1, 1, 2])
        >>> class_collapse(truth, np.array([1, 1, 1, 0, 0, 0]), truth).reason
        'baseline_f1'
    """
    y_true, y_pred = np.asarray(y_true, "int64").ravel(), np.asarray(y_pred, "int64").ravel()
    train_labels = np.asarray(train_labels, "int64").ravel()
    if not len(y_true) or not len(y_pred) or not len(train_labels):
        return None
    name = (lambda c: repr(class_names[c]) if class_names is not None and 0 <= c < len(class_names) else str(c))
    predicted_class, predicted_share = _largest(y_pred)
    _, true_share = _largest(y_true)
    if predicted_share >= ONE_CLASS_SHARE > true_share:
        return Diagnosis("one_class", f"Collapse: {predicted_share:.0%} of held-out predictions are class "
                                      f"{name(predicted_class)} (the largest true class is {true_share:.0%}).")
    if len(np.unique(y_true)) < 2:
        return None
    labels = np.union1d(np.union1d(y_true, y_pred), train_labels)
    baselines = baseline_f1(y_true, train_labels, labels)
    score = macro_f1(y_true, y_pred, labels)
    if score <= max(baselines.values()) + 1e-9:
        majority = int(np.bincount(train_labels).argmax())
        return Diagnosis("baseline_f1", f"Collapse: held-out macro-F1 {score:.3f} is no better than always "
                                        f"answering the majority class {name(majority)} "
                                        f"({baselines['majority']:.3f}) or guessing with the training "
                                        f"frequencies ({baselines['chance']:.3f}).")
    return None


def regression_collapse(y_true: np.ndarray, y_pred: np.ndarray, train_targets: np.ndarray) -> Diagnosis | None:
    """A `Diagnosis` when held-out regression predictions collapsed, else None.

    Collapsed: some predictions are NaN or infinite (`not_finite`), their
    standard deviation is under 1% of the training target's
    (`flat_predictions`), or their MAE is no better than always answering the
    training mean (`baseline_mae`).

    Example:
        >>> train = np.array([1.0, 2.0, 3.0, 4.0])
        >>> regression_collapse(np.array([1.0, 4.0]), np.array([2.5, 2.5001]), train).reason
        'flat_predictions'
        >>> regression_collapse(np.array([1.0, 4.0]), np.array([1.1, 3.9]), train) is None
        True
    """
    y_true, y_pred = np.asarray(y_true, "float64").ravel(), np.asarray(y_pred, "float64").ravel()
    train_targets = np.asarray(train_targets, "float64").ravel()
    if not len(y_true) or not len(train_targets):
        return None
    if not np.all(np.isfinite(y_pred)):
        return Diagnosis("not_finite", f"Collapse: {np.mean(~np.isfinite(y_pred)):.0%} of held-out predictions "
                                       f"are NaN or infinite.")
    spread, target_spread = float(np.std(y_pred)), float(np.std(train_targets))
    if target_spread > 0 and spread < FLAT_STD * target_spread:
        return Diagnosis("flat_predictions", f"Collapse: held-out predictions barely vary (std {spread:.4g}, "
                                             f"under 1% of the training target's {target_spread:.4g}).")
    mae = float(np.mean(np.abs(y_true - y_pred)))
    baseline = float(np.mean(np.abs(y_true - train_targets.mean())))
    if not mae < baseline:
        return Diagnosis("baseline_mae", f"Collapse: held-out MAE {mae:.4g} is no better than always answering "
                                     f"the training mean ({baseline:.4g}).")
    return None


def imbalance(labels: np.ndarray) -> float:
    """How many times the largest class outnumbers the smallest, over the classes present (1.0 for one class).

    Example:
        >>> imbalance(np.array([0] * 9 + [1]))
        9.0
    """
    counts = np.bincount(np.asarray(labels, "int64").ravel())
    counts = counts[counts > 0]
    return float(counts.max() / counts.min()) if len(counts) else 1.0


def _largest(values: np.ndarray) -> tuple[int, float]:
    """The most frequent value and its share."""
    found, counts = np.unique(values, return_counts=True)
    top = int(np.argmax(counts))
    return int(found[top]), float(counts[top] / len(values))
