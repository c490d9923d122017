"""Baselines for a language model: unigram and interpolated bigram models of the training split's tokens.

A bigram model predicts the next token from the one before it:
`p(next | prev) = lam * count(prev, next) / count(prev) + (1 - lam) * p_unigram(next)`, where the unigram is
add-one smoothed over the whole vocabulary (so every token has some probability) and `lam` is chosen on the
validation pairs (`lam = 0` is the unigram model). Their perplexities on the held-out split are what a model
must beat.

Example:
    >>> import numpy as np
    >>> model = NgramModel(vocabulary_size=4).fit(np.array([0, 1, 0, 1]), np.array([1, 0, 1, 2]))
    >>> previous, following = np.array([0]), np.array([1])
    >>> round(model.perplexity(previous, following, lam=0.0), 3), round(model.perplexity(previous, following, lam=0.9), 3)
    (2.667, 1.067)
"""

from __future__ import annotations

import numpy as np

LAMBDAS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)
"""Bigram weights tried on the validation pairs."""


class NgramModel:
    """Unigram and bigram counts of (previous token, next token) pairs."""

    def __init__(self, vocabulary_size: int):
        self.vocabulary_size = int(vocabulary_size)
        self.unigram = np.zeros(self.vocabulary_size, "float64")
        self.previous = np.zeros(self.vocabulary_size, "float64")
        self.codes = np.zeros(0, "int64")
        self.counts = np.zeros(0, "float64")

    def fit(self, previous: np.ndarray, following: np.ndarray) -> NgramModel:
        """Count the training pairs; returns the model."""
        previous, following = np.asarray(previous, "int64"), np.asarray(following, "int64")
        self.unigram = np.bincount(following, minlength=self.vocabulary_size).astype("float64")
        self.previous = np.bincount(previous, minlength=self.vocabulary_size).astype("float64")
        self.codes, counts = np.unique(previous * self.vocabulary_size + following, return_counts=True)
        self.counts = counts.astype("float64")
        return self

    def probabilities(self, previous: np.ndarray, following: np.ndarray, lam: float) -> np.ndarray:
        """p(following | previous) for each pair."""
        previous, following = np.asarray(previous, "int64"), np.asarray(following, "int64")
        unigram = (self.unigram[following] + 1.0) / (self.unigram.sum() + self.vocabulary_size)
        codes = previous * self.vocabulary_size + following
        pair = np.zeros(len(codes), "float64")
        if len(self.codes):
            found = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
            pair = np.where(self.codes[found] == codes, self.counts[found], 0.0)
        seen = self.previous[previous]
        bigram = np.divide(pair, seen, out=np.zeros_like(pair), where=seen > 0)
        weight = np.where(seen > 0, lam, 0.0)
        return weight * bigram + (1.0 - weight) * unigram

    def perplexity(self, previous: np.ndarray, following: np.ndarray, lam: float) -> float:
        """exp of the mean negative log-probability of the pairs."""
        if len(following) == 0:
            return float("nan")
        return float(np.exp(-np.mean(np.log(self.probabilities(previous, following, lam)))))

    def best_lambda(self, previous: np.ndarray, following: np.ndarray) -> float:
        """The bigram weight in `LAMBDAS` with the lowest perplexity on these (validation) pairs."""
        if len(following) == 0:
            return 0.9
        return min(LAMBDAS[1:], key=lambda lam: self.perplexity(previous, following, lam))


def token_pairs(dataset) -> tuple[np.ndarray, np.ndarray]:
    """(previous, next) token ids of every weighted target in a dataset of (inputs, targets, weights) batches.

    Example:
        >>> previous, following = token_pairs(datasets.train)   # doctest: +SKIP
    """
    previous, following = [], []
    for inputs, targets, weights in dataset:
        keep = np.asarray(weights) > 0
        previous.append(np.asarray(inputs["token_ids"])[keep])
        following.append(np.asarray(targets)[keep])
    if not previous:
        return np.zeros(0, "int64"), np.zeros(0, "int64")
    return np.concatenate(previous).astype("int64"), np.concatenate(following).astype("int64")


def ngram_baselines(vocabulary_size: int, train, validation, test) -> dict[str, float]:
    """Held-out perplexities of the unigram and bigram models of `train` ((previous, next) pairs), the bigram
    weight chosen on `validation`.

    Example:
        >>> pairs = (np.array([0, 1, 0, 1]), np.array([1, 0, 1, 2]))
        >>> sorted(ngram_baselines(4, pairs, pairs, pairs))
        ['bigram_lambda', 'test_bigram_baseline_perplexity', 'test_unigram_baseline_perplexity']
    """
    model = NgramModel(vocabulary_size).fit(*train)
    lam = model.best_lambda(*validation)
    return {"test_unigram_baseline_perplexity": model.perplexity(*test, lam=0.0),
            "test_bigram_baseline_perplexity": model.perplexity(*test, lam=lam),
            "bigram_lambda": lam}
