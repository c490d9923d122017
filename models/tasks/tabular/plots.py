"""Plots of a regression's held-out answers: predicted against actual, and the residuals.

Example:
    >>> import numpy as np
    >>> fig = predicted_vs_actual(np.array([1.0, 2.0]), np.array([1.1, 1.9]))
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def predicted_vs_actual(truth: np.ndarray, predicted: np.ndarray, title: str = "held-out split"):
    """Predictions against the truth, with the diagonal a perfect model would lie on.

    Example:
        >>> fig = predicted_vs_actual(np.array([1.0, 2.0, 3.0]), np.array([1.1, 1.8, 3.3]))
    """
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(truth, predicted, s=10, alpha=0.6, color="tab:blue")
    low, high = float(min(truth.min(), predicted.min())), float(max(truth.max(), predicted.max()))
    ax.plot([low, high], [low, high], color="tab:gray", linestyle="--", linewidth=1)
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.set_title(f"Predicted vs actual ({title})")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def residuals(truth: np.ndarray, predicted: np.ndarray, title: str = "held-out split"):
    """Residuals (predicted - actual) against the prediction, and their histogram.

    Example:
        >>> fig = residuals(np.array([1.0, 2.0, 3.0]), np.array([1.1, 1.8, 3.3]))
    """
    error = predicted - truth
    fig, (scatter, histogram) = plt.subplots(1, 2, figsize=(9, 4))
    scatter.scatter(predicted, error, s=10, alpha=0.6, color="tab:blue")
    scatter.axhline(0, color="tab:gray", linestyle="--", linewidth=1)
    scatter.set_xlabel("predicted")
    scatter.set_ylabel("residual (predicted - actual)")
    histogram.hist(error, bins=30, color="tab:blue", alpha=0.8)
    histogram.set_xlabel("residual")
    histogram.set_ylabel("rows")
    fig.suptitle(f"Residuals ({title})")
    fig.tight_layout()
    return fig
