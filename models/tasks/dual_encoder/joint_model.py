"""The towers of a keras-hub CLIP or SigLIP model used whole by the dual encoder (see
`models.tasks.dual_encoder.joint` for the spec's rules): the vision side with the preset's image converter
first, the text side read at the last real token (CLIP) or pooled by the model (SigLIP), both L2-normalised.

Example:
    >>> towers = joint_towers(clip_backbone, options, (32, 32, 3), vocabulary_size=64, sequence_length=12)  # doctest: +SKIP
    >>> towers.image_tower.output_shape                                                                   # doctest: +SKIP
    (None, 8)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import keras

from models.tasks.dual_encoder.joint import HEADS, KEY

@keras.saving.register_keras_serializable("kpipe")
class LastToken(keras.layers.Layer):
    """[batch, length, width] and a padding mask [batch, length] -> the last unmasked position [batch, width]."""

    def call(self, x, mask):
        last = keras.ops.maximum(keras.ops.sum(keras.ops.cast(mask, "int32"), axis=1) - 1, 0)
        return keras.ops.take_along_axis(x, last[:, None, None], axis=1)[:, 0]


class JointTowers(NamedTuple):
    """The image and text towers of a joint model, and its logit scale (exp of its `logit_scale`)."""

    image_tower: keras.Model
    text_tower: keras.Model
    logit_scale: float


def joint_towers(backbone, options, input_shape, vocabulary_size: int, sequence_length: int) -> JointTowers:
    """The image and text towers of the joint `backbone` (`options`: its `model.backbone` spec), checked against
    the tokenizer's `vocabulary_size` and `sequence_length`; both end in unit embeddings of one width.

    Example:
        >>> from models.backbones.keras_hub import KerasHubOptions, keras_hub_backbone
        >>> options = KerasHubOptions(name="SigLIPBackbone", config={
        ...     "vision_encoder": {"name": "SigLIPVisionEncoder", "config": {
        ...         "patch_size": 8, "hidden_dim": 8, "num_layers": 1, "num_heads": 2, "intermediate_dim": 16}},
        ...     "text_encoder": {"name": "SigLIPTextEncoder", "config": {
        ...         "vocabulary_size": 32, "embedding_dim": 8, "hidden_dim": 8, "num_layers": 1, "num_heads": 2,
        ...         "intermediate_dim": 16, "max_sequence_length": 8}}})
        >>> towers = joint_towers(keras_hub_backbone(options, input_shape=(16, 16, 3)), options, (16, 16, 3), 32, 8)
        >>> towers.image_tower.output_shape, towers.text_tower.output_shape
        ((None, 8), (None, 8))
    """
    _check_text_encoder(backbone.text_encoder, options, vocabulary_size, sequence_length)
    images = keras.Input(input_shape, name="images")
    x = images
    if options.preset is not None:
        x = _image_converter(options.preset)(x)
    image = keras.layers.UnitNormalization(name="normalize")(backbone.get_vision_embeddings(x))
    image_tower = keras.Model(images, image, name="image_tower")

    ids = keras.Input((sequence_length,), dtype="int32", name="token_ids")
    mask = keras.Input((sequence_length,), dtype="bool", name="padding_mask")
    if options.name == "CLIPBackbone":
        text = backbone.text_projection(LastToken(name="end_token")(backbone.text_encoder({"token_ids": ids}), mask))
    else:
        text = backbone.get_text_embeddings(ids)
    text = keras.layers.UnitNormalization(name="normalize")(text)
    text_tower = keras.Model({"token_ids": ids, "padding_mask": mask}, text, name="text_tower")

    if image.shape[-1] != text.shape[-1]:
        raise ValueError(f"{KEY}: {options.name}'s vision side embeds into {image.shape[-1]} dimensions and its "
                         f"text side into {text.shape[-1]}; make them equal (SigLIP: "
                         f"text_encoder.config.projection_dim = vision_encoder.config.hidden_dim)")
    scale = math.exp(float(getattr(backbone, HEADS[options.name]).logit_scale.numpy()))
    return JointTowers(image_tower, text_tower, scale)


def _check_text_encoder(encoder, options, vocabulary_size: int, sequence_length: int) -> None:
    """The text encoder embeds the tokenizer's ids and takes its length (errors name the spec keys)."""
    which = f"{KEY}.preset" if options.preset else f"{KEY}.config.text_encoder.config"
    if encoder.vocabulary_size < vocabulary_size:
        key = which if options.preset else f"{which}.vocabulary_size"
        raise ValueError(f"{key}: {options.name} embeds {encoder.vocabulary_size} token ids but the captions' "
                         f"tokenizer (model.head.tokenize) has {vocabulary_size}; "
                         + ("tokenize with the same preset (model.head.tokenize.preset)" if options.preset
                            else "raise it"))
    if encoder.max_sequence_length < sequence_length:
        key = which if options.preset else f"{which}.max_sequence_length"
        raise ValueError(f"{key}: {options.name} takes at most {encoder.max_sequence_length} tokens but the "
                         f"captions' tokenizer gives {sequence_length}; lower model.head.tokenize.sequence_length "
                         f"to at most {encoder.max_sequence_length}"
                         + ("" if options.preset else " or raise max_sequence_length"))


def _image_converter(preset: str):
    """The preset's keras-hub image converter (resize and scaling), which the image tower runs first."""
    import keras_hub

    try:
        return keras_hub.layers.ImageConverter.from_preset(preset, name="image_converter")
    except (ValueError, FileNotFoundError) as error:
        raise ValueError(f"{KEY}.preset: {preset} has no image converter to preprocess the images as the model "
                         f"expects ({error})") from None
