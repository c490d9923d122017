"""A regression loss computed on standardized values, for a model that answers in the target's units.

The model ends in a layer that undoes the standardisation; this loss redoes it on
both the truth and the prediction, so MSE, Huber and MAE see values of unit
scale whatever the target's units (Huber's delta of 1 means one standard deviation).

Example:
    >>> import numpy as np
    >>> loss = StandardizedLoss("mse", mean=100.0, std=10.0)
    >>> float(loss(np.array([[110.0]]), np.array([[100.0]])))
    1.0
"""

from __future__ import annotations

import keras

_LOSSES = {"mse": keras.losses.MeanSquaredError, "huber": keras.losses.Huber, "mae": keras.losses.MeanAbsoluteError}


@keras.saving.register_keras_serializable(package="kpipe")
class StandardizedLoss(keras.losses.Loss):
    """`name` (mse, huber or mae) of (y - mean) / std for truth and prediction alike."""

    def __init__(self, base: str = "mse", mean: float = 0.0, std: float = 1.0, name: str | None = None, **kwargs):
        super().__init__(name=name or f"standardized_{base}", **kwargs)
        self.base, self.mean, self.std = base, float(mean), float(std)
        self._loss = _LOSSES[base](reduction=None)

    def call(self, y_true, y_pred):
        scale = lambda y: (keras.ops.cast(y, "float32") - self.mean) / self.std  # noqa: E731
        return self._loss(scale(y_true), scale(y_pred))

    def get_config(self) -> dict:
        return {**super().get_config(), "base": self.base, "mean": self.mean, "std": self.std}
