"""Decoders that turn a code vector back into an image: what autoencoders and generators share.

`upsampling_decoder` seeds a small feature map from the code with a dense
layer, doubles its resolution once per entry of `filters` with transposed
convolutions, and ends with a convolution to the image's channels, cropped to
the image's size.

Example:
    >>> import numpy as np
    >>> decoder = upsampling_decoder(8, (10, 12, 1), filters=[8, 4])
    >>> tuple(decoder(np.zeros((2, 8), "float32")).shape)
    (2, 10, 12, 1)
"""

from __future__ import annotations

import math


def upsampling_decoder(code_size: int, image_shape, filters: list[int], activation: str | None = None,
                       batch_norm: bool = False, name: str = "decoder"):
    """A Keras model code [batch, code_size] -> images [batch, h, w, c] (`activation` on the last layer).

    `batch_norm` normalises the seed and every upsampled map before its ReLU (as DCGAN's generator does).
    """
    import keras

    height, width, channels = image_shape
    scale = 2 ** len(filters)
    seed_height, seed_width = math.ceil(height / scale), math.ceil(width / scale)
    code = keras.Input((code_size,), name="code")
    def activated(x, label):
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"{label}_bn")(x)
        return keras.layers.ReLU(name=f"{label}_relu")(x)

    x = keras.layers.Dense(seed_height * seed_width * filters[0], use_bias=not batch_norm, name="seed")(code)
    x = activated(keras.layers.Reshape((seed_height, seed_width, filters[0]), name="seed_map")(x), "seed")
    for index, count in enumerate(filters):
        x = keras.layers.Conv2DTranspose(count, 4, strides=2, padding="same", use_bias=not batch_norm,
                                         name=f"up{index}")(x)
        x = activated(x, f"up{index}")
    x = keras.layers.Conv2D(channels, 3, padding="same", activation=activation, dtype="float32", name="image")(x)
    if (x.shape[1], x.shape[2]) != (height, width):
        x = keras.layers.CenterCrop(height, width, name="crop")(x)
    return keras.Model(code, x, name=name)
