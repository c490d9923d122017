"""Regression errors: MAE, RMSE, R^2 and MAPE of predictions against the truth.

Example:
    >>> import numpy as np
    >>> errors = regression_errors(np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 4.0]))
    >>> {k: round(v, 3) for k, v in errors.items()}
    {'mae': 0.333, 'rmse': 0.577, 'r2': 0.786, 'mape': 16.667}
"""

from __future__ import annotations

import numpy as np


def regression_errors(truth: np.ndarray, predicted: np.ndarray, prefix: str = "") -> dict[str, float]:
    """MAE, RMSE, R^2 and MAPE (in percent, over the rows whose truth is not 0)."""
    error = predicted - truth
    spread = float(np.sum((truth - truth.mean()) ** 2))
    nonzero = truth != 0
    return {
        f"{prefix}mae": float(np.mean(np.abs(error))),
        f"{prefix}rmse": float(np.sqrt(np.mean(error ** 2))),
        f"{prefix}r2": float(1 - np.sum(error ** 2) / spread) if spread else 0.0,
        f"{prefix}mape": float(100 * np.mean(np.abs(error[nonzero] / truth[nonzero]))) if nonzero.any() else 0.0,
    }
