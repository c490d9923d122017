"""A denoising diffusion model: a U-Net that predicts the noise in an image, trained on every noise level, and
DDIM sampling that turns a seed's noise into an image in a few steps.

The noise schedule is continuous (as in Keras's DDIM example): at diffusion
time t in [0, 1] an image x in [-1, 1] becomes signal(t) * x + noise(t) * e,
with signal = cos and noise = sin of an angle that runs from
arccos(MAX_SIGNAL) to arccos(MIN_SIGNAL). The network reads the noisy image,
a sinusoidal embedding of noise(t)^2 spread over the image (and, conditional,
a class embedding, with one extra "no class" id for classifier-free
guidance), through the spec's U-Net backbone, and predicts e. Training
(`Diffusion.train_step`, TensorFlow) minimises the absolute error of that
prediction and keeps an exponential moving average of the weights
(`ema_network`), which samples. `ddim_sample` runs the deterministic DDIM
steps from a seed's noise, the same in the Keras model and inside the export.

Example:
    >>> import tensorflow as tf
    >>> signal, noise = rates(tf.constant([0.0, 1.0]))
    >>> [round(float(v), 2) for v in signal], [round(float(v), 2) for v in noise]
    ([0.95, 0.02], [0.31, 1.0])
"""

from __future__ import annotations

import math

import keras
from keras import ops

MAX_SIGNAL, MIN_SIGNAL = 0.95, 0.02
"""The signal rates at diffusion time 0 (least noise) and 1 (almost pure noise)."""

EMBEDDING = 32
"""Width of the noise-level embedding (and of the class embedding)."""


def rates(times):
    """(signal rates, noise rates) at diffusion times in [0, 1]."""
    start, end = math.acos(MAX_SIGNAL), math.acos(MIN_SIGNAL)
    angles = start + times * (end - start)
    return ops.cos(angles), ops.sin(angles)


@keras.saving.register_keras_serializable(package="kpipe")
class NoiseEmbedding(keras.layers.Layer):
    """noise variance [batch, 1, 1, 1] -> sinusoidal embedding [batch, h, w, EMBEDDING] spread over the image."""

    def __init__(self, height: int, width: int, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = height, width

    def call(self, variance):
        frequencies = ops.exp(ops.linspace(math.log(1.0), math.log(1000.0), EMBEDDING // 2))
        angles = 2.0 * math.pi * frequencies * variance
        embedding = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)
        return ops.tile(embedding, [1, self.height, self.width, 1])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


@keras.saving.register_keras_serializable(package="kpipe")
class SpreadOverImage(keras.layers.Layer):
    """[batch, d] -> [batch, h, w, d]: a vector repeated at every pixel."""

    def __init__(self, height: int, width: int, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = height, width

    def call(self, vectors):
        return ops.tile(vectors[:, None, None, :], [1, self.height, self.width, 1])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


def build_network(backbone, image_shape, num_classes: int = 0, name: str = "network"):
    """[noisy images, noise variances (, class ids)] -> the predicted noise, through the U-Net `backbone`."""
    height, width, channels = image_shape
    noisy = keras.Input(image_shape, name="noisy_images")
    variance = keras.Input((1, 1, 1), name="noise_variances")
    parts = [noisy, NoiseEmbedding(height, width, name="noise_embedding")(variance)]
    inputs = [noisy, variance]
    if num_classes:
        classes = keras.Input((), dtype="int32", name="class_id")
        embedded = keras.layers.Embedding(num_classes + 1, EMBEDDING, name="class_embedding")(classes)
        parts.append(SpreadOverImage(height, width, name="class_planes")(embedded))
        inputs.append(classes)
    features = backbone(keras.layers.Concatenate(name="network_input")(parts))
    noise = keras.layers.Conv2D(channels, 1, kernel_initializer="zeros", dtype="float32", name="noise")(features)
    return keras.Model(inputs, noise, name=name)


def ddim_sample(network, noise, steps: int, class_ids=None, null_class: int | None = None, guidance: float = 0.0):
    """TensorFlow: images in [0, 1] from initial noise [batch, h, w, c] by `steps` deterministic DDIM steps (a
    `tf.while_loop`, so the export's graph holds the network once, whatever the steps).

    With `class_ids`, classifier-free guidance mixes the conditional and the "no class" (`null_class`)
    predictions: uncond + guidance * (cond - uncond) (guidance 1: the conditional prediction alone).
    """
    import tensorflow as tf

    batch = tf.shape(noise)[0]

    def step_down(step, images, clean):
        times = tf.fill([batch, 1, 1, 1], 1.0 - tf.cast(step, tf.float32) / steps)
        signal, level = rates(times)
        predicted = _predict(network, images, level ** 2, class_ids, null_class, guidance)
        clean = (images - level * predicted) / signal
        next_signal, next_level = rates(times - 1.0 / steps)
        return step + 1, next_signal * clean + next_level * predicted, clean

    start = (tf.constant(0), tf.convert_to_tensor(noise, tf.float32), tf.zeros_like(noise, tf.float32))
    _, _, clean = tf.while_loop(lambda step, images, clean: step < steps, step_down, start)
    return tf.clip_by_value((clean + 1.0) / 2.0, 0.0, 1.0)


def _predict(network, images, variances, class_ids, null_class, guidance):
    import tensorflow as tf

    if class_ids is None:
        return network([images, variances], training=False)
    conditional = network([images, variances, class_ids], training=False)
    if guidance == 1.0:
        return conditional
    unconditional = network([images, variances, tf.fill(tf.shape(class_ids), null_class)], training=False)
    return unconditional + guidance * (conditional - unconditional)


class Diffusion(keras.Model):
    """The noise-predicting network, its moving average and their training; `ema_network` samples."""

    def __init__(self, network, ema_network, *, num_classes: int = 0, unconditional_share: float = 0.1,
                 ema: float = 0.99, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.network, self.ema_network = network, ema_network
        self.num_classes, self.unconditional_share, self.ema = num_classes, unconditional_share, ema
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.ema_network.set_weights(self.network.get_weights())
        self.built = True  # its parts are built; saving weights needs it said

    def call(self, inputs, training=False):
        return self.network(inputs, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def _loss(self, images, labels, training: bool):
        batch = ops.shape(images)[0]
        images = images * 2.0 - 1.0
        noise = keras.random.normal(ops.shape(images), seed=self.seed_generator)
        times = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator)
        signal, level = rates(times)
        inputs = [signal * images + level * noise, level ** 2]
        if self.num_classes:
            dropped = keras.random.uniform((batch,), seed=self.seed_generator) < self.unconditional_share
            inputs.append(ops.where(dropped, self.num_classes, ops.cast(labels, "int32")))
        return ops.mean(ops.abs(noise - self.network(inputs, training=training)))

    def train_step(self, data):
        import tensorflow as tf

        images, labels = data[0], data[1]
        with tf.GradientTape() as tape:
            loss = self._loss(images, labels, True)
        weights = self.network.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        for average, weight in zip(self.ema_network.weights, self.network.weights):
            average.assign(self.ema * average + (1.0 - self.ema) * weight)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        self.loss_tracker.update_state(self._loss(data[0], data[1], False))
        return {"loss": self.loss_tracker.result()}
