"""The dual encoder: an image tower, a text tower and the symmetric InfoNCE loss of CLIP.

Both towers end in unit-length embeddings of one width; a batch's logits are
their cosine similarities times a learned scale (1 / temperature, at most
100, as CLIP). The loss is the cross-entropy of each image over the batch's
captions and of each caption over the batch's images, averaged; images that
share a caption are each other's positives (the target spreads evenly over
them), so a repeated caption in a batch is no false negative.

`DualEncoder` keeps every caption's token ids (`captions`, [C, L]) and trains
on (images, caption ids); calling it embeds images.

Example:
    >>> import tensorflow as tf
    >>> z = tf.math.l2_normalize(tf.random.normal((4, 8)), axis=1)
    >>> ids = tf.constant([0, 1, 2, 3])
    >>> float(info_nce(z, z, ids, 10.0)) < float(info_nce(z, tf.roll(z, 1, axis=0), ids, 10.0))
    True
"""

from __future__ import annotations

import math

import keras
import numpy as np

MAX_SCALE = 100.0
"""The largest logit scale (smallest temperature, 0.01), as CLIP clips it."""


def info_nce(images, texts, caption_ids, scale):
    """Symmetric InfoNCE of unit embeddings [n, d] paired by row; rows with equal `caption_ids` are positives."""
    import tensorflow as tf

    logits = scale * tf.matmul(images, texts, transpose_b=True)
    same = tf.cast(tf.equal(caption_ids[:, None], caption_ids[None, :]), logits.dtype)
    targets = same / tf.reduce_sum(same, axis=1, keepdims=True)
    to_text = tf.nn.softmax_cross_entropy_with_logits(targets, logits)
    to_image = tf.nn.softmax_cross_entropy_with_logits(tf.transpose(targets), tf.transpose(logits))
    return (tf.reduce_mean(to_text) + tf.reduce_mean(to_image)) / 2


@keras.saving.register_keras_serializable("kpipe")
class MaskedMean(keras.layers.Layer):
    """[batch, length, width] and a padding mask [batch, length] -> the mean of the unmasked positions."""

    def call(self, x, mask):
        weights = keras.ops.cast(mask, x.dtype)[..., None]
        return keras.ops.sum(x * weights, axis=1) / keras.ops.maximum(keras.ops.sum(weights, axis=1), 1.0)


def build_image_tower(backbone, input_shape, embedding_dim: int, pooling: str, name: str = "image_tower"):
    """images -> unit embeddings [batch, embedding_dim]: the backbone, pooled (average or flatten), projected."""
    images = keras.Input(input_shape, name="images")
    features = backbone(images)
    if len(features.shape) > 2:
        layer = keras.layers.Flatten if pooling == "flatten" else keras.layers.GlobalAveragePooling2D
        features = layer(name="pool")(features)
    projected = keras.layers.Dense(embedding_dim, name="projection")(features)
    return keras.Model(images, keras.layers.UnitNormalization(name="normalize")(projected), name=name)


TEXT_BACKBONE = "model.head.text.backbone"
"""The spec key of the text tower's keras-hub backbone (its errors name it)."""


def _rekeyed(error: ValueError) -> ValueError:
    """A backbone error that names the spec's `model.backbone` (the keras_hub source's) renamed to the text
    tower's key."""
    return ValueError(str(error).replace("model.backbone", TEXT_BACKBONE))


def build_text_backbone(options, vocabulary_size: int, sequence_length: int):
    """The keras-hub backbone of `model.head.text.backbone`, checked against the tokenizer.

    From a config, `vocabulary_size` and `max_sequence_length` default to the
    tokenizer's; set, or from a preset, the backbone must embed at least the
    tokenizer's ids and take its `sequence_length` tokens (errors name both keys).

    Example:
        >>> from models.tasks.dual_encoder.head import TextBackboneOptions
        >>> options = TextBackboneOptions(source="keras_hub", name="BertBackbone", config={
        ...     "vocabulary_size": 32, "num_layers": 1, "num_heads": 2, "hidden_dim": 16, "intermediate_dim": 32})
        >>> try:
        ...     build_text_backbone(options, vocabulary_size=64, sequence_length=12)
        ... except ValueError as error:
        ...     print(error)  # doctest: +ELLIPSIS
        model.head.text.backbone.config.vocabulary_size: BertBackbone embeds 32 token ids but ... has 64; ...
    """
    from models.backbones.keras_hub import keras_hub_backbone

    try:
        backbone = keras_hub_backbone(options, input_shape=(sequence_length,),
                                      vocabulary_size=None if options.preset else vocabulary_size)
    except ValueError as error:
        raise _rekeyed(error) from None
    which = f"{TEXT_BACKBONE}.preset" if options.preset else f"{TEXT_BACKBONE}.config"
    embedded = getattr(backbone, "vocabulary_size", None)
    if embedded is not None and embedded < vocabulary_size:
        key = which if options.preset else f"{which}.vocabulary_size"
        raise ValueError(f"{key}: {options.name} embeds {embedded} token ids but the captions' tokenizer "
                         f"(model.head.tokenize) has {vocabulary_size}; "
                         + ("tokenize with the same preset (model.head.tokenize.preset)" if options.preset else
                            "raise it, or leave it out to get the tokenizer's size"))
    longest = getattr(backbone, "max_sequence_length", None)
    if longest is not None and longest < sequence_length:
        key = which if options.preset else f"{which}.max_sequence_length"
        raise ValueError(f"{key}: {options.name} takes at most {longest} tokens but the captions' tokenizer "
                         f"gives {sequence_length} (model.head.tokenize.sequence_length); lower "
                         f"model.head.tokenize.sequence_length to at most {longest}"
                         + ("" if options.preset else " or raise max_sequence_length (or leave it out)"))
    return backbone


def build_text_tower(vocabulary_size: int, sequence_length: int, options, embedding_dim: int,
                     name: str = "text_tower"):
    """{"token_ids", "padding_mask"} [batch, length] -> unit embeddings [batch, embedding_dim].

    The built-in blocks (`options.width`, ...) or, with `options.backbone`, a
    keras-hub backbone's sequence output (BERT's `segment_ids` are zeros);
    either way masked-mean pooled, projected and normalized.

    Example:
        >>> from models.tasks.dual_encoder.head import TextTowerOptions
        >>> tower = build_text_tower(50, 8, TextTowerOptions(width=16, heads=2, intermediate=32), 4)
        >>> tower({"token_ids": np.ones((3, 8), "int32"), "padding_mask": np.ones((3, 8), bool)}).shape
        TensorShape([3, 4])
    """
    import keras_hub

    from models.tasks.text_model import sequence_output

    ids = keras.Input((sequence_length,), dtype="int32", name="token_ids")
    mask = keras.Input((sequence_length,), dtype="bool", name="padding_mask")
    if options.backbone is not None:
        backbone = build_text_backbone(options.backbone, vocabulary_size, sequence_length)
        try:
            x = sequence_output(backbone, {"token_ids": ids, "padding_mask": mask})
        except ValueError as error:
            raise _rekeyed(error) from None
    else:
        x = keras_hub.layers.TokenAndPositionEmbedding(vocabulary_size, sequence_length, options.width,
                                                       name="embedding")(ids)
        for index in range(options.layers):
            x = keras_hub.layers.TransformerEncoder(options.intermediate, options.heads, name=f"block{index}")(
                x, padding_mask=mask)
    pooled = MaskedMean(name="mean")(x, mask)
    projected = keras.layers.Dense(embedding_dim, name="projection")(pooled)
    normalized = keras.layers.UnitNormalization(name="normalize")(projected)
    return keras.Model({"token_ids": ids, "padding_mask": mask}, normalized, name=name)


class DualEncoder(keras.Model):
    """Image and text towers trained with symmetric InfoNCE on (images, caption ids); calling it embeds images."""

    def __init__(self, image_tower, text_tower, captions: dict, *, temperature: float, **kwargs):
        super().__init__(**kwargs)
        self.image_tower, self.text_tower = image_tower, text_tower
        self.captions = {name: np.asarray(value) for name, value in captions.items()}  # every caption's tokens
        self.log_scale = self.add_weight(shape=(), name="log_scale",
                                         initializer=keras.initializers.Constant(math.log(1 / temperature)))
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True  # its parts are built; saving weights needs it said

    def call(self, images, training=False):
        return self.image_tower(images, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def scale(self):
        """The logit scale, exp(log_scale) clipped to `MAX_SCALE`."""
        import tensorflow as tf

        return tf.minimum(tf.exp(self.log_scale), MAX_SCALE)

    def embed_captions(self, caption_ids, training=False):
        """Unit embeddings of the captions with these ids."""
        import tensorflow as tf

        tokens = {name: tf.gather(tf.constant(value), caption_ids) for name, value in self.captions.items()}
        return self.text_tower(tokens, training=training)

    def _loss(self, data, training: bool):
        import tensorflow as tf

        images, caption_ids = data[0], tf.cast(tf.reshape(data[1], [-1]), tf.int32)
        return info_nce(self.image_tower(images, training=training),
                        self.embed_captions(caption_ids, training=training), caption_ids, self.scale())

    def train_step(self, data):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = self._loss(data, True)
        weights = self.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        self.loss_tracker.update_state(self._loss(data, False))
        return {"loss": self.loss_tracker.result()}
