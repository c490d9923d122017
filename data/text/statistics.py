"""Sizes the `tokenize` stage picks from the training texts when the spec leaves them out.

`vocabulary_size` follows the words the training split repeats, and
`sequence_length` the length of its long texts, in the trained tokenizer's own
pieces; both are clipped to sizes that train quickly on a CPU and hold on a
GPU. The reasons, and what they were measured on, are in each function.

Example:
    >>> words = word_statistics(["the cat sat", "the cat ran", "a dog"], lowercase=True)
    >>> words
    {'texts': 3, 'words': 8, 'distinct_words': 6, 'repeated_words': 2}
    >>> default_vocabulary_size(words["repeated_words"])
    1000
    >>> default_sequence_length([12, 30, 41, 200]), default_sequence_length([12] * 19 + [200])
    (200, 16)
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

WORD = re.compile(r"\w+")
VOCABULARY_SIZE = (1000, 30000)   # the smallest and largest vocabulary chosen from the data
VOCABULARY_PER_REPEATED_WORD = 1.5
SEQUENCE_LENGTH = (16, 512)       # the shortest and longest sequence chosen from the data
SEQUENCE_PERCENTILE = 95


def word_statistics(texts: Sequence[str], lowercase: bool) -> dict[str, int]:
    """Texts, words (runs of letters, digits and `_`), distinct words, and distinct words seen at least twice."""
    counts = Counter(word for text in texts for word in WORD.findall(text.lower() if lowercase else text))
    return {"texts": len(texts), "words": sum(counts.values()), "distinct_words": len(counts),
            "repeated_words": sum(1 for count in counts.values() if count >= 2)}


def default_vocabulary_size(repeated_words: int) -> int:
    """`1.5 x` the distinct words seen at least twice in the training split, rounded up to 1000, in [1000, 30000].

    Why the words seen twice: an embedding row learns only from the texts its
    token occurs in. A word seen once in training gets one example's worth of
    gradient, so its row mostly memorises that example and is never met again
    at test time (about half of a corpus's distinct words occur once: Zipf's
    law). Leaving such words to sub-word pieces lets them share rows with
    related words. The extra half makes room for those pieces (`##ing`,
    characters) and the special tokens. The floor keeps small corpora from
    cutting common words into pieces (a trained vocabulary never holds more
    than the data gives, so a small corpus just gets a smaller one); the
    ceiling is the size of BERT's vocabulary, past which the embedding
    dominates a small model's parameters.

    Measured on the docstring corpus (`data.synthetic.docstrings`: 560
    training paragraphs, 1,339 of 2,623 distinct words seen twice -> 3,000):
    keras-hub's WordPiece trainer keeps only pieces seen 10 or more times, so
    on a corpus this small it returns ~570 pieces whatever size is asked; a
    vocabulary of every piece seen twice (1,677) scored lower with the same
    model (test accuracy 0.82 vs 0.86, macro-F1 0.73 vs 0.76, 3 splits), and
    one id per word (`text_vectorization`, 3,000) lower still (0.83 / 0.68).
    On small data the size is a ceiling that seldom binds; it matters on
    large corpora, where one fixed size is either too small or wastes
    parameters.

    Example:
        >>> [default_vocabulary_size(n) for n in (10, 2000, 5000, 100_000)]
        [1000, 3000, 8000, 30000]
    """
    low, high = VOCABULARY_SIZE
    size = math.ceil(VOCABULARY_PER_REPEATED_WORD * repeated_words / 1000) * 1000
    return int(min(high, max(low, size)))


def default_sequence_length(token_counts: Sequence[int]) -> int:
    """The 95th percentile of tokens per training text, rounded up to a multiple of 8, in [16, 512].

    The percentile is the smallest length that at least 95% of the texts fit in.

    `token_counts` are counted with the trained (or preset) tokenizer, start
    and end tokens included, so sub-word splitting and punctuation are counted
    as they are (on English prose WordPiece gives ~1.3 pieces a word; on
    code-like text, such as docstrings, 2 or more). The 95th percentile keeps
    19 texts in 20 whole while a few very long ones do not set the cost of
    every batch (padding is paid by all texts); a multiple of 8 suits
    accelerators; 512 is the longest most pretrained encoders accept.

    Measured on the docstring corpus (WordPiece tokens per paragraph: median
    59, 95th percentile 246 -> 248): with the same 1-D CNN, 64 tokens gave
    test accuracy 0.82 / macro-F1 0.72, 128 gave 0.84 / 0.78 and 248 gave
    0.87 / 0.79 (3 splits); a 1-D CNN pays little for the longer sequence.

    Example:
        >>> default_sequence_length([3, 4, 5]), default_sequence_length([10_000])
        (16, 512)
    """
    low, high = SEQUENCE_LENGTH
    if len(token_counts) == 0:
        return low
    length = math.ceil(_percentile(token_counts, SEQUENCE_PERCENTILE) / 8) * 8
    return int(min(high, max(low, length)))


def length_statistics(token_counts: Sequence[int]) -> dict[str, int]:
    """Median, 95th percentile and longest tokens per text (rounded up).

    Example:
        >>> length_statistics([2, 4, 6, 100])
        {'tokens_p50': 4, 'tokens_p95': 100, 'tokens_max': 100}
    """
    counts = np.asarray(token_counts) if len(token_counts) else np.zeros(1)
    return {"tokens_p50": math.ceil(_percentile(counts, 50)),
            "tokens_p95": math.ceil(_percentile(counts, SEQUENCE_PERCENTILE)),
            "tokens_max": int(counts.max())}


def _percentile(values, percent: float) -> float:
    """The smallest value that at least `percent`% of `values` do not exceed (no interpolation)."""
    return float(np.percentile(np.asarray(values), percent, method="inverted_cdf"))
