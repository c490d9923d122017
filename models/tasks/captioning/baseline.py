"""The nearest-neighbour caption baseline (Devlin et al., 2015, without the consensus step): each held-out
image gets the caption of the training image closest to it in a feature space; here the trained image
encoder's tokens, flattened (so where things are counts), cosine similarity.

Features wider than `MAX_FEATURES` are projected by a seeded Gaussian matrix (Johnson-Lindenstrauss: cosine
similarities are kept), a chunk of images at a time, so a large training split stays in memory.

Example:
    >>> import numpy as np
    >>> nearest_captions(np.array([[1.0, 0], [0, 1.0]]), ["a cat", "a dog"], np.array([[0.1, 0.9]]))
    ['a dog']
"""

from __future__ import annotations

import numpy as np

MAX_FEATURES = 2048
"""The widest features compared as they are; wider ones are projected to this width."""

CHUNK = 1024
"""Held-out images compared with the training split at a time."""


def projection(width: int, seed: int = 0) -> np.ndarray | None:
    """The seeded Gaussian matrix [width, MAX_FEATURES] that features wider than `MAX_FEATURES` are projected by
    (None for narrower ones).

    Example:
        >>> projection(12) is None, projection(4096).shape
        (True, (4096, 2048))
    """
    if width <= MAX_FEATURES:
        return None
    return np.random.default_rng(seed).standard_normal((width, MAX_FEATURES)).astype("float32")


def flat_features(tokens: np.ndarray, matrix: np.ndarray | None = None) -> np.ndarray:
    """Image tokens [N, T, D] as unit rows: flattened, then projected by `matrix` (see `projection`) if given.

    Example:
        >>> flat_features(np.ones((2, 3, 4))).shape
        (2, 12)
    """
    flat = np.asarray(tokens, "float32").reshape(len(tokens), -1)
    if matrix is not None:
        flat = flat @ matrix
    return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-12)


def nearest_captions(train_features: np.ndarray, train_captions: list[str], query_features: np.ndarray) -> list[str]:
    """The caption of each query's most similar (cosine) training image; ties go to the first.

    Example:
        >>> nearest_captions(np.eye(2), ["left", "right"], np.array([[2.0, 1.0]]))
        ['left']
    """
    train = np.asarray(train_features, "float32")
    train = train / np.maximum(np.linalg.norm(train, axis=1, keepdims=True), 1e-12)
    queries = np.asarray(query_features, "float32")
    found = []
    for start in range(0, len(queries), CHUNK):
        found.extend(np.argmax(queries[start:start + CHUNK] @ train.T, axis=1).tolist())
    return [train_captions[index] for index in found]
