"""What the built-in time-series backbones share: their input, its padding mask, and masked pooling.

A series backbone takes one float32 tensor `[batch, steps, features]` (`steps`
may be None: variable length) and returns a pooled vector `[batch, d]`. A step
whose values are all NaN is padding (shorter series are padded with NaN at the
end); NaN appears nowhere else. `split_padding` turns the input into zero-filled
values and a step mask; a backbone then keeps padded steps from reaching the
real ones (RNNs take the mask, convolutions see zeros there, attention masks
them) and pools with `masked_mean` or `last_step`, so a series gives the same
vector whether or not it is padded.

Example:
    >>> import numpy as np
    >>> series = series_inputs((None, 2))
    >>> series.shape, series.dtype
    ((None, None, 2), 'float32')
    >>> x = np.array([[[1, 2], [3, 4], [np.nan, np.nan]]], "float32")
    >>> values, mask = split_padding(x)
    >>> np.asarray(mask).tolist(), np.asarray(masked_mean(values, mask)).tolist()
    ([[True, True, False]], [[2.0, 3.0]])
    >>> np.asarray(last_step(values, mask)).tolist()
    [[3.0, 4.0]]
"""

from __future__ import annotations

from models.backbones.text_inputs import zero_padding  # noqa: F401  (`x` with the masked-out steps set to 0)


def series_inputs(input_shape):
    """`keras.Input` named `series`, float32 `[batch, steps, features]`, for `input_shape=(steps, features)`."""
    import keras

    shape = tuple(input_shape)
    steps_ok = len(shape) == 2 and (shape[0] is None or _positive_int(shape[0]))
    if not steps_ok or not _positive_int(shape[1]):
        raise ValueError(
            f"series backbones take input_shape=(steps, features) (steps may be None), got {shape} "
            "(token ids need a text backbone built with the tokenizer's vocabulary_size)"
        )
    return keras.Input(shape, dtype="float32", name="series")


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def split_padding(series):
    """`(values, mask)`: NaN replaced by 0, and bool `[batch, steps]`, True where a step is not all NaN."""
    from keras import ops

    missing = ops.isnan(series)
    mask = ops.logical_not(ops.all(missing, axis=-1))
    return ops.where(missing, ops.zeros_like(series), series), mask


def masked_mean(x, mask):
    """Mean of `x` over its second-to-last axis, counting only the steps where `mask` is True.

    `mask` broadcasts to `x`'s shape without its last axis (`[batch, steps]`
    for `[batch, steps, channels]`); a series with no real step gives zeros.
    """
    from keras import ops

    weights = ops.cast(ops.expand_dims(mask, -1), x.dtype)
    total = ops.sum(zero_padding(x, mask), axis=-2)
    return total / ops.maximum(ops.sum(weights, axis=-2), 1.0)


def last_step(x, mask):
    """`x` [batch, steps, channels] at each series' last real step (zeros for a series with none)."""
    from keras import ops

    steps = ops.cast(mask, "int32")
    position = ops.cumsum(ops.ones_like(steps), axis=1)  # 1, 2, ... steps, without reading a dynamic shape
    last = ops.equal(position, ops.sum(steps, axis=1, keepdims=True))
    return ops.sum(zero_padding(x, last), axis=1)


POOLING = {"mean": masked_mean, "last": last_step}
"""The pooling a series backbone's `pooling` option names."""
