"""What an encoder-decoder trains on (teacher forcing): the source for the encoder, the target shifted by one for
the decoder, and a weight per predicted token.

The tokenize stage encodes a (source, target) pair as ids [2, length] (each text with its start and end tokens).
The encoder takes the whole source; the decoder takes the target without its last position and predicts the
target without its first (start) token, so it learns to end with the end token; padding weighs 0.

Example:
    >>> import tensorflow as tf
    >>> x, y, w = teacher_forcing({"token_ids": tf.constant([[2, 7, 8, 3], [2, 9, 3, 0]]),
    ...                            "padding_mask": tf.constant([[True] * 4, [True, True, True, False]])})
    >>> x["encoder_token_ids"].numpy().tolist(), x["decoder_token_ids"].numpy().tolist()
    ([2, 7, 8, 3], [2, 9, 3])
    >>> y.numpy().tolist(), w.numpy().tolist()
    ([9, 3, 0], [1.0, 1.0, 0.0])
"""

from __future__ import annotations

import tensorflow as tf


def teacher_forcing(features: dict):
    """(encoder and decoder inputs, next target ids [length - 1], weights [length - 1]) of one encoded pair."""
    ids = tf.cast(features["token_ids"], tf.int32)
    mask = tf.cast(features["padding_mask"], tf.bool)
    inputs = {"encoder_token_ids": ids[0], "encoder_padding_mask": mask[0],
              "decoder_token_ids": ids[1][:-1], "decoder_padding_mask": mask[1][:-1]}
    return inputs, ids[1][1:], tf.cast(mask[1][1:], tf.float32)
