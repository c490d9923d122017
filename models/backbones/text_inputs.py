"""What the built-in text backbones share: their two inputs and zeroed padding in their output.

A text backbone takes `{"token_ids": int32 [batch, sequence_length],
"padding_mask": bool [batch, sequence_length]}` (the names keras-hub text
backbones use) and returns per-token vectors `[batch, sequence_length, hidden]`
with padded positions set to 0 and no Keras mask attached: heads pool or tag
with `padding_mask` explicitly.

Example:
    >>> inputs = text_inputs((8,), vocabulary_size=50)
    >>> [(key, tensor.shape, tensor.dtype) for key, tensor in sorted(inputs.items())]
    [('padding_mask', (None, 8), 'bool'), ('token_ids', (None, 8), 'int32')]
"""

from __future__ import annotations


def text_inputs(input_shape, vocabulary_size) -> dict:
    """`keras.Input`s `token_ids` (int32) and `padding_mask` (bool) of shape `[batch, sequence_length]`.

    `input_shape` must be `(sequence_length,)`; both arguments are checked so a
    text backbone asked for images, or built without a tokenizer, says so.
    """
    import keras

    shape = tuple(input_shape)
    if len(shape) != 1 or not isinstance(shape[0], int) or isinstance(shape[0], bool) or shape[0] < 1:
        raise ValueError(
            f"text backbones take input_shape=(sequence_length,) token ids, got {shape}; "
            "tokenize the text first (stages: - tokenize)"
        )
    if not isinstance(vocabulary_size, int) or isinstance(vocabulary_size, bool) or vocabulary_size < 1:
        raise ValueError(
            f"text backbones need the tokenizer's vocabulary_size (a positive integer), got {vocabulary_size!r}"
        )
    return {
        "token_ids": keras.Input(shape, dtype="int32", name="token_ids"),
        "padding_mask": keras.Input(shape, dtype="bool", name="padding_mask"),
    }


def zero_padding(x, padding_mask):
    """`x` [batch, length, features] with padded positions set to 0 (and no Keras mask carried on)."""
    import keras

    return keras.ops.where(keras.ops.expand_dims(padding_mask, -1), x, keras.ops.zeros_like(x))
