"""The GAN: a generator from noise (and a class) to pixels, a discriminator, and their alternating training.

`build_generator` maps noise [batch, noise] (and, conditional, a class id) to
pixels in [0, 1] with the shared upsampling decoder; `build_discriminator`
puts a real/fake logit on the spec's image backbone (conditional: a projection
discriminator, the class embedding's dot product with the features added).
`Gan` trains them in turns (its own `train_step`, TensorFlow): the
discriminator on real images (targets smoothed to 1 - `label_smoothing`) and
generated ones, with an optional R1 gradient penalty on the real images, then
the generator with the non-saturating loss. The generator's optimizer is the
discriminator's, its learning rate times `generator_rate` (TTUR). Its
`d_loss` and `g_loss` are logged per epoch (and `val_` on the validation split).

Example:
    >>> import keras
    >>> generator = build_generator(noise=4, image_shape=(8, 8, 1), filters=[8])
    >>> tuple(generator(np.zeros((2, 4), "float32")).shape)
    (2, 8, 8, 1)
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def build_generator(*, noise: int, image_shape, filters: list[int], num_classes: int = 0, name: str = "generator"):
    """noise [batch, noise] (and class ids [batch] when `num_classes`) -> pixels in [0, 1]."""
    from models.decoders import upsampling_decoder

    decoder = upsampling_decoder(2 * noise if num_classes else noise, image_shape, filters, activation="sigmoid",
                                 batch_norm=True, name="decoder")
    codes = keras.Input((noise,), name="noise")
    if not num_classes:
        return keras.Model(codes, decoder(codes), name=name)
    classes = keras.Input((), dtype="int32", name="class_id")
    embedded = keras.layers.Embedding(num_classes, noise, name="class_embedding")(classes)
    return keras.Model([codes, classes], decoder(keras.layers.Concatenate()([codes, embedded])), name=name)


def build_discriminator(backbone, image_shape, *, num_classes: int = 0, name: str = "discriminator"):
    """images (and class ids when `num_classes`) -> one real/fake logit per image."""
    images = keras.Input(image_shape, name="images")
    features = backbone(images)
    if len(features.shape) > 2:
        features = keras.layers.Flatten(name="flatten")(features)
    logit = keras.layers.Dense(1, dtype="float32", name="logit")(features)
    if not num_classes:
        return keras.Model(images, logit, name=name)
    classes = keras.Input((), dtype="int32", name="class_id")
    embedded = keras.layers.Embedding(num_classes, features.shape[-1], name="class_projection")(classes)
    projection = keras.layers.Dot(axes=-1, name="projection")([embedded, features])
    return keras.Model([images, classes], keras.layers.Add(name="conditional_logit")([logit, projection]), name=name)


@keras.saving.register_keras_serializable(package="kpipe")
class ScaledSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A learning-rate schedule (or a constant) times a factor."""

    def __init__(self, schedule, factor: float):
        self.schedule, self.factor = schedule, factor

    def __call__(self, step):
        rate = self.schedule(step) if callable(self.schedule) else self.schedule
        return rate * self.factor

    def get_config(self):
        schedule = (keras.optimizers.schedules.serialize(self.schedule) if callable(self.schedule)
                    else float(self.schedule))
        return {"schedule": schedule, "factor": self.factor}

    @classmethod
    def from_config(cls, config):
        schedule = config["schedule"]
        if isinstance(schedule, dict):
            schedule = keras.optimizers.schedules.deserialize(schedule)
        return cls(schedule, config["factor"])


class Gan(keras.Model):
    """Generator and discriminator trained in turns; calling it generates images from its inputs."""

    def __init__(self, generator, discriminator, *, noise: int, num_classes: int = 0, label_smoothing: float = 0.0,
                 gradient_penalty: float = 0.0, generator_rate: float = 1.0, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.noise, self.num_classes = noise, num_classes
        self.label_smoothing, self.gradient_penalty, self.generator_rate = label_smoothing, gradient_penalty, generator_rate
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.generator_optimizer = None
        self.built = True  # its two parts are built; saving weights needs it said

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, optimizer="adam", **kwargs):
        """The discriminator's optimizer as given; the generator's a copy with its learning rate times generator_rate."""
        optimizer = keras.optimizers.get(optimizer)
        super().compile(optimizer=optimizer, **{k: v for k, v in kwargs.items() if k == "jit_compile"})
        config = optimizer.get_config()
        rate = optimizer._learning_rate if hasattr(optimizer, "_learning_rate") else config["learning_rate"]
        copy = optimizer.__class__.from_config({**config, "learning_rate": 1.0})
        copy.learning_rate = ScaledSchedule(rate if callable(rate) else float(keras.ops.convert_to_numpy(rate)),
                                            self.generator_rate)
        self.generator_optimizer = copy

    def _generator_inputs(self, batch, labels):
        noise = keras.random.normal((batch, self.noise), seed=self.seed_generator)
        return [noise, labels] if self.num_classes else noise

    def _judge(self, images, labels, training):
        return self.discriminator([images, labels] if self.num_classes else images, training=training)

    def _batch_losses(self, images, labels, training):
        """(discriminator loss, generator loss) of one batch."""
        fake = self.generator(self._generator_inputs(ops.shape(images)[0], labels), training=training)
        real_logits, fake_logits = self._judge(images, labels, training), self._judge(fake, labels, training)
        real_target = ops.ones_like(real_logits) * (1.0 - self.label_smoothing)
        d_loss = (ops.mean(keras.losses.binary_crossentropy(real_target, real_logits, from_logits=True))
                  + ops.mean(keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits,
                                                              from_logits=True)))
        g_loss = ops.mean(keras.losses.binary_crossentropy(ops.ones_like(fake_logits), fake_logits, from_logits=True))
        return d_loss, g_loss

    def train_step(self, data):
        import tensorflow as tf

        images, labels = data[0], ops.cast(data[1], "int32")
        with tf.GradientTape() as tape:
            if self.gradient_penalty:
                with tf.GradientTape() as inner:
                    inner.watch(images)
                    judged = ops.sum(self._judge(images, labels, True))
                slopes = inner.gradient(judged, images)
                penalty = 0.5 * self.gradient_penalty * ops.mean(ops.sum(ops.square(slopes), axis=(1, 2, 3)))
            else:
                penalty = 0.0
            d_loss, _ = self._batch_losses(images, labels, True)
            d_total = d_loss + penalty
        weights = self.discriminator.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(d_total, weights), weights))
        with tf.GradientTape() as tape:
            fake = self.generator(self._generator_inputs(ops.shape(images)[0], labels), training=True)
            fake_logits = self._judge(fake, labels, True)
            g_loss = ops.mean(keras.losses.binary_crossentropy(ops.ones_like(fake_logits), fake_logits,
                                                               from_logits=True))
        weights = self.generator.trainable_weights
        self.generator_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    def test_step(self, data):
        images, labels = data[0], ops.cast(data[1], "int32")
        d_loss, g_loss = self._batch_losses(images, labels, False)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}
