"""Plots of forecasts: history, forecast and truth (with the interval) per series, and the error by horizon step.

Example:
    >>> import numpy as np
    >>> fig = forecast_panels(np.arange(8.0)[None], np.array([[8.0, 9.0]]), np.array([[8.2, 8.7]]), ["a"])
    >>> fig = errors_by_step({"model": np.array([1.0, 2.0]), "last value": np.array([1.5, 2.5])}, "MASE")
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def forecast_panels(histories: np.ndarray, truth: np.ndarray, predicted: np.ndarray, titles: list[str],
                    low: np.ndarray | None = None, high: np.ndarray | None = None):
    """One panel per window: its target history, then the truth and the forecast (and interval) over the horizon.

    `histories` [n, history], `truth`, `predicted`, `low` and `high` [n, horizon].
    """
    count = len(histories)
    columns = min(count, 2) or 1
    rows = math.ceil(count / columns) or 1
    fig, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, 3 * rows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index >= count:
            ax.axis("off")
            continue
        past = np.arange(-histories.shape[1], 0)
        future = np.arange(truth.shape[1])
        ax.plot(past, histories[index], color="tab:gray", label="history")
        ax.plot(future, truth[index], color="black", label="truth")
        ax.plot(future, predicted[index], color="tab:blue", label="forecast")
        if low is not None and high is not None:
            ax.fill_between(future, low[index], high[index], color="tab:blue", alpha=0.2, label="interval")
        ax.axvline(-0.5, color="tab:gray", linestyle=":", linewidth=1)
        ax.set_title(titles[index])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Held-out forecasts (the last window of each series shown)")
    fig.tight_layout()
    return fig


def errors_by_step(errors: dict[str, np.ndarray], what: str):
    """The error of each forecaster at each horizon step, one line each."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, values in errors.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, label=name)
    ax.set_xlabel("horizon step")
    ax.set_ylabel(what)
    ax.set_title(f"{what} by horizon step (held-out split)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
