"""One series on a regular time grid: gaps, duplicate and off-grid times and missing values reported, then filled.

A series read from a table may have gaps (times missing at its frequency),
duplicate timestamps, timestamps off the grid and missing values (NaN).
`regularize` sorts it by time, reports each kind of problem with its count and
first places (on stderr, naming the series) and applies the `missing` policy:

- interpolate: duplicate timestamps are averaged; each column's value at every
  grid time is interpolated in time from the observations around it
  (off-grid observations included);
- ffill: duplicates averaged; each grid time takes the last observation at or
  before it;
- error: any of these problems raises a ValueError naming the series and the
  first place, and saying how many there are.

With both fill policies, the times before a column's first observation take
that observation. Without timestamps (plain steps in file order) only missing
values can be found; they are filled along the steps the same way.

Filling runs on the whole series, before any split: interpolate fills a gap
from the observations on both sides, so a gap just before a split boundary
borrows from the later span; ffill looks only back (strictly causal).

Example:
    >>> times = np.array(["2024-01-01T00", "2024-01-01T01", "2024-01-01T03"], "datetime64[ns]")
    >>> values, grid = regularize(np.array([[1.0], [2.0], [4.0]]), times, names=["y"], where="toy")
    >>> values[:, 0].tolist(), [str(t)[11:16] for t in grid]
    ([1.0, 2.0, 3.0, 4.0], ['00:00', '01:00', '02:00', '03:00'])

    stderr then says `toy: 1 missing step at frequency h (2024-01-01 02:00:00); interpolated`.
"""

from __future__ import annotations

import sys
from typing import Literal

import numpy as np

Missing = Literal["interpolate", "ffill", "error"]
"""What to do with gaps, duplicate or off-grid timestamps and missing values."""

PLACES = 3
"""How many first places a report names."""

_DONE = {"interpolate": "interpolated", "ffill": "forward-filled"}


def regularize(values, times=None, *, names, where: str, frequency=None, missing: Missing = "interpolate"):
    """The series on its regular grid, filled: float32 values [T', F] and the grid's datetime64[ns] times (or None).

    Args:
        values: [T, F] numbers in file order, NaN where missing.
        times: [T] datetime64 of each row, or None for plain steps.
        names: The name of each of the F values, for messages.
        where: The series in messages, e.g. "time_series: demand.csv series 'a'".
        frequency: A pandas offset alias ("h", "D", "W-SAT", "MS"), or None to
            infer it from the most common step (`frequency_of`).
        missing: interpolate | ffill | error (see the module docstring).

    Example:
        >>> regularize(np.array([[1.0], [np.nan], [3.0]]), names=["y"], where="toy")[0][:, 0].tolist()
        [1.0, 2.0, 3.0]
    """
    import pandas as pd

    frame = pd.DataFrame(np.asarray(values, dtype="float64"), columns=list(names))
    if times is None:
        grid, problems = None, []
    else:
        frame.index = pd.DatetimeIndex(times)
        frame = frame.sort_index(kind="stable")
        problems = [("duplicate timestamp", "", frame.index[frame.index.duplicated()])]
        frame = frame.groupby(level=0).mean()
        offset = frequency_of(frame.index, frequency, where)
        grid = _grid(frame.index, offset, where)
        name = getattr(offset, "freqstr", None)
        problems += [("timestamp", f" off the {name} grid", frame.index[~frame.index.isin(grid)]),
                     ("missing step", f" at frequency {name}", grid[~grid.isin(frame.index)])]
    problems += [("missing value", f" of {column!r}", frame.index[frame[column].isna().to_numpy()])
                 for column in frame.columns]
    _report([p for p in problems if len(p[2])], missing, where)
    if grid is not None:
        frame = frame.reindex(grid.union(frame.index))
    if missing == "ffill":
        frame = frame.ffill().bfill()
    else:
        frame = frame.interpolate(method="linear" if grid is None else "time", limit_direction="both")
    if grid is not None:
        frame = frame.reindex(grid)
    empty = [column for column in frame.columns if frame[column].isna().any()]
    if empty:
        raise ValueError(f"{where}: {', '.join(map(repr, empty))} has no values to fill from")
    return frame.to_numpy("float32"), None if grid is None else grid.to_numpy().astype("datetime64[ns]")


def frequency_of(times, frequency: str | None = None, where: str = "series"):
    """The pandas offset named by `frequency`, else the one inferred from the most common step of `times`.

    `times` are sorted and unique. Steps of 28-31, 89-92 or 365-366 days give
    1, 3 or 12 months: month starts ("MS", "3MS", "12MS") when every time is a
    month start, month ends ("ME", ...) when every time is one, else whole
    months from the first time. Other steps give fixed offsets ("h", "168h").
    None when there is one time and no `frequency`.

    Example:
        >>> import pandas as pd
        >>> frequency_of(pd.DatetimeIndex(["2024-01-01", "2024-02-01", "2024-04-01"])).freqstr
        'MS'
        >>> frequency_of(pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 03:00"])).freqstr
        'h'
    """
    import pandas as pd
    from pandas.tseries.frequencies import to_offset

    if frequency is not None:
        try:
            return to_offset(frequency)
        except ValueError:
            raise ValueError(f"{where}: frequency {frequency!r} is not a pandas offset alias "
                             "(e.g. min, h, D, W-SAT, MS, QS, YS)") from None
    if len(times) < 2:
        return None
    step = pd.Series(times[1:] - times[:-1]).mode().iloc[0]
    days = step / pd.Timedelta(days=1)
    for months, low, high in ((1, 28, 31), (3, 89, 92), (12, 365, 366)):
        if low <= days <= high:
            if times.is_month_start.all():
                return to_offset(f"{months}MS")
            if times.is_month_end.all():
                return to_offset(f"{months}ME")
            return pd.DateOffset(months=months)
    return to_offset(step)


def _grid(times, offset, where: str):
    """The regular times from the first to the last of `times` at `offset`; an error if there would be far too many."""
    import pandas as pd

    if offset is None:
        return times
    first, last = times[0], times[-1]
    two = pd.date_range(first, periods=2, freq=offset)
    steps = (last - first) / (two[1] - two[0]) + 1
    if steps > 10 * len(times) + 1000:
        raise ValueError(f"{where}: {len(times)} timestamps from {first} to {last} would make {int(steps)} steps at "
                         f"frequency {getattr(offset, 'freqstr', offset)}; check the timestamps or set frequency")
    return pd.date_range(first, last, freq=offset)


def _report(problems: list, missing: Missing, where: str) -> None:
    """Print the problems found (count and first places of each) with what was done, or raise under `error`."""
    if not problems:
        return
    parts = []
    for noun, qualifier, places in problems:
        shown = ", ".join(map(_place, places[:PLACES])) + (", ..." if len(places) > PLACES else "")
        parts.append(f"{len(places)} {noun}{'s' * (len(places) != 1)}{qualifier} ({shown})")
    if missing == "error":
        first = min(places[0] for _, _, places in problems)
        raise ValueError(f"{where}: {'; '.join(parts)}; the first at {_place(first)}; "
                         "set missing: interpolate or ffill to fill them")
    print(f"{where}: {'; '.join(parts)}; {_DONE[missing]}", file=sys.stderr)


def _place(place) -> str:
    """A time as pandas prints it, or a plain step as 'step N' (0-based)."""
    return f"step {place}" if isinstance(place, (int, np.integer)) else str(place)
