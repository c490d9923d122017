"""Image decoding shared by training input and the serving graph, so both see the same pixels.

Example:
    >>> import tensorflow as tf
    >>> png = tf.io.encode_png(tf.zeros([4, 6, 1], tf.uint8))
    >>> decode_image(png, (8, 8, 1)).shape
    TensorShape([8, 8, 1])
"""

from __future__ import annotations

import tensorflow as tf


def decode_image(encoded: tf.Tensor, image_shape: tuple[int, int, int]) -> tf.Tensor:
    """PNG/JPEG/GIF/BMP bytes to a float32 image of `image_shape`, values in [0, 255]."""
    height, width, channels = image_shape
    image = tf.io.decode_image(encoded, channels=channels, expand_animations=False)
    image.set_shape([None, None, channels])
    return tf.image.resize(tf.cast(image, tf.float32), (height, width))


def encoded_examples(examples, indices) -> list[bytes]:
    """The encoded bytes a client would send for `examples[indices]`: PNG for arrays, file bytes for paths.

    Example:
        >>> encoded_examples(examples, [0, 1])[0][:4]   # doctest: +SKIP
        b'\\x89PNG'
    """
    out = []
    for index in indices:
        item = examples.inputs[index]
        if examples.decode is None:
            out.append(tf.io.encode_png(tf.constant(item, tf.uint8)).numpy())
        else:
            out.append(tf.io.read_file(str(item)).numpy())
    return out
