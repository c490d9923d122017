"""Forecast errors and the naive forecasts they are measured against, on the same windows.

Every forecast here is an array [windows, horizon] in the target's own units.
MASE divides the absolute error by each series' in-sample seasonal-naive error
on its training span (`naive_scale`), so a MASE below 1 beats repeating the
last season there; the baselines are computed on the very windows the model
forecasts, from their own histories.

Example:
    >>> import numpy as np
    >>> histories = np.array([[[1.0], [2.0], [3.0], [4.0]]])
    >>> last_value(histories, 2).tolist(), seasonal_naive(histories, 3, season=2).tolist()
    ([[4.0, 4.0]], [[3.0, 4.0, 3.0]])
    >>> errors = forecast_errors(np.array([[5.0, 6.0]]), np.array([[4.0, 4.0]]), scale=np.array([1.0]))
    >>> {k: round(float(v), 3) for k, v in errors.items()}
    {'mae': 1.5, 'rmse': 1.581, 'smape': 0.311, 'mase': 1.5}
"""

from __future__ import annotations

import numpy as np


def last_value(histories: np.ndarray, horizon: int) -> np.ndarray:
    """The last observed target value, repeated over the horizon."""
    return np.repeat(histories[:, -1:, 0], horizon, axis=1)


def seasonal_naive(histories: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The value one season earlier (the last observed season, repeated); needs `season` <= history length."""
    if season > histories.shape[1]:
        raise ValueError(f"a seasonal-naive forecast of season {season} needs at least {season} steps of history, "
                         f"the windows have {histories.shape[1]}")
    last_season = histories[:, -season:, 0]
    return last_season[:, np.arange(horizon) % season]


def naive_scale(values: np.ndarray, season: int) -> float:
    """Mean absolute change over `season` steps of a training span (MASE's denominator); 1 when it is 0.

    Example:
        >>> naive_scale(np.array([1.0, 3.0, 1.0, 3.0]), season=2), naive_scale(np.array([1.0, 3.0]), season=1)
        (1.0, 2.0)
    """
    values = np.asarray(values, "float64")
    lag = season if len(values) > season else 1
    change = np.abs(values[lag:] - values[:-lag]) if len(values) > lag else np.zeros(0)
    scale = float(change.mean()) if len(change) else 0.0
    return scale if scale > 0 else 1.0


def forecast_errors(truth: np.ndarray, predicted: np.ndarray, scale: np.ndarray, axis=None) -> dict:
    """MAE, RMSE, sMAPE (0-2) and MASE of forecasts [windows, horizon]; `scale` is each window's series' naive scale.

    `axis=0` gives them per horizon step (arrays [horizon]); None, over everything.
    """
    error = np.asarray(predicted, "float64") - np.asarray(truth, "float64")
    denominator = np.abs(truth) + np.abs(predicted)
    ratio = np.divide(2 * np.abs(error), denominator, out=np.zeros_like(error), where=denominator > 0)
    return {
        "mae": np.mean(np.abs(error), axis=axis),
        "rmse": np.sqrt(np.mean(error**2, axis=axis)),
        "smape": np.mean(ratio, axis=axis),
        "mase": np.mean(np.abs(error) / np.asarray(scale, "float64")[:, None], axis=axis),
    }


def interval_coverage(truth: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """The share of true values inside [low, high] (the empirical coverage of a prediction interval).

    Example:
        >>> interval_coverage(np.array([[1.0, 5.0]]), np.array([[0.0, 0.0]]), np.array([[2.0, 2.0]]))
        0.5
    """
    return float(np.mean((truth >= low) & (truth <= high)))


def step_table(by_step: dict[str, dict[str, np.ndarray]]) -> str:
    """CSV: one row per horizon step, the MAE and MASE of each forecaster.

    Example:
        >>> step_table({"model": {"mae": np.array([1.0]), "mase": np.array([0.5])}}).splitlines()
        ['step,model_mae,model_mase', '1,1,0.5']
    """
    names = list(by_step)
    header = ["step", *(f"{name.replace(' ', '_')}_{what}" for name in names for what in ("mae", "mase"))]
    steps = len(next(iter(by_step.values()))["mae"])
    rows = [",".join(header)]
    for step in range(steps):
        values = [f"{by_step[name][what][step]:.6g}" for name in names for what in ("mae", "mase")]
        rows.append(",".join([str(step + 1), *values]))
    return "\n".join(rows) + "\n"
