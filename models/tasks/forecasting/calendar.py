"""Calendar features from timestamps, as cyclical (sin, cos) pairs: the same TensorFlow code in training and export.

`model.head.calendar` names the parts: `hour` (of the day), `day_of_week`
(Monday first) and `year` (the position in the year, 365.2425 days). Times are
seconds since 1970-01-01 UTC (int64), as the export's `timestamps` input
takes them; each part gives sin and cos of its angle, so 23:00 sits next to
00:00 and December next to January.

Example:
    >>> import numpy as np
    >>> noon = np.array([[12 * 3600]], "int64")   # 1970-01-01 12:00, a Thursday: half the day, half the week
    >>> (np.round(calendar_features(noon, ["hour", "day_of_week"]).numpy(), 3) + 0.0).tolist()
    [[[0.0, -1.0, 0.0, -1.0]]]
"""

from __future__ import annotations

import numpy as np

PARTS = ("hour", "day_of_week", "year")
"""The calendar parts `model.head.calendar` may name."""

_PERIODS = {"hour": 86400.0, "day_of_week": 7 * 86400.0, "year": 365.2425 * 86400.0}
_OFFSETS = {"hour": 0.0, "day_of_week": 3 * 86400.0, "year": 0.0}  # 1970-01-01 was a Thursday: Monday is 0


def calendar_features(seconds, parts):
    """TensorFlow: int64 seconds [batch, steps] -> float32 [batch, steps, 2 * len(parts)] (sin, cos per part)."""
    import tensorflow as tf

    seconds = tf.cast(seconds, tf.float64)
    columns = []
    for part in parts:
        angle = 2 * np.pi * tf.math.floormod(seconds + _OFFSETS[part], _PERIODS[part]) / _PERIODS[part]
        columns += [tf.sin(angle), tf.cos(angle)]
    return tf.cast(tf.stack(columns, axis=-1), tf.float32)


def feature_names(parts) -> list[str]:
    """The names of the columns `calendar_features` gives.

    Example:
        >>> feature_names(["hour"])
        ['hour_sin', 'hour_cos']
    """
    return [f"{part}_{f}" for part in parts for f in ("sin", "cos")]


def epoch_seconds(times) -> np.ndarray:
    """datetime64 values -> int64 seconds since 1970-01-01.

    Example:
        >>> epoch_seconds(np.array(["1970-01-02T00:00"], "datetime64[ns]")).tolist()
        [86400]
    """
    return np.asarray(times, "datetime64[ns]").astype("datetime64[s]").astype("int64")


def future_seconds(seconds, horizon: int):
    """TensorFlow: the times of the `horizon` steps after a history: its last time plus multiples of its last interval.

    Example:
        >>> future_seconds(np.array([[0, 3600]], "int64"), 2).numpy().tolist()
        [[7200, 10800]]
    """
    import tensorflow as tf

    seconds = tf.convert_to_tensor(seconds, tf.int64)
    step = seconds[:, -1:] - seconds[:, -2:-1]
    return seconds[:, -1:] + step * tf.range(1, horizon + 1, dtype=tf.int64)[None]
