"""Recall@k of image/caption retrieval, both directions, where several images may share a caption.

Text to image: each distinct caption of the split is a query over the split's
images; a hit at k when one of the k most similar images has that caption (so
with several images per caption, any of them counts). Image to text: each
image is a query over the split's distinct captions (deduplicated); a hit at k
when its own caption is among the k most similar. Ties rank in index order.

Example:
    >>> import numpy as np
    >>> recall_at_k(np.array([[0.9, 0.1], [0.8, 0.7]]), np.array([[True, False], [False, True]]), [1, 2])
    {1: 0.5, 2: 1.0}
"""

from __future__ import annotations

import numpy as np


def recall_at_k(similarity: np.ndarray, relevant: np.ndarray, ks: list[int]) -> dict[int, float]:
    """The share of rows (queries) with a relevant column among their k most similar, for each k."""
    order = np.argsort(-np.asarray(similarity), axis=1, kind="stable")
    hits = np.take_along_axis(np.asarray(relevant, bool), order, axis=1)
    first = np.where(hits.any(axis=1), hits.argmax(axis=1), hits.shape[1])  # rank of the first relevant column
    return {k: float(np.mean(first < k)) for k in ks}


def retrieval_metrics(image_embeddings: np.ndarray, caption_ids: np.ndarray, caption_embeddings,
                      ks: list[int]) -> dict[str, float]:
    """`t2i_recall_at_k` and `i2t_recall_at_k` of images [N, D] with their caption ids [N]; `caption_embeddings`
    maps distinct caption ids (sorted) to their embeddings [C, D].

    Example:
        >>> e = np.eye(2, dtype="float32")
        >>> retrieval_metrics(e, np.array([0, 1]), lambda ids: e[ids], [1])
        {'t2i_recall_at_1': 1.0, 'i2t_recall_at_1': 1.0}
    """
    distinct = np.unique(caption_ids)
    texts = np.asarray(caption_embeddings(distinct))
    images = np.asarray(image_embeddings)
    relevant = distinct[:, None] == np.asarray(caption_ids)[None, :]
    t2i = recall_at_k(texts @ images.T, relevant, ks)
    i2t = recall_at_k(images @ texts.T, relevant.T, ks)
    return {**{f"t2i_recall_at_{k}": v for k, v in t2i.items()}, **{f"i2t_recall_at_{k}": v for k, v in i2t.items()}}


def chance_t2i_recall_at_1(caption_ids: np.ndarray) -> float:
    """Text-to-image recall@1 of a random ranking: the mean share of the images that have each distinct caption.

    Example:
        >>> chance_t2i_recall_at_1(np.array([0, 0, 1, 2]))
        0.3333333333333333
    """
    _, counts = np.unique(caption_ids, return_counts=True)
    return float(np.mean(counts / len(caption_ids)))


def zero_shot_accuracy(image_embeddings: np.ndarray, captions: list[str], prompt_embeddings: np.ndarray,
                       classes: list[str]) -> tuple[float, int]:
    """(accuracy, images scored) of choosing each image's class as its most similar prompt; an image's class is
    the one of `classes` its caption names as a word, and images whose caption names none or several are left out.

    Example:
        >>> e = np.eye(2, dtype="float32")
        >>> zero_shot_accuracy(e, ["a red circle", "a circle and a square"], e, ["circle", "square"])
        (1.0, 1)
    """
    truth = []
    for text in captions:
        named = [index for index, name in enumerate(classes) if name.lower() in text.lower().split()]
        truth.append(named[0] if len(named) == 1 else -1)
    truth = np.asarray(truth)
    scored = truth >= 0
    if not scored.any():
        return float("nan"), 0
    chosen = np.argmax(np.asarray(image_embeddings)[scored] @ np.asarray(prompt_embeddings).T, axis=1)
    return float(np.mean(chosen == truth[scored])), int(scored.sum())
