"""Keras layers that encode one raw table column inside the model (and so inside the exported SavedModel).

Each takes a column, [batch] or [batch, 1], and gives float32 [batch, k]:

- `ImputedNumeric`: a float32 column -> [standardized value (0 when missing), missing].
- `DatetimeParts`: "YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z]" strings -> year (standardized),
  month, weekday, day of month and hour as sin/cos pairs, and a missing flag.
- `BooleanFlag`: true/false/yes/no/y/n/t/f/1/0 strings (any case) -> [value, missing].
- `CategoryOneHot`: strings -> one-hot over the training values (index 0: a value
  not seen in training), or over `hash_bins` hash buckets. "" (missing) is a
  value like any other.

Missing, empty and unparseable values never raise: they set the missing flag.
State learned by `adapt` (mean and std, a vocabulary) is plain config, so a
layer saves, reloads and exports with what it learned. TensorFlow backend only.

Example:
    >>> import numpy as np
    >>> layer = ImputedNumeric()
    >>> layer.adapt(np.array([1.0, 3.0, np.nan], "float32"))
    >>> layer(np.array([3.0, np.nan], "float32")).numpy().tolist()
    [[1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

import math
from collections import Counter

import keras
import numpy as np
import tensorflow as tf

_DATE = r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d*)?)?)?Z?\s*$"
_EPOCH_FIELDS = "1970,1,1,0,0,0"
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
OOV_TOKEN = "[UNK]"
CLIP = 1e4
"""Standardized numbers are clipped to [-CLIP, CLIP]: a huge float32 (3e38) still answers finitely.

No training value lies that far out: n values are all within sqrt(n) standard deviations of their mean.
"""
TRUE = ("true", "t", "yes", "y", "1", "1.0")
FALSE = ("false", "f", "no", "n", "0", "0.0")
DATETIME_PARTS = (
    "year", "month_sin", "month_cos", "weekday_sin", "weekday_cos",
    "day_sin", "day_cos", "hour_sin", "hour_cos", "missing",
)


@keras.saving.register_keras_serializable(package="kpipe")
class ImputedNumeric(keras.layers.Layer):
    """A number column -> [batch, 2 + k]: (x - mean) / std, 0 where missing (NaN or inf), a 0/1 missing flag,
    and with `bins`, its piecewise-linear encoding over k quantile bins of the training values.

    The piecewise-linear encoding (Gorishniy et al. 2022, "On Embeddings for
    Numerical Features in Tabular Deep Learning") gives one feature per bin: 0
    below it, 1 above it, the position inside it in between; it lets an MLP cut
    a number at thresholds as trees do. Missing numbers encode as all zeros.

    `adapt` learns the mean and std of the finite values (std 1 when they are
    all equal or there are none). The standardized value is clipped to
    [-CLIP, CLIP], so that a finite but huge number (1e38 over a std of 0.05)
    cannot overflow to inf and turn the model's answer into NaN.

    Example:
        >>> layer = ImputedNumeric(mean=10.0, std=2.0)
        >>> layer(np.array([[14.0], [np.inf], [3e38]], "float32")).numpy().tolist()
        [[2.0, 0.0], [0.0, 1.0], [10000.0, 0.0]]
    """

    def __init__(self, mean: float = 0.0, std: float = 1.0, bins: int = 0, edges: list[float] | None = None,
                 **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.mean, self.std = float(mean), float(std)
        self.bins, self.edges = int(bins), [float(e) for e in edges or []]

    def adapt(self, data, steps: int | None = None) -> None:
        """Learn mean and std (and the bins' quantile edges) from an array or a dataset of batches, ignoring NaN and inf."""
        values = adapt_values(data, steps).astype("float64")
        finite = values[np.isfinite(values)]
        self.mean = float(finite.mean()) if len(finite) else 0.0
        std = float(finite.std()) if len(finite) else 0.0
        self.std = std if std > 0 else 1.0
        if self.bins and len(finite):
            self.edges = sorted({float(q) for q in np.quantile(finite, np.linspace(0, 1, self.bins + 1))})

    def call(self, x):
        x = column(tf.cast(x, tf.float32))
        finite = tf.math.is_finite(x)
        scaled = tf.clip_by_value((x - self.mean) / self.std, -CLIP, CLIP)
        scaled = tf.where(finite, scaled, tf.zeros_like(x))
        parts = [scaled[:, None], 1.0 - tf.cast(finite, tf.float32)[:, None]]
        if len(self.edges) > 1:
            low, high = tf.constant(self.edges[:-1]), tf.constant(self.edges[1:])
            inside = tf.clip_by_value((tf.where(finite, x, low[0])[:, None] - low) / (high - low), 0.0, 1.0)
            parts.append(tf.where(finite[:, None], inside, tf.zeros_like(inside)))
        return tf.concat(parts, axis=-1)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "std": self.std, "bins": self.bins, "edges": self.edges}


@keras.saving.register_keras_serializable(package="kpipe")
class DatetimeParts(keras.layers.Layer):
    """Date strings -> [batch, 10] float32, the `DATETIME_PARTS` of each date.

    Reads "YYYY-MM-DD", optionally followed by " " or "T", "HH:MM", ":SS",
    ".fraction" and "Z". The year is standardized by `year_mean` and
    `year_std` (learned by `adapt`); month, weekday (from the days since
    1970-01-01, computed with integers), day of month and hour (with its
    minutes) are sin/cos pairs on their cycle. An empty, unparseable or
    impossible date (2023-02-29) gives zeros and missing = 1.

    Example:
        >>> parts = DatetimeParts(year_mean=2024.0)(np.array(["2024-01-01 06:00", "soon"], object)).numpy()
        >>> (parts[0].round(3) + 0.0).tolist()  # a Monday, at 06:00
        [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0]
        >>> parts[1].tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    """

    def __init__(self, year_mean: float = 2000.0, year_std: float = 25.0, **kwargs):
        super().__init__(**kwargs)
        self.year_mean, self.year_std = float(year_mean), float(year_std)

    def adapt(self, data, steps: int | None = None) -> None:
        """Learn the mean and std of the years of the valid dates (std 1 when all years are equal)."""
        values = adapt_values(data, steps)
        if not len(values):
            return
        fields, valid = parse_dates(tf.constant(values.astype(object).astype(str), tf.string))
        years = fields[:, 0].numpy()[valid.numpy()].astype("float64")
        if len(years):
            self.year_mean = float(years.mean())
            self.year_std = float(years.std()) or 1.0

    def call(self, x):
        fields, valid = parse_dates(column(x))
        year, month, day, hour, minute, second = tf.unstack(fields, 6, axis=1)
        days = days_from_civil(year, month, day)
        weekday = tf.math.floormod(days + 3, 7)  # 1970-01-01 was a Thursday; Monday is 0
        to_float = lambda t: tf.cast(t, tf.float32)  # noqa: E731
        in_month = to_float(_days_in_month(year, month))
        hours = to_float(hour) + to_float(minute) / 60.0 + to_float(second) / 3600.0
        angles = [
            to_float(month - 1) / 12.0, to_float(weekday) / 7.0, to_float(day - 1) / in_month, hours / 24.0,
        ]
        parts = [(to_float(year) - self.year_mean) / self.year_std]
        for turn in angles:
            parts += [tf.sin(2 * math.pi * turn), tf.cos(2 * math.pi * turn)]
        parts = [tf.where(valid, part, tf.zeros_like(part)) for part in parts]
        return tf.stack(parts + [1.0 - to_float(valid)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "year_mean": self.year_mean, "year_std": self.year_std}


@keras.saving.register_keras_serializable(package="kpipe")
class BooleanFlag(keras.layers.Layer):
    """Strings -> [batch, 2]: [1 for true/t/yes/y/1, 0 otherwise; 1 when neither true nor false (missing)].

    Case and surrounding spaces do not count.

    Example:
        >>> BooleanFlag()(np.array(["Yes", " false", ""], object)).numpy().tolist()
        [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]
    """

    def call(self, x):
        x = tf.strings.lower(tf.strings.strip(column(x)))[:, None]
        is_true = tf.reduce_any(tf.equal(x, tf.constant(TRUE)[None, :]), axis=1)
        is_false = tf.reduce_any(tf.equal(x, tf.constant(FALSE)[None, :]), axis=1)
        missing = tf.logical_not(is_true | is_false)
        return tf.stack([tf.cast(is_true, tf.float32), tf.cast(missing, tf.float32)], axis=-1)


@keras.saving.register_keras_serializable(package="kpipe")
class CategoryOneHot(keras.layers.Layer):
    """Strings -> one-hot float32 [batch, len(vocabulary) + 1] (index 0: a value not in the vocabulary).

    `adapt` learns the vocabulary: every training value, most frequent first
    ("" for missing is a value like any other; `OOV_TOKEN` reads as unseen). With `hash_bins`, values are
    hashed (FarmHash) into that many buckets instead, [batch, hash_bins], and
    there is nothing to learn. Adapt before the layer is first called.

    Example:
        >>> layer = CategoryOneHot()
        >>> layer.adapt(np.array(["red", "blue", "red", ""], object))
        >>> layer.vocabulary
        ['red', '', 'blue']
        >>> layer(np.array(["blue", "green"], object)).numpy().tolist()
        [[0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]]
        >>> CategoryOneHot(hash_bins=3)(np.array(["blue"], object)).shape
        TensorShape([1, 3])
    """

    def __init__(self, vocabulary: list[str] | None = None, hash_bins: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary = None if vocabulary is None else [str(v) for v in vocabulary if str(v) != OOV_TOKEN]
        self.hash_bins = None if hash_bins is None else int(hash_bins)
        self.lookup = None

    @property
    def depth(self) -> int | None:
        """The width of the one-hot output; None before `adapt`."""
        if self.hash_bins:
            return self.hash_bins
        return None if self.vocabulary is None else len(self.vocabulary) + 1

    def adapt(self, data, steps: int | None = None) -> None:
        """Learn the vocabulary from an array or a dataset of string batches (nothing to learn when hashing)."""
        if self.hash_bins:
            return
        if self.built:
            raise RuntimeError(f"{self.name}: adapt the layer before it is first called")
        counts = Counter(adapt_values(data, steps).tolist())
        counts.pop(OOV_TOKEN, None)  # reads as unseen
        self.vocabulary = sorted(counts, key=lambda value: (-counts[value], value)) or [""]

    def build(self, input_shape):
        if not self.hash_bins:
            if self.vocabulary is None:
                raise ValueError(f"{self.name}: adapt the layer (or give a vocabulary) before calling it")
            self.lookup = keras.layers.StringLookup(
                vocabulary=self.vocabulary, num_oov_indices=1, oov_token=OOV_TOKEN, name=f"{self.name}_lookup"
            )

    def call(self, x):
        x = column(x)
        ids = tf.strings.to_hash_bucket_fast(x, self.hash_bins) if self.hash_bins else self.lookup(x)
        return tf.one_hot(ids, self.depth, dtype=tf.float32)

    def get_config(self):
        return {**super().get_config(), "vocabulary": self.vocabulary, "hash_bins": self.hash_bins}


def column(x):
    """A column as rank 1: [batch, 1] -> [batch]; a scalar -> [1].

    Example:
        >>> column(tf.constant([[1.0], [2.0]])).shape.as_list()
        [2]
    """
    x = tf.convert_to_tensor(x)
    if x.shape.rank == 0:
        return tf.reshape(x, [1])
    if x.shape.rank == 2:
        return tf.squeeze(x, axis=-1)
    return x


def adapt_values(data, steps: int | None = None) -> np.ndarray:
    """The values of `data` (an array, tensor, list, or a dataset of batches) as a flat numpy array; bytes as str.

    Example:
        >>> adapt_values(tf.data.Dataset.from_tensor_slices([b"a", b"b"]).batch(1)).tolist()
        ['a', 'b']
    """
    if isinstance(data, tf.data.Dataset):
        batches = data if steps is None else data.take(steps)
        parts = [np.asarray(batch).reshape(-1) for batch in batches.as_numpy_iterator()]
        values = np.concatenate(parts) if parts else np.zeros(0)
    else:
        values = np.asarray(data.numpy() if hasattr(data, "numpy") else data).reshape(-1)
    if values.dtype.kind in "OSU":
        decoded = np.empty(len(values), dtype=object)
        decoded[:] = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]
        return decoded
    return values


def parse_dates(x):
    """Strings [batch] -> (int64 [batch, 6] year, month, day, hour, minute, second; bool [batch] valid).

    Invalid dates read as 1970-01-01 00:00:00 with valid False.

    Example:
        >>> fields, valid = parse_dates(tf.constant(["2024-02-29T23:59:30Z", "2023-02-29"]))
        >>> fields.numpy().tolist(), valid.numpy().tolist()
        ([[2024, 2, 29, 23, 59, 30], [1970, 1, 1, 0, 0, 0]], [True, False])
    """
    x = tf.convert_to_tensor(x, tf.string)
    matched = tf.strings.regex_full_match(x, _DATE)
    text = tf.where(matched, tf.strings.regex_replace(x, _DATE, r"\1,\2,\3,\4,\5,\6"), _EPOCH_FIELDS)
    fields = tf.strings.split(text, ",").to_tensor(default_value="0", shape=[None, 6])
    fields = tf.strings.to_number(tf.where(fields == "", "0", fields), tf.int64)
    year, month, day, hour, minute, second = tf.unstack(fields, 6, axis=1)
    valid = matched & (month >= 1) & (month <= 12) & (day >= 1) & (hour <= 23) & (minute <= 59) & (second <= 60)
    valid &= day <= _days_in_month(year, month)
    epoch = tf.constant([[1970, 1, 1, 0, 0, 0]], tf.int64)
    return tf.where(valid[:, None], fields, epoch), valid


def days_from_civil(year, month, day):
    """Days since 1970-01-01 of proleptic Gregorian dates, in int64 (H. Hinnant's days_from_civil).

    Example:
        >>> days_from_civil(tf.constant([1970, 2000]), tf.constant([1, 3]), tf.constant([1, 1])).numpy().tolist()
        [0, 11017]
    """
    year, month, day = (tf.cast(t, tf.int64) for t in (year, month, day))
    year -= tf.cast(month <= 2, tf.int64)
    era = tf.math.floordiv(year, 400)
    year_of_era = year - era * 400
    day_of_year = (153 * tf.math.floormod(month + 9, 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _days_in_month(year, month):
    leap = (tf.math.floormod(year, 4) == 0) & ((tf.math.floormod(year, 100) != 0) | (tf.math.floormod(year, 400) == 0))
    days = tf.gather(tf.constant(_DAYS_IN_MONTH, tf.int64), tf.clip_by_value(month, 1, 12) - 1)
    return days + tf.cast(leap & (month == 2), tf.int64)
