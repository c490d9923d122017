"""The seasonal period of a series, from its autocorrelation.

Pass the training span only, so that the choice sees nothing of the
validation or test spans.

Example:
    >>> steps = np.arange(240)
    >>> seasonal_period(np.sin(2 * np.pi * steps / 12), max_period=50)
    12
    >>> seasonal_period(np.random.default_rng(0).normal(size=240), max_period=50) is None
    True
"""

from __future__ import annotations

import numpy as np


def seasonal_period(values, max_period: int) -> int | None:
    """The first significant autocorrelation peak at a lag in [2, max_period], or None when there is none.

    The series (1-D) is detrended by a least-squares line first. A lag k is a
    peak when its autocorrelation is the highest of the lags within k/10 of it
    (at least its two neighbours), so that a bump on the way up is no peak; it is
    significant when it exceeds twice the 95% bound 1.96 / sqrt(n) of white
    noise (which keeps chance peaks of noise out, over all the lags tried) and
    rises above the lowest autocorrelation at a smaller lag by as much (so that
    noise on the slope down from lag 0 does not count). A series shorter than
    4 steps, or a constant one, has no period.

    Example:
        >>> hourly = np.arange(24 * 21)
        >>> seasonal_period(3 * np.sin(2 * np.pi * hourly / 24) + np.sin(2 * np.pi * hourly / 168), max_period=200)
        24
    """
    values = np.asarray(values, dtype="float64").reshape(-1)
    n = len(values)
    if n < 4 or max_period < 2:
        return None
    steps = np.arange(n)
    residual = values - np.polyval(np.polyfit(steps, values, 1), steps)
    energy = float(residual @ residual)
    if energy <= 1e-12 * n:
        return None
    lags = min(max_period + max(1, max_period // 10), n - 1)
    acf = np.array([residual[: n - k] @ residual[k:] / energy for k in range(lags + 1)])
    bound = 1.96 / np.sqrt(n)
    for k in range(2, min(max_period, lags - 1) + 1):
        width = max(1, k // 10)
        is_peak = acf[k] >= acf[max(1, k - width):k + width + 1].max()
        if is_peak and min(acf[k], acf[k] - acf[1:k].min()) > 2 * bound:
            return k
    return None
