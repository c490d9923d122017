"""The copy baseline: answer each source with the source itself.

A sequence-to-sequence model that does not beat it has learned nothing about the mapping (for a task that
edits its input, such as spelling correction, copying already scores high). Its scores use the same
`text_scores` as the model's, under `test_copy_baseline_<score>`.

Example:
    >>> copy_baseline(["one", "7"], ["1", "7"])["test_copy_baseline_exact_match"]
    0.5
"""

from __future__ import annotations

from models.tasks.seq2seq.metrics import text_scores


def copy_baseline(sources, targets, lowercase: bool = False) -> dict[str, float]:
    """`test_copy_baseline_<score>` for every score of `text_scores`, the sources taken as the generations.

    Example:
        >>> sorted(copy_baseline(["a"], ["b"]))[:2]
        ['test_copy_baseline_bleu', 'test_copy_baseline_chrf']
    """
    return {f"test_copy_baseline_{name}": value for name, value in text_scores(sources, targets, lowercase).items()}
