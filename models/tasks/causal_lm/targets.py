"""What a causal LM trains on: token ids shifted by one, with a weight per predicted token.

Three ways to get there from the tokenize stage's output (`token_ids`, `padding_mask`):

- `shifted_example`: one text per row; padding weighs 0.
- `token_stream` + `pack`: texts joined end to end (each keeps its start and end tokens, which separate them)
  and cut into full rows of the stage's `sequence_length`, so no step is spent on padding.
- `instruction_example`: a prompt and its response (the stage encodes both: ids [2, length]) joined as
  prompt (without its end token) then response (without its start token); only the response's tokens weigh 1,
  so the loss is on the response only.

Every function gives `({"token_ids", "padding_mask"} [length - 1], next ids [length - 1], weights [length - 1])`.

Example:
    >>> import tensorflow as tf
    >>> x, y, w = shifted_example({"token_ids": tf.constant([2, 7, 8, 3, 0]),
    ...                            "padding_mask": tf.constant([True, True, True, True, False])})
    >>> x["token_ids"].numpy().tolist(), y.numpy().tolist(), w.numpy().tolist()
    ([2, 7, 8, 3], [7, 8, 3, 0], [1.0, 1.0, 1.0, 0.0])
"""

from __future__ import annotations

import tensorflow as tf


def shift(token_ids, padding_mask, weights):
    """Inputs are every token but the last, targets every token but the first, each target with its weight.

    Example:
        >>> x, y, w = shift(tf.constant([2, 5, 3]), tf.constant([True, True, True]), tf.constant([0.0, 1.0, 1.0]))
        >>> y.numpy().tolist(), w.numpy().tolist()
        ([5, 3], [1.0, 1.0])
    """
    token_ids = tf.cast(token_ids, tf.int32)
    inputs = {"token_ids": token_ids[..., :-1], "padding_mask": tf.cast(padding_mask, tf.bool)[..., :-1]}
    return inputs, token_ids[..., 1:], tf.cast(weights, tf.float32)[..., 1:]


def shifted_example(features: dict):
    """One text per row: every real token is a target; padding weighs 0 (see the module example)."""
    mask = features["padding_mask"]
    return shift(features["token_ids"], mask, tf.cast(mask, tf.float32))


def _padded(tokens, weights, length: int):
    count = tf.shape(tokens)[0]
    tokens = tf.pad(tokens, [[0, length - count]])
    weights = tf.pad(weights, [[0, length - count]])
    return shift(tokens, tf.range(length) < count, weights)


def instruction_example(features: dict):
    """A prompt and its response (ids [2, length]) as one sequence; only the response's tokens weigh 1.

    The prompt keeps its start token and loses its end token; the response loses its start token and keeps
    its end token, so the model learns where a response ends. Too long: cut at `length`.

    Example:
        >>> x, y, w = instruction_example({"token_ids": tf.constant([[2, 7, 3, 0], [2, 8, 9, 3]]),
        ...     "padding_mask": tf.constant([[True, True, True, False], [True, True, True, True]])})
        >>> x["token_ids"].numpy().tolist(), y.numpy().tolist(), w.numpy().tolist()
        ([2, 7, 8], [7, 8, 9], [0.0, 1.0, 1.0])
    """
    ids, mask = tf.cast(features["token_ids"], tf.int32), tf.cast(features["padding_mask"], tf.bool)
    length = ids.shape[-1]
    prompt = tf.boolean_mask(ids[0], mask[0])[:-1]
    response = tf.boolean_mask(ids[1], mask[1])[1:]
    tokens = tf.concat([prompt, response], axis=0)[:length]
    weights = tf.concat([tf.zeros_like(prompt, tf.float32), tf.ones_like(response, tf.float32)], axis=0)[:length]
    return _padded(tokens, weights, length)


def token_stream(features: dict):
    """A text's real tokens (start and end included), 1-D: what `pack` joins.

    Example:
        >>> token_stream({"token_ids": tf.constant([2, 7, 3, 0]),
        ...               "padding_mask": tf.constant([True, True, True, False])}).numpy().tolist()
        [2, 7, 3]
    """
    return tf.boolean_mask(tf.cast(features["token_ids"], tf.int32), tf.cast(features["padding_mask"], tf.bool))


def pack(dataset, batch_size: int, length: int):
    """Token streams joined end to end, cut into rows of `length` tokens (the last padded), shifted, batched.

    Example:
        >>> streams = tf.data.Dataset.from_tensor_slices(tf.ragged.constant([[2, 5, 3], [2, 6, 7, 3]]))
        >>> x, y, w = next(iter(pack(streams, batch_size=2, length=4)))
        >>> x["token_ids"].numpy().tolist(), w.numpy().tolist()
        ([[2, 5, 3], [6, 7, 3]], [[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    """
    rows = dataset.unbatch().batch(length)
    ones = lambda tokens: _padded(tokens, tf.ones_like(tokens, tf.float32), length)  # noqa: E731
    return rows.map(ones, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
