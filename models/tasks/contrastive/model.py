"""SimCLR: two augmented views of each image, an encoder, a projection head and the NT-Xent loss.

`SimClr` holds the encoder (the spec's image backbone, pooled to a vector),
the projection head and the augmentation (the spec's `augment` stages, run in
the model twice per batch so the views differ); its own `train_step`
(TensorFlow) pulls the two views of an image together and pushes the other
images of the batch away (`nt_xent`). Calling it gives the encoder's
features, what a linear probe and later tasks use.

Example:
    >>> import tensorflow as tf
    >>> z = tf.math.l2_normalize(tf.random.normal((4, 8)), axis=1)
    >>> float(nt_xent(z, z, 0.1)) < float(nt_xent(z, tf.roll(z, 1, axis=0), 0.1))
    True
"""

from __future__ import annotations

import keras


def nt_xent(first, second, temperature: float):
    """The normalized temperature-scaled cross-entropy of two views [n, d] (L2-normalised): each row's positive
    is the same row of the other view, its negatives the 2n - 2 other rows."""
    import tensorflow as tf

    views = tf.concat([first, second], axis=0)
    count = tf.shape(first)[0]
    logits = tf.matmul(views, views, transpose_b=True) / temperature
    logits = logits - tf.eye(2 * count) * 1e9  # a view is not its own positive
    targets = tf.concat([tf.range(count, 2 * count), tf.range(count)], axis=0)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits))


def build_encoder(backbone, input_shape, name: str = "encoder"):
    """images -> features [batch, d]: the backbone, globally average-pooled when it gives a map."""
    images = keras.Input(input_shape, name="images")
    features = backbone(images)
    if len(features.shape) > 2:
        features = keras.layers.GlobalAveragePooling2D(name="pool")(features)
    return keras.Model(images, features, name=name)


def build_projection(width: int, units: list[int], name: str = "projection"):
    """features -> L2-normalised projections: dense layers with ReLU between them."""
    features = keras.Input((width,), name="features")
    x = features
    for index, count in enumerate(units):
        x = keras.layers.Dense(count, name=f"dense{index}")(x)
        if index < len(units) - 1:
            x = keras.layers.ReLU(name=f"relu{index}")(x)
    return keras.Model(features, keras.layers.UnitNormalization(name="normalize")(x), name=name)


class SimClr(keras.Model):
    """Encoder and projection trained with NT-Xent on two augmented views; calling it encodes images."""

    def __init__(self, encoder, projection, augment, *, temperature: float, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.projection, self.augment = encoder, projection, augment
        self.temperature = temperature
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True  # its parts are built; saving weights needs it said

    def call(self, images, training=False):
        return self.encoder(images, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def _loss(self, images, training: bool):
        first = self.projection(self.encoder(self.augment(images), training=training), training=training)
        second = self.projection(self.encoder(self.augment(images), training=training), training=training)
        return nt_xent(first, second, self.temperature)

    def train_step(self, data):
        import tensorflow as tf

        images = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            loss = self._loss(images, True)
        weights = self.encoder.trainable_weights + self.projection.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        images = data[0] if isinstance(data, tuple) else data
        self.loss_tracker.update_state(self._loss(images, False))
        return {"loss": self.loss_tracker.result()}
