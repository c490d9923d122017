"""Forecasting with values known in advance and target lags: the options, the model's inputs and the CSV client."""

import numpy as np
import pytest
from pydantic import ValidationError

from models.tasks.forecasting.model import TargetLags, build_forecaster
from models.tasks.forecasting.head import ForecastingHead
from models.tasks.series_csv import write_series_csv
from serving.series_client import read_series_csv


def test_lags_must_be_known_for_every_forecast_step_and_fit_the_history():
    assert ForecastingHead(horizon=24, lags=[24, 168]).lags == [24, 168]
    with pytest.raises(ValidationError, match=r"lags \[12\] are shorter than the horizon \(24\)"):
        ForecastingHead(horizon=24, lags=[12, 168])
    with pytest.raises(ValidationError, match="lag 168 reaches before the history of 48 steps"):
        ForecastingHead(horizon=24, history=48, lags=[168])


def test_target_lags_read_the_value_lag_steps_before_each_forecast_step():
    history = np.arange(10, dtype="float32").reshape(1, 10, 1)  # step t holds t; forecast steps are 10, 11, 12
    lags = TargetLags([3, 5], horizon=3)(history).numpy()
    np.testing.assert_array_equal(lags[0], [[7, 5], [8, 6], [9, 7]])


def test_the_known_future_changes_the_forecast_and_lags_make_no_input():
    import keras

    keras.utils.set_random_seed(0)
    backbone = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(4)])
    model = build_forecaster(backbone, history=12, features=2, horizon=3, future=1, known=1, lags=[6])
    assert sorted(model.input) == ["future", "history"]
    history = np.random.default_rng(0).normal(size=(2, 12, 2)).astype("float32")
    plain = model({"history": history, "future": np.zeros((2, 3, 1), "float32")}).numpy()
    planned = model({"history": history, "future": np.ones((2, 3, 1), "float32")}).numpy()
    assert plain.shape == (2, 3) and not np.allclose(plain, planned)
    lagged = build_forecaster(backbone, history=12, features=2, horizon=3, lags=[3, 12])
    assert lagged(history).shape == (2, 3)


def test_a_series_csv_carries_the_known_future_in_rows_without_a_target(tmp_path):
    seconds = 1_700_000_000 + 3600 * np.arange(3)
    path = write_series_csv(np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0]]), ["demand", "promotion"], tmp_path,
                            seconds, future=np.array([[1.0], [0.0]]))
    lines = path.read_text().splitlines()
    assert lines[-1].endswith(",,0") and lines[-2].endswith(",,1")
    values, times, ahead = read_series_csv(path)
    assert values.tolist() == [[1, 0], [2, 1], [3, 0]] and times.tolist() == seconds.tolist()
    assert np.isnan(ahead[:, 0]).all() and ahead[:, 1].tolist() == [1, 0]
    path.write_text("demand,promotion\n1,0\n,x\n")
    with pytest.raises(ValueError, match=r"row 3, column 'promotion': 'x' is not a number"):
        read_series_csv(path)


def test_the_epoch_mase_is_the_mean_scaled_error_not_a_weighted_mae():
    from models.tasks.forecasting.model import ScaledError

    metric = ScaledError()
    truth, guess = np.zeros((2, 3), "float32"), np.array([[1, 1, 1], [10, 10, 10]], "float32")
    metric.update_state(truth, guess, sample_weight=np.array([1.0, 0.1], "float32"))
    assert float(metric.result()) == pytest.approx((1 * 1 + 10 * 0.1) / 2)   # a weighted mean would give 1.82
    quantile = ScaledError(median_index=1)
    quantile.update_state(truth, np.stack([guess - 1, guess, guess + 1], -1), sample_weight=np.array([1.0, 0.1]))
    assert float(quantile.result()) == pytest.approx(1.0)
