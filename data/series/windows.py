"""Windows cut from time series: a history of every value, and the target's next values to forecast.

For each series s, `windows` cuts one window per target start t, for t from
max(start[s], history) to end[s] - horizon in steps of `stride`:

- the targets are value 0 (the target) of steps [t, t + horizon), all inside
  the span [start[s], end[s]);
- the history is every value (target and covariates) of steps
  [t - history, t), the steps just before the targets; with timestamps, the
  windows' `timestamps` (N, history) are the times of those steps;
- the future is the values known in advance (`KNOWN_ROLES` in
  `examples.columns`: known covariates, calendar features) of the target
  steps [t, t + horizon), `future` (N, horizon, K); None when there are none.

No value at or after end[s] enters a window, so windows never straddle a
split boundary forward. Used with `data.series.split.TimeSplit.span`:

- training windows: span("train") = [0, validation_start): history and
  targets both lie inside the training span (a target starts at `history` at
  the earliest, where a full history exists);
- evaluation windows: span("validation") or span("test"): the targets lie in
  that span; the history of the first windows reaches back before it (into
  the training, or validation, span). That history is the past known at the
  time of the forecast, not leakage: no target of the span is ever an input
  of a window whose targets lie before it, and no later value is an input.

Example:
    >>> from data.examples import Examples
    >>> series = Examples([np.arange(10.0)], ["a"], kind="series")
    >>> cut = windows(series, history=3, horizon=2, stride=2, start=0, end=8)
    >>> cut.kind, cut.inputs.shape, cut.labels.tolist(), cut.groups.tolist()
    ('windows', (2, 3, 1), [[3.0, 4.0], [5.0, 6.0]], ['a', 'a'])
"""

from __future__ import annotations

import numpy as np

KNOWN_ROLES = ("known", "calendar")
"""Column roles whose values are known in advance, for the steps to forecast too."""


def windows(examples, history: int, horizon: int, stride: int = 1, start=None, end=None):
    """`windows` examples: float32 histories (N, history, F), targets (N, horizon), the series id of each.

    Args:
        examples: `series` examples.
        history: Steps of history before each window's targets (>= 1).
        horizon: Target steps to forecast (>= 1).
        stride: Steps between the target starts of neighbouring windows (>= 1).
        start: First step a target may take, one int for every series or
            one per series (S,); default 0 (in effect `history`).
        end: The step after the last a target may take, one int or one per
            series; default each series' length.

    A series in which no window fits is an error that names it and the steps
    a window needs.

    Example:
        >>> from data.examples import Examples
        >>> windows(Examples([np.arange(6.0)], ["a"], kind="series"), history=4, horizon=3)
        Traceback (most recent call last):
        ...
        ValueError: series 'a' is too short for one window: a window needs 4 history steps, then 3 target steps \
inside [0, 6), so the span must end at step 7 or later; the series has 6 steps
    """
    from numpy.lib.stride_tricks import sliding_window_view

    from data.examples import Examples

    if examples.kind != "series":
        raise ValueError(f"windows are cut from series examples, got {examples.kind}")
    for name, value in (("history", history), ("horizon", horizon), ("stride", stride)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    count = len(examples.inputs)
    lengths = np.array([len(values) for values in examples.inputs], dtype="int64")
    starts = _per_series(0 if start is None else start, count, "start")
    ends = lengths if end is None else _per_series(end, count, "end")
    known = [i for i, role in enumerate((examples.columns or {}).values()) if role in KNOWN_ROLES]
    inputs, labels, groups, times, future = [], [], [], [], []
    stamps = examples.timestamps if examples.timestamps is not None else [None] * count
    for values, series_id, length, first, stop, stamp in zip(examples.inputs, examples.labels, lengths, starts, ends,
                                                             stamps):
        if not 0 <= first <= stop <= length:
            raise ValueError(f"series {series_id!r}: the span [{first}, {stop}) must lie within its {length} steps")
        targets = np.arange(max(first, history), stop - horizon + 1, stride)
        if len(targets) == 0:
            need = max(first, history) + horizon
            raise ValueError(
                f"series {series_id!r} is too short for one window: a window needs {history} history steps, then "
                f"{horizon} target steps inside [{first}, {stop}), so the span must end at step {need} or later; "
                f"the series has {length} steps")
        cuts = sliding_window_view(values, history + horizon, axis=0)[targets - history]  # (n, F, history + horizon)
        inputs.append(cuts[:, :, :history].transpose(0, 2, 1))
        labels.append(cuts[:, 0, history:])
        future.append(cuts[:, known, history:].transpose(0, 2, 1))
        groups += [series_id] * len(targets)
        if stamp is not None:
            times.append(np.asarray(stamp)[(targets - history)[:, None] + np.arange(history)])
    width = examples.inputs[0].shape[1] if count else 0
    return Examples(
        np.concatenate(inputs) if inputs else np.zeros((0, history, width), "float32"),
        np.concatenate(labels) if labels else np.zeros((0, horizon), "float32"),
        kind="windows", groups=np.array(groups, dtype=object), columns=examples.columns, origin=examples.origin,
        timestamps=np.concatenate(times) if times else None,
        future=(np.concatenate(future) if future else np.zeros((0, horizon, len(known)), "float32")) if known else None,
    )


def _per_series(value, count: int, name: str) -> np.ndarray:
    """One int per series: `value` repeated, or `value` itself when it gives one per series."""
    values = np.asarray(value)
    if values.dtype.kind not in "iu" or values.ndim > 1:
        raise ValueError(f"{name} must be an integer step or one per series, got {value!r}")
    if values.ndim == 0:
        return np.full(count, int(values), dtype="int64")
    if len(values) != count:
        raise ValueError(f"{name} gives {len(values)} steps for {count} series")
    return values.astype("int64")
