"""The variational autoencoder: an encoder to a Gaussian code, a sampled code, a decoder back to pixels.

`build_vae` gives a Keras model images -> {"reconstruction", "kl"} made of two
sub-models the export uses on their own: `encoder` (images -> mean,
log-variance) and `decoder` (code -> pixels in [0, 1], a sigmoid). While
training the code is sampled (the reparameterisation trick); otherwise it is
the mean. `kl` is each image's KL divergence from the unit Gaussian, summed
over the code, an output so that Keras logs it as a loss of its own
(`kl_loss`) beside `reconstruction_loss` (binary cross-entropy summed over
the pixels): together, weighted by beta, the negative ELBO.

Example:
    >>> import keras
    >>> encoder = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(8)])
    >>> model = build_vae(encoder, (8, 8, 1), latent=2, decoder_filters=[4])
    >>> outputs = model(np.zeros((3, 8, 8, 1), "float32"))
    >>> tuple(outputs["reconstruction"].shape), tuple(outputs["kl"].shape)
    ((3, 8, 8, 1), (3,))
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="kpipe")
class GaussianCode(keras.layers.Layer):
    """(mean, log-variance) -> a sampled code while training, else the mean."""

    def __init__(self, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, mean, log_variance, training=None):
        if not training:
            return mean
        noise = keras.random.normal(ops.shape(mean), seed=self.generator)
        return mean + ops.exp(0.5 * log_variance) * noise

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="kpipe")
class GaussianKL(keras.layers.Layer):
    """(mean, log-variance) [batch, latent] -> KL(N(mean, var) || N(0, 1)) per example [batch]."""

    def call(self, mean, log_variance):
        return -0.5 * ops.sum(1.0 + log_variance - ops.square(mean) - ops.exp(log_variance), axis=-1)


@keras.saving.register_keras_serializable(package="kpipe")
def summed_binary_crossentropy(truth, predicted):
    """Binary cross-entropy summed over an image's pixels and channels: the Bernoulli reconstruction term."""
    per_pixel = keras.losses.binary_crossentropy(ops.expand_dims(truth, -1), ops.expand_dims(predicted, -1))
    return ops.sum(per_pixel, axis=(1, 2, 3))


@keras.saving.register_keras_serializable(package="kpipe")
def mean_value(truth, predicted):
    """The prediction itself as the loss (a model output that already is a loss term, such as `kl`)."""
    return predicted


def build_vae(backbone, input_shape, *, latent: int, decoder_filters: list[int], seed: int = 0,
              name: str = "vae"):
    """A Keras model images -> {"reconstruction", "kl"}, with sub-models `encoder` and `decoder`."""
    from models.decoders import upsampling_decoder

    images = keras.Input(input_shape, name="images")
    x = backbone(images)
    if len(x.shape) > 2:
        x = keras.layers.Flatten(name="flatten")(x)
    mean = keras.layers.Dense(latent, dtype="float32", name="mean")(x)
    log_variance = keras.layers.Dense(latent, dtype="float32", name="log_variance")(x)
    encoder = keras.Model(images, {"mean": mean, "log_variance": log_variance}, name="encoder")
    decoder = upsampling_decoder(latent, input_shape, decoder_filters, activation="sigmoid", name="decoder")

    inputs = keras.Input(input_shape, name="images")
    encoded = encoder(inputs)
    code = GaussianCode(seed, name="code")(encoded["mean"], encoded["log_variance"])
    reconstruction = keras.layers.Identity(name="reconstruction")(decoder(code))
    kl = GaussianKL(name="kl")(encoded["mean"], encoded["log_variance"])
    return keras.Model(inputs, {"reconstruction": reconstruction, "kl": kl}, name=name)
