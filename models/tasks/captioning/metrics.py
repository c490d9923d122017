"""Scores of generated image captions against several reference captions per image, as COCO defines them.

Captions are compared after `normalize_caption`, close to COCO's PTB tokenizer: lowercased, punctuation
dropped, words split on whitespace. The scorers below take captions already normalized, one hypothesis and
a list of one or more references per image:

- BLEU-4: sacreBLEU's corpus score (0-100) against all references of each image.
- CIDEr-D: pycocoevalcap's `Cider` (TF-IDF of 1- to 4-grams, document frequencies over the references of the
  images scored together, clipped counts, a Gaussian length penalty with sigma 6, times 10); a single image
  scores 0, since every n-gram then occurs in all "documents".
- ROUGE-L: pycocoevalcap's `Rouge` (LCS precision and recall, each the best over the references, F with
  beta 1.2), averaged over images (0-1).
- exact match: the share of hypotheses equal to any of their references (0-1).

Example:
    >>> scores = caption_scores(["A dog runs.", "A cat"], [["a dog runs", "a dog running"], ["a red bus"]])
    >>> scores["exact_match"], round(scores["rouge_l"], 3)
    (0.5, 0.693)
"""

from __future__ import annotations

import math
import string
from collections import Counter

from models.tasks.seq2seq.metrics import lcs_length

_PUNCTUATION = str.maketrans({mark: " " for mark in string.punctuation})
_ORDER, _SIGMA, _BETA = 4, 6.0, 1.2


def normalize_caption(text, lowercase: bool = True) -> str:
    """`text` (str or UTF-8 bytes) with punctuation as spaces, whitespace collapsed, lowercased if asked.

    Example:
        >>> normalize_caption(b"A man's  hat, on a table.")
        'a man s hat on a table'
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = " ".join(str(text).translate(_PUNCTUATION).split())
    return text.lower() if lowercase else text


def bleu_4(hypotheses: list[str], references: list[list[str]]) -> float:
    """Corpus BLEU-4 (0-100, sacreBLEU, no further tokenization); images may have different numbers of references.

    Example:
        >>> round(bleu_4(["a dog runs on the grass"], [["a cat", "a dog runs on the grass"]]), 6)
        100.0
    """
    import sacrebleu

    # sacreBLEU reads one stream per reference position; None marks an image with fewer references
    streams = [[refs[i] if i < len(refs) else None for refs in references] for i in range(max(map(len, references)))]
    return float(sacrebleu.corpus_bleu(hypotheses, streams, tokenize="none").score)


def _ngram_counts(caption: str) -> Counter:
    words = caption.split()
    return Counter(tuple(words[i:i + n]) for n in range(1, _ORDER + 1) for i in range(len(words) - n + 1))


def cider_d(hypotheses: list[str], references: list[list[str]]) -> float:
    """CIDEr-D averaged over images, as pycocoevalcap's `Cider` computes it.

    Example:
        >>> round(cider_d(["a dog runs", "a red bus"], [["a dog runs"], ["a cat sleeps", "a bus"]]), 4)
        4.1858
    """
    hypothesis_counts = [_ngram_counts(h) for h in hypotheses]
    reference_counts = [[_ngram_counts(r) for r in refs] for refs in references]
    document_frequency = Counter(ngram for refs in reference_counts for ngram in set().union(*refs))
    log_images = math.log(len(references))

    def vector(counts):  # TF-IDF weights, their norm per n-gram order, and the length as pycocoevalcap counts it
        weights = {g: c * (log_images - math.log(max(1, document_frequency[g]))) for g, c in counts.items()}
        norms = [math.sqrt(sum(w * w for g, w in weights.items() if len(g) == n)) for n in range(1, _ORDER + 1)]
        return weights, norms, sum(c for g, c in counts.items() if len(g) == 2)  # bigrams, not words

    total = 0.0
    for hypothesis, refs in zip(hypothesis_counts, reference_counts):
        weights, norms, length = vector(hypothesis)
        for reference in refs:
            ref_weights, ref_norms, ref_length = vector(reference)
            penalty = math.exp(-((length - ref_length) ** 2) / (2 * _SIGMA**2))
            for n in range(1, _ORDER + 1):
                dot = sum(min(w, ref_weights.get(g, 0.0)) * ref_weights.get(g, 0.0)
                          for g, w in weights.items() if len(g) == n)
                norm = norms[n - 1] * ref_norms[n - 1]
                total += (dot / norm if norm else dot) * penalty * 10 / _ORDER / len(refs)
    return total / len(references)


def rouge_l(hypotheses: list[str], references: list[list[str]]) -> float:
    """ROUGE-L averaged over images, as pycocoevalcap's `Rouge` computes it (best precision and recall, beta 1.2).

    Example:
        >>> round(rouge_l(["a dog runs"], [["a dog", "the dog runs fast"]]), 4)
        0.8299
    """
    total = 0.0
    for hypothesis, refs in zip(hypotheses, references):
        words = hypothesis.split(" ")
        candidates = [(lcs_length(words, r.split(" ")), len(r.split(" "))) for r in refs]
        precision = max(common for common, _ in candidates) / len(words)
        recall = max(common / length for common, length in candidates)
        if precision and recall:
            total += (1 + _BETA**2) * precision * recall / (recall + _BETA**2 * precision)
    return total / len(references)


def exact_match(hypotheses: list[str], references: list[list[str]]) -> float:
    """Share of hypotheses equal to any of their references.

    Example:
        >>> exact_match(["a dog", "a cat"], [["the dog", "a dog"], ["a bus"]])
        0.5
    """
    return sum(h in refs for h, refs in zip(hypotheses, references)) / len(references)


def caption_scores(hypotheses, references, lowercase: bool = True) -> dict[str, float]:
    """bleu_4, cider_d, rouge_l and exact_match of captions (str or bytes) against references per image.

    A single str or bytes in place of an image's list of references counts as its only reference.

    Example:
        >>> caption_scores(["a dog runs"], ["A dog runs."])["exact_match"]
        1.0
    """
    hypotheses = [normalize_caption(h, lowercase) for h in hypotheses]
    references = [[normalize_caption(r, lowercase) for r in ([refs] if isinstance(refs, (str, bytes)) else refs)]
                  for refs in references]
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} generated captions for {len(references)} images with references")
    if not all(references):
        raise ValueError("every image needs at least one reference caption")
    if not references:
        return {"bleu_4": math.nan, "cider_d": math.nan, "rouge_l": math.nan, "exact_match": math.nan}
    return {"bleu_4": bleu_4(hypotheses, references), "cider_d": cider_d(hypotheses, references),
            "rouge_l": rouge_l(hypotheses, references), "exact_match": exact_match(hypotheses, references)}
