"""Seeds to codes and codes to pixels: what generators share, in training, in plots and inside their exports.

Example:
    >>> import numpy as np
    >>> codes = seeded_codes(np.array([7, 7]), 3).numpy()
    >>> bool((codes[0] == codes[1]).all()), codes.shape
    (True, (2, 3))
    >>> to_pixels(np.array([[0.0, 0.5, 1.2]])).numpy().tolist()
    [[0, 128, 255]]
"""

from __future__ import annotations


def seeded_codes(seeds, size: int):
    """TensorFlow: one standard-normal code per int seed [batch] -> [batch, size], the same for the same seed."""
    import tensorflow as tf

    seeds = tf.cast(tf.convert_to_tensor(seeds), tf.int64)
    return tf.map_fn(lambda s: tf.random.stateless_normal([size], seed=tf.stack([s, tf.constant(0, tf.int64)])),
                     seeds, fn_output_signature=tf.TensorSpec([size], tf.float32))


def to_pixels(images):
    """TensorFlow: images in [0, 1] -> uint8 pixels."""
    import tensorflow as tf

    return tf.cast(tf.round(tf.clip_by_value(tf.cast(images, tf.float32), 0.0, 1.0) * 255.0), tf.uint8)
