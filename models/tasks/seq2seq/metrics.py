"""Scores of generated texts against reference texts: exact match, BLEU and chrF (sacreBLEU) and ROUGE-L.

Texts are compared after `normalize` (runs of whitespace as one space, ends stripped; lowercased when the
tokenizer lowercases, since the model can then only write lowercase). BLEU and chrF are sacreBLEU's corpus
scores (0-100); ROUGE-L is the mean per-text F-measure of the longest common subsequence of whitespace words
(0-1); exact match is the share of texts equal to their reference (0-1).

Example:
    >>> scores = text_scores(["312", "7 000"], ["312", "7000"])
    >>> scores["exact_match"], round(scores["rouge_l"], 3)
    (0.5, 0.5)
"""

from __future__ import annotations


def normalize(text, lowercase: bool = False) -> str:
    """`text` (str or UTF-8 bytes) with runs of whitespace as one space, stripped, lowercased if asked.

    Example:
        >>> normalize(b"  Twenty   one ", lowercase=True)
        'twenty one'
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = " ".join(str(text).split())
    return text.lower() if lowercase else text


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two word lists.

    Example:
        >>> lcs_length("a b c d".split(), "a c d e".split())
        3
    """
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F-measure (beta 1) of one text: LCS of words over the lengths of both.

    Example:
        >>> round(rouge_l("the cat sat", "the cat sat down"), 4)
        0.8571
    """
    a, b = hypothesis.split(), reference.split()
    if not a or not b:
        return float(a == b)
    common = lcs_length(a, b)
    if common == 0:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def text_scores(hypotheses, references, lowercase: bool = False) -> dict[str, float]:
    """exact_match, bleu, chrf and rouge_l of hypotheses against references (one reference each).

    Example:
        >>> sorted(text_scores(["a b"], ["a b"]))
        ['bleu', 'chrf', 'exact_match', 'rouge_l']
    """
    import sacrebleu

    hypotheses = [normalize(h, lowercase) for h in hypotheses]
    references = [normalize(r, lowercase) for r in references]
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} generated texts for {len(references)} references")
    if not references:
        return {"exact_match": float("nan"), "bleu": float("nan"), "chrf": float("nan"), "rouge_l": float("nan")}
    return {
        "exact_match": sum(h == r for h, r in zip(hypotheses, references)) / len(references),
        "bleu": float(sacrebleu.corpus_bleu(hypotheses, [references]).score),
        "chrf": float(sacrebleu.corpus_chrf(hypotheses, [references]).score),
        "rouge_l": sum(rouge_l(h, r) for h, r in zip(hypotheses, references)) / len(references),
    }
