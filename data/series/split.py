"""Train / validation / test spans of time series: validation and test are the last spans of each series.

Nothing is shuffled: in each series the training span comes first, then the
validation span, then the test span (the last steps). `data.series.windows`
cuts windows inside each span.

Example:
    >>> import numpy as np
    >>> from data.examples import Examples
    >>> series = Examples([np.arange(10.0), np.arange(20.0)], ["a", "b"], kind="series")
    >>> split = time_split(series, validation=0.2, test=2)
    >>> split.validation_start.tolist(), split.test_start.tolist()
    ([6, 14], [8, 18])
    >>> [part.tolist() for part in split.span("validation")]
    [[6, 14], [8, 18]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PARTS = ("train", "validation", "test")


@dataclass(frozen=True)
class TimeSplit:
    """Where each series' validation and test spans start, in steps.

    Attributes:
        ids: (S,) the series ids, as in the examples' labels.
        lengths: (S,) the number of steps of each series.
        validation_start: (S,) the first validation step; training is [0, validation_start).
        test_start: (S,) the first test step; validation is [validation_start, test_start),
            test is [test_start, length).
    """

    ids: np.ndarray
    lengths: np.ndarray
    validation_start: np.ndarray
    test_start: np.ndarray

    def span(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) per series of `part` (train, validation or test): its steps are [start, end)."""
        bounds = {
            "train": (np.zeros_like(self.lengths), self.validation_start),
            "validation": (self.validation_start, self.test_start),
            "test": (self.test_start, self.lengths),
        }
        if part not in bounds:
            raise ValueError(f"part must be one of {', '.join(PARTS)}, got {part!r}")
        return bounds[part]


def time_split(examples, validation: float | int, test: float | int) -> TimeSplit:
    """The last spans of each series of `series` examples: test last, validation just before it.

    `validation` and `test` are each a fraction of every series' length (a
    float in [0, 1); a non-zero fraction keeps at least one step) or a number
    of steps (an int >= 0). Every series must keep at least one training step.

    Example:
        >>> from data.examples import Examples
        >>> time_split(Examples([np.zeros(5)], ["a"], kind="series"), validation=3, test=2)
        Traceback (most recent call last):
        ...
        ValueError: series 'a' has 5 steps: validation 3 and test 2 steps leave none for training
    """
    if examples.kind != "series":
        raise ValueError(f"time_split cuts series examples, got {examples.kind}")
    lengths = np.array([len(values) for values in examples.inputs], dtype="int64")
    validation_steps = _steps(validation, lengths, "validation")
    test_steps = _steps(test, lengths, "test")
    for series_id, length, held_val, held_test in zip(examples.labels, lengths, validation_steps, test_steps):
        if held_val + held_test >= length:
            raise ValueError(f"series {series_id!r} has {length} steps: validation {held_val} and test {held_test} "
                             "steps leave none for training")
    test_start = lengths - test_steps
    return TimeSplit(np.asarray(examples.labels), lengths, test_start - validation_steps, test_start)


def _steps(amount: float | int, lengths: np.ndarray, what: str) -> np.ndarray:
    """Steps held out of each series for `what`: a fraction of its length (at least 1 if non-zero) or a count."""
    if isinstance(amount, (bool, np.bool_)) or not isinstance(amount, (int, float, np.integer, np.floating)):
        raise ValueError(f"{what} must be a fraction in [0, 1) or a number of steps, got {amount!r}")
    if isinstance(amount, (int, np.integer)):
        if amount < 0:
            raise ValueError(f"{what} must be a number of steps >= 0, got {amount}")
        return np.full(len(lengths), int(amount), dtype="int64")
    if not 0 <= amount < 1:
        raise ValueError(f"{what} must be a fraction in [0, 1) of each series, or an int number of steps, got {amount}")
    steps = np.round(amount * lengths).astype("int64")
    return np.maximum(steps, 1) if amount > 0 else steps
