"""The autoencoder: an image backbone as encoder, a bottleneck, a transposed-convolution decoder.

`build_autoencoder` wraps any image backbone (a feature map [h, w, c] or a
vector): optional Gaussian input noise (a denoising autoencoder; active in
training only), the backbone, a dense bottleneck of `latent` units, then a
decoder (`models.decoders.upsampling_decoder`) that doubles the resolution
once per entry of `decoder_filters` back to the input's size and channels. The output is linear: it reconstructs the input as the
preprocessing stages left it.

Example:
    >>> import keras
    >>> encoder = keras.Sequential([keras.layers.Conv2D(4, 3, strides=2, padding="same")])
    >>> model = build_autoencoder(encoder, (10, 12, 1), latent=8, decoder_filters=[8, 4])
    >>> tuple(model(np.zeros((2, 10, 12, 1), "float32")).shape)
    (2, 10, 12, 1)
"""

from __future__ import annotations

import keras
import numpy as np


def build_autoencoder(backbone, input_shape, *, latent: int, decoder_filters: list[int], noise: float = 0.0,
                      name: str = "autoencoder"):
    """A Keras model images [batch, h, w, c] -> reconstructions of the same shape."""
    from models.decoders import upsampling_decoder

    inputs = keras.Input(input_shape, name="images")
    x = keras.layers.GaussianNoise(noise, name="input_noise")(inputs) if noise else inputs
    x = backbone(x)
    if len(x.shape) > 2:
        x = keras.layers.Flatten(name="flatten")(x)
    code = keras.layers.Dense(latent, name="bottleneck")(x)
    reconstruction = upsampling_decoder(latent, input_shape, decoder_filters)(code)
    return keras.Model(inputs, reconstruction, name=name)


def reconstruction_errors(model, images, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(mean squared error per image [n], reconstructions [n, h, w, c]) of float32 images as the model takes them."""
    images = np.asarray(images, "float32")
    reconstructions = np.asarray(model.predict(images, batch_size=batch_size, verbose=0))
    return np.mean((reconstructions - images) ** 2, axis=(1, 2, 3)), reconstructions
