"""Anomaly scores: the threshold from the validation split, and held-out detection metrics.

A score is an example's reconstruction error; higher is more anomalous. With
anomalies among the labels, the threshold is the one of best F1 on the
validation split; without, a percentile of the validation scores.

Example:
    >>> choose_threshold(np.array([0.1, 0.2, 0.9, 1.0]), np.array([0, 0, 1, 1]), percentile=99)
    (0.9, 'the best F1 (1) on the validation split')
"""

from __future__ import annotations

import numpy as np


def choose_threshold(scores: np.ndarray, anomalous: np.ndarray | None, percentile: float) -> tuple[float, str]:
    """(threshold, how it was chosen): best F1 when `anomalous` (0/1 per score) has both kinds, else a percentile.

    An example is flagged when its score is at least the threshold.
    """
    from sklearn.metrics import precision_recall_curve

    scores = np.asarray(scores, "float64")
    if anomalous is not None and 0 < int(np.sum(anomalous)) < len(anomalous):
        precision, recall, thresholds = precision_recall_curve(anomalous, scores)
        f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
        index = int(np.argmax(f1))
        return float(thresholds[index]), f"the best F1 ({f1[index]:.3g}) on the validation split"
    normal = scores if anomalous is None else scores[anomalous == 0]
    return float(np.percentile(normal, percentile)), f"the {percentile:g}th percentile of validation scores"


def detection_metrics(scores: np.ndarray, anomalous: np.ndarray, threshold: float,
                      prefix: str = "test_") -> dict[str, float]:
    """AUROC, AUPRC, and precision, recall and F1 of flagging scores >= threshold, for 0/1 labels of both kinds.

    Example:
        >>> detection_metrics(np.array([0.1, 0.2, 0.9]), np.array([0, 0, 1]), threshold=0.5)["test_auroc"]
        1.0
    """
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

    flagged = (np.asarray(scores) >= threshold).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(anomalous, flagged, average="binary", zero_division=0)
    return {f"{prefix}auroc": float(roc_auc_score(anomalous, scores)),
            f"{prefix}auprc": float(average_precision_score(anomalous, scores)),
            f"{prefix}anomaly_precision": float(precision), f"{prefix}anomaly_recall": float(recall),
            f"{prefix}anomaly_f1": float(f1)}


def pca_scores(train: np.ndarray, held_out: np.ndarray, components: int) -> np.ndarray:
    """The baseline: reconstruction errors of a PCA fitted on the (normal) training images, per held-out image.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> pca_scores(rng.normal(size=(20, 4, 4, 1)), np.zeros((2, 4, 4, 1)), components=3).shape
        (2,)
    """
    from sklearn.decomposition import PCA

    flat_train, flat = train.reshape(len(train), -1), held_out.reshape(len(held_out), -1)
    pca = PCA(n_components=min(components, *flat_train.shape)).fit(flat_train)
    restored = pca.inverse_transform(pca.transform(flat))
    return np.mean((restored - flat) ** 2, axis=1)
