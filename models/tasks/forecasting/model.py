"""The forecasting model: a history window in the target's units in, the next `horizon` values out.

`build_forecaster` wraps a time-series backbone:

1. `WindowScaling` scales every window by its own mean and deviation per value
   (instance normalization, as RevIN does): series of any level and scale look
   alike to the backbone, and nothing is learned from other spans of the data;
2. the backbone reads the scaled window and gives a feature vector;
3. a dense layer gives the horizon (times the quantiles), plus, with
   `linear: true`, a linear map of the scaled target history (the NLinear
   idea: the model starts as a strong linear forecaster and learns the rest);
4. quantile forecasts are sorted (`SortedQuantiles`), so they never cross;
5. `WindowUnscaling` puts the target's mean and deviation back, so the model
   (and the export) answers in the target's own units.

With values known in advance (a `future` input [batch, horizon, known +
calendar]: known covariates in their units, scaled by their own window
statistics by `FutureScaling`, then calendar columns) or target `lags`
(`TargetLags`: the scaled target `lag` steps before each forecast step), each
forecast step also gets a small dense network of its own features and the
backbone's, added before the unscaling (the step's planned price, its hour,
the value a week before it).

Example:
    >>> import keras
    >>> backbone = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(4)])
    >>> model = build_forecaster(backbone, history=12, features=2, horizon=3)
    >>> tuple(model(np.ones((2, 12, 2), "float32")).shape)
    (2, 3)
    >>> planned = build_forecaster(backbone, history=12, features=2, horizon=3, future=1, known=1, lags=[4])
    >>> tuple(planned({"history": np.ones((2, 12, 2), "float32"), "future": np.ones((2, 3, 1), "float32")}).shape)
    (2, 3)
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

EPSILON = 1e-5
"""Added to a window's deviation, so a flat window scales to zeros rather than NaN."""


@keras.saving.register_keras_serializable(package="kpipe")
class WindowScaling(keras.layers.Layer):
    """[batch, time, values] -> (scaled windows, each value's mean [batch, 1, values], deviation [batch, 1, values])."""

    def call(self, windows):
        mean = ops.mean(windows, axis=1, keepdims=True)
        deviation = ops.sqrt(ops.var(windows, axis=1, keepdims=True) + EPSILON)
        return (windows - mean) / deviation, mean, deviation


@keras.saving.register_keras_serializable(package="kpipe")
class WindowUnscaling(keras.layers.Layer):
    """Scaled forecasts [batch, horizon, quantiles] back to the target's units with its window mean and deviation."""

    def call(self, scaled, mean, deviation):
        return scaled * deviation[:, :, :1] + mean[:, :, :1]


@keras.saving.register_keras_serializable(package="kpipe")
class SortedQuantiles(keras.layers.Layer):
    """Quantile forecasts [batch, horizon, quantiles] sorted along the quantiles, so they never cross."""

    def call(self, quantiles):
        return ops.sort(quantiles, axis=-1)


@keras.saving.register_keras_serializable(package="kpipe")
class TargetHistory(keras.layers.Layer):
    """[batch, time, values] -> the target's history [batch, time] (value 0 of every step)."""

    def call(self, windows):
        return windows[:, :, 0]


@keras.saving.register_keras_serializable(package="kpipe")
class CalendarColumns(keras.layers.Layer):
    """[batch, time, values + calendar] -> (the values, the last `count` calendar columns)."""

    def __init__(self, count: int, **kwargs):
        super().__init__(**kwargs)
        self.count = count

    def call(self, windows):
        return windows[:, :, :-self.count], windows[:, :, -self.count:]

    def get_config(self):
        return {**super().get_config(), "count": self.count}


@keras.saving.register_keras_serializable(package="kpipe")
class FutureScaling(keras.layers.Layer):
    """The known future [batch, horizon, known + calendar]: its first `known` columns scaled by the window
    statistics of the history's last `known` values (the same covariates), the calendar columns as they are."""

    def __init__(self, known: int, **kwargs):
        super().__init__(**kwargs)
        self.known = known

    def call(self, future, mean, deviation):
        if not self.known:
            return future
        known = (future[:, :, :self.known] - mean[:, :, -self.known:]) / deviation[:, :, -self.known:]
        return ops.concatenate([known, future[:, :, self.known:]], axis=-1)

    def get_config(self):
        return {**super().get_config(), "known": self.known}


@keras.saving.register_keras_serializable(package="kpipe")
class TargetLags(keras.layers.Layer):
    """Scaled windows [batch, time, values] -> [batch, horizon, len(lags)]: the target `lag` steps before each
    forecast step (every lag at least the horizon, at most the history, so each is in the window)."""

    def __init__(self, lags: list[int], horizon: int, **kwargs):
        super().__init__(**kwargs)
        self.lags, self.horizon = list(lags), horizon

    def call(self, scaled):
        length = scaled.shape[1]
        return ops.stack([scaled[:, length - lag:length - lag + self.horizon, 0] for lag in self.lags], axis=-1)

    def get_config(self):
        return {**super().get_config(), "lags": self.lags, "horizon": self.horizon}


STEP_UNITS = 32
"""Width of the dense layer that reads each forecast step's own features."""


def build_forecaster(backbone, *, history: int, features: int, horizon: int, quantiles: int = 1,
                     linear: bool = True, calendar: int = 0, future: int = 0, known: int = 0, lags=(),
                     name: str = "forecaster"):
    """A Keras model [batch, history, features] -> `forecast` [batch, horizon] (or [batch, horizon, quantiles]).

    The last `calendar` of the `features` are calendar columns (sin and cos, already in [-1, 1]): they reach
    the backbone as they are, after the scaled values. With `future` > 0 the model takes a dict
    {"history", "future" [batch, horizon, future]}: the `known` covariates (the history's last `known`
    values) at the forecast steps, then their calendar columns. `lags` are target lags, each in
    [horizon, history].
    """
    inputs = keras.Input((history, features), name="history")
    values, columns = CalendarColumns(calendar, name="calendar_columns")(inputs) if calendar else (inputs, None)
    scaled, mean, deviation = WindowScaling(name="window_scaling")(values)
    read = scaled if columns is None else keras.layers.Concatenate(name="with_calendar")([scaled, columns])
    summary = backbone(read)
    outputs = keras.layers.Dense(horizon * quantiles, dtype="float32", name="head")(summary)
    if linear:
        target = TargetHistory(name="target_history")(scaled)
        outputs = keras.layers.Add(name="with_linear")(
            [outputs, keras.layers.Dense(horizon * quantiles, dtype="float32", name="linear")(target)])
    outputs = keras.layers.Reshape((horizon, quantiles), name="by_step")(outputs)
    steps, model_inputs = [], inputs
    if future:
        planned = keras.Input((horizon, future), name="future")
        model_inputs = {"history": inputs, "future": planned}
        steps.append(FutureScaling(known, name="future_scaling")(planned, mean, deviation))
    if lags:
        steps.append(TargetLags(lags, horizon, name="target_lags")(scaled))
    if steps:
        steps.append(keras.layers.RepeatVector(horizon, name="summary_by_step")(summary))
        step = keras.layers.Concatenate(name="step_features")(steps)
        step = keras.layers.Dense(STEP_UNITS, activation="relu", name="step_hidden")(step)
        outputs = keras.layers.Add(name="with_steps")(
            [outputs, keras.layers.Dense(quantiles, dtype="float32", name="step_head")(step)])
    if quantiles > 1:
        outputs = SortedQuantiles(name="sorted_quantiles")(outputs)
    outputs = WindowUnscaling(name="unscaling")(outputs, mean, deviation)
    if quantiles == 1:
        outputs = keras.layers.Reshape((horizon,), name="forecast")(outputs)
    return keras.Model(model_inputs, outputs, name=name)


def window_weights(histories, season: int):
    """TensorFlow: 1 / each window's in-sample seasonal-naive error (of its target history): MASE's scale, per window.

    A loss weighted by it is a scaled error: series of every scale count alike.
    `season` falls back to 1 when the history is not longer than a season.
    """
    import tensorflow as tf

    target = histories[..., 0]
    lag = season if histories.shape[1] > season else 1
    change = tf.reduce_mean(tf.abs(target[..., lag:] - target[..., :-lag]), axis=-1)
    floor = 1e-3 * tf.reduce_mean(tf.abs(target), axis=-1) + 1e-8
    return 1.0 / tf.maximum(change, floor)


def pinball_loss(quantiles: list[float]):
    """The quantile (pinball) loss for forecasts [batch, horizon, len(quantiles)] of truth [batch, horizon]."""
    levels = np.asarray(quantiles, "float32")

    def loss(truth, predicted):
        error = ops.expand_dims(truth, -1) - predicted
        return ops.mean(ops.maximum(levels * error, (levels - 1.0) * error), axis=(-2, -1))

    return loss


@keras.saving.register_keras_serializable(package="kpipe")
class ScaledError(keras.metrics.Metric):
    """The mean of weight x absolute error of the point forecast, over windows: MASE when each window's weight is
    1 / its seasonal-naive error (`window_weights`). Keras's weighted means divide by the weights' sum instead,
    which gives a weighted MAE in the target's units, not a scaled error.

    `median_index` picks the point forecast of quantile forecasts [batch, horizon, Q]; None: [batch, horizon].
    """

    def __init__(self, median_index: int | None = None, name: str = "mase", **kwargs):
        super().__init__(name=name, **kwargs)
        self.median_index = median_index
        self.total = self.add_variable((), initializer="zeros", name="total")
        self.count = self.add_variable((), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.median_index is not None:
            y_pred = y_pred[..., self.median_index]
        error = ops.mean(ops.abs(ops.cast(y_true, "float32") - ops.cast(y_pred, "float32")), axis=-1)
        if sample_weight is not None:
            error = error * ops.reshape(ops.cast(sample_weight, "float32"), ops.shape(error))
        self.total.assign_add(ops.sum(error))
        self.count.assign_add(ops.cast(ops.shape(error)[0], "float32"))

    def result(self):
        return self.total / ops.maximum(self.count, 1.0)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "median_index": self.median_index}


def median_error(median_index: int):
    """A Keras metric function: the absolute error of the median quantile (a quantile model's point forecast)."""

    def error(truth, predicted):
        return ops.mean(ops.abs(truth - predicted[..., median_index]), axis=-1)

    return error
