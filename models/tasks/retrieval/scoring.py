"""Held-out ranking quality: every user's scores over the whole item corpus, ranked by keras-rs metrics.

For each held-out interaction (user, item), the candidates are all items
except those the user interacted with in the training split (the held-out item
itself always stays a candidate); the held-out item is the one relevant item.
Recall@k, NDCG@10 and MRR come from `keras_rs.metrics` (ties not shuffled).
The most-popular-items baseline scores every item by its count of training
interactions, for every user alike.

Example:
    >>> import numpy as np
    >>> scores = np.array([[0.9, 0.5, 0.1], [0.2, 0.3, 0.8]], "float32")
    >>> seen = [{0}, set()]
    >>> figures = ranking_metrics(scores, np.array([1, 2]), seen, recall_at=[1])
    >>> {name: round(value, 3) for name, value in figures.items()}
    {'recall_at_1': 1.0, 'ndcg_at_10': 1.0, 'mrr': 1.0}
"""

from __future__ import annotations

import numpy as np

CHUNK = 1024
"""Users scored at once."""


def ranking_metrics(scores, targets: np.ndarray, seen: list[set[int]], recall_at: list[int]) -> dict:
    """recall_at_k (each k), ndcg_at_10 and mrr of `scores` for the target item index of each row, with each
    row's `seen` items (training interactions) left out of the candidates.

    `scores` is an array [rows, items], or a function from row indices to their scores [len(rows), items]
    (called for `CHUNK` rows at a time, so a large corpus never needs every row's scores at once).
    """
    import keras_rs

    score = scores if callable(scores) else (lambda rows: scores[rows])
    metrics = None
    for start in range(0, len(targets), CHUNK):
        rows = np.arange(start, min(start + CHUNK, len(targets)))
        chunk = np.asarray(score(rows), "float32")
        count = chunk.shape[1]
        if metrics is None:
            metrics = {f"recall_at_{k}": keras_rs.metrics.RecallAtK(k=min(k, count), shuffle_ties=False)
                       for k in recall_at}
            metrics["ndcg_at_10"] = keras_rs.metrics.NDCG(k=min(10, count), shuffle_ties=False)
            metrics["mrr"] = keras_rs.metrics.MeanReciprocalRank(shuffle_ties=False)
        labels = np.zeros((len(rows), count), "float32")
        labels[np.arange(len(rows)), targets[rows]] = 1.0
        mask = candidate_mask(count, [seen[i] for i in rows], targets[rows])
        for metric in metrics.values():
            metric.update_state({"labels": labels, "mask": mask}, chunk)
    return {name: float(metric.result()) for name, metric in (metrics or {}).items()}


def candidate_mask(count: int, seen: list[set[int]], targets: np.ndarray) -> np.ndarray:
    """[rows, count] bool: True for the items each row ranks (all but its seen ones; its target always).

    Example:
        >>> candidate_mask(3, [{0, 1}], np.array([1])).tolist()
        [[False, True, True]]
    """
    mask = np.ones((len(seen), count), bool)
    for row, items in enumerate(seen):
        mask[row, list(items)] = False
    mask[np.arange(len(seen)), targets] = True
    return mask


def user_scores(model, user_ids: np.ndarray, item_embeddings: np.ndarray):
    """A function from row indices to the [rows, items] dot products of the user tower's embeddings of those
    rows' `user_ids` with `item_embeddings` (what `ranking_metrics` takes).

    Example:
        >>> scores = user_scores(model, np.array(["u1", "u2"], object), embeddings)([1])  # doctest: +SKIP
    """
    import tensorflow as tf

    def score(rows):
        users = np.asarray(model.user_tower(tf.constant(user_ids[rows]), training=False))
        return users @ item_embeddings.T

    return score


def item_embeddings(model, item_ids: list[str]) -> np.ndarray:
    """[items, D] embeddings of the item tower for `item_ids`, in their order."""
    import tensorflow as tf

    ids = np.asarray(item_ids, object)
    return np.concatenate([np.asarray(model.item_tower(tf.constant(ids[i:i + CHUNK]), training=False))
                           for i in range(0, len(ids), CHUNK)])
