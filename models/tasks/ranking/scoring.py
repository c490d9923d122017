"""Ranking quality on candidate lists: keras-rs NDCG@10, recall@10 (the hit rate: one relevant item) and MRR.

Example:
    >>> import numpy as np
    >>> from models.tasks.ranking.candidates import CandidateLists
    >>> lists = CandidateLists(np.array([[4, 7, 9]]), np.array([1]), np.ones((1, 3), bool))
    >>> found = list_metrics(np.array([[0.1, 0.9, 0.5]], "float32"), lists)
    >>> {name: round(value, 3) for name, value in found.items()}
    {'ndcg_at_10': 1.0, 'recall_at_10': 1.0, 'mrr': 1.0}
"""

from __future__ import annotations

import numpy as np

K = 10
"""The k of NDCG@k and recall@k (`ndcg_at_10` is the task's metric)."""

CHUNK = 512
"""Candidate lists scored at once."""


def list_metrics(scores: np.ndarray, lists) -> dict[str, float]:
    """ndcg_at_10, recall_at_10 and mrr of `scores` [rows, count] on `lists` (`CandidateLists`), ties unshuffled.

    Example: see the module docstring.
    """
    import keras_rs

    count = lists.items.shape[1]
    metrics = {"ndcg_at_10": keras_rs.metrics.NDCG(k=min(K, count), shuffle_ties=False),
               "recall_at_10": keras_rs.metrics.RecallAtK(k=min(K, count), shuffle_ties=False),
               "mrr": keras_rs.metrics.MeanReciprocalRank(shuffle_ties=False)}
    truth = {"labels": lists.labels(), "mask": lists.mask}
    for metric in metrics.values():
        metric.update_state(truth, np.asarray(scores, "float32"))
    return {name: float(metric.result()) for name, metric in metrics.items()}


def model_scores(model, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """[rows, count] logits of the model for lookup indices `users` [rows] and item positions `items` [rows, count].

    Example:
        >>> model_scores(model, np.array([1, 2]), lists.items)   # doctest: +SKIP
    """
    import tensorflow as tf

    return np.concatenate([
        np.asarray(model.score_indices(tf.constant(users[i:i + CHUNK], tf.int64),
                                       tf.constant(items[i:i + CHUNK] + 1, tf.int64)))
        for i in range(0, len(users), CHUNK)]) if len(users) else np.zeros(items.shape, "float32")


def popularity_scores(counts: np.ndarray, items: np.ndarray) -> np.ndarray:
    """The most-popular baseline: each candidate's count of training interactions; equal counts rank in list
    order (the lists are shuffled), so ties are broken the same way every time.

    Example:
        >>> popularity_scores(np.array([5, 1, 1]), np.array([[1, 2, 0]])).round(2).tolist()
        [[1.5, 1.33, 5.17]]
    """
    count = np.shape(items)[1]
    return np.asarray(counts, "float64")[items] + 0.5 * (1 - np.arange(count) / count)
