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

Example:
    >>> import keras
    >>> backbone = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(4)])
    >>> model = build_forecaster(backbone, history=12, features=2, horizon=3)
    >>> tuple(model(np.ones((2, 12, 2), "float32")).shape)
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


def build_forecaster(backbone, *, history: int, features: int, horizon: int, quantiles: int = 1,
                     linear: bool = True, calendar: int = 0, name: str = "forecaster"):
    """A Keras model [batch, history, features] -> `forecast` [batch, horizon] (or [batch, horizon, quantiles]).

    The last `calendar` of the `features` are calendar columns (sin and cos, already in [-1, 1]): they reach
    the backbone as they are, after the scaled values.
    """
    inputs = keras.Input((history, features), name="history")
    values, columns = CalendarColumns(calendar, name="calendar_columns")(inputs) if calendar else (inputs, None)
    scaled, mean, deviation = WindowScaling(name="window_scaling")(values)
    read = scaled if columns is None else keras.layers.Concatenate(name="with_calendar")([scaled, columns])
    outputs = keras.layers.Dense(horizon * quantiles, dtype="float32", name="head")(backbone(read))
    if linear:
        target = TargetHistory(name="target_history")(scaled)
        outputs = keras.layers.Add(name="with_linear")(
            [outputs, keras.layers.Dense(horizon * quantiles, dtype="float32", name="linear")(target)])
    outputs = keras.layers.Reshape((horizon, quantiles), name="by_step")(outputs)
    if quantiles > 1:
        outputs = SortedQuantiles(name="sorted_quantiles")(outputs)
    outputs = WindowUnscaling(name="unscaling")(outputs, mean, deviation)
    if quantiles == 1:
        outputs = keras.layers.Reshape((horizon,), name="forecast")(outputs)
    return keras.Model(inputs, outputs, name=name)


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


def median_error(median_index: int):
    """A Keras metric function: the absolute error of the median quantile (a quantile model's point forecast)."""

    def error(truth, predicted):
        return ops.mean(ops.abs(truth - predicted[..., median_index]), axis=-1)

    return error
