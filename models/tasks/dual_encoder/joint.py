"""A keras-hub CLIP or SigLIP model as both towers of the dual encoder.

When the spec's `model.backbone` is `{source: keras_hub, name: CLIPBackbone}`
or `SigLIPBackbone` (from a `preset`, or a `config` whose `vision_encoder` and
`text_encoder` are `{name: <encoder class>, config: {...}}`), the task uses
that one model whole: the image tower is its vision side
(`get_vision_embeddings`) and the text tower its text side, both
L2-normalised; the head's own towers are not built, so `model.head` sets
no `embedding_dim`, `image_pooling` or `text` (the model's projection sets the
width) and `model.trainable` applies to both sides.

- Tokens: `model.head.tokenize` tokenizes the captions. From a preset it must
  be the preset's tokenizer (`tokenize.preset`); from a config the text
  encoder's `vocabulary_size` (required) and `max_sequence_length` must hold
  the tokenizer's ids and length.
- Text pooling: SigLIP's text encoder pools itself (its last position, where
  its tokenizer pads with the end token). keras-hub's CLIP pools at the
  largest token id (CLIP's end token is its vocabulary's last id), which a
  trained tokenizer does not promise, so the tower reads CLIP's text encoder
  at the last real token (the padding mask's), the end token with CLIP's own
  tokenizer; `text_projection` follows.
- Images: from a preset, the preset's image converter (resize to the model's
  size, then its mean/std scaling) runs first inside the image tower, so it is
  part of the export; the spec's stages must then not scale the pixels (no
  `rescale` or `normalize` stage: the converter expects pixels in [0, 255]).
  From a config there is no converter: the
  vision encoder's `image_shape` is the stages' output (square: CLIP and
  SigLIP need it; add a `resize` stage) and the stages rescale.
- Temperature: from a preset, the model's learned logit scale, unless
  `model.head.temperature` is set; from a config, `model.head.temperature`.

The towers themselves are built by `models.tasks.dual_encoder.joint_model`; this module
checks the spec (and imports no Keras).

Example (YAML):
    stages: [{resize: {height: 32, width: 32}}, {rescale: {scale: 0.00392156862745098}}]
    model:
      backbone: {source: keras_hub, name: CLIPBackbone, config: {projection_dim: 16,
        vision_encoder: {name: CLIPVisionEncoder, config: {patch_size: 8, hidden_dim: 16, num_layers: 1,
                                                           num_heads: 2, intermediate_dim: 32}},
        text_encoder: {name: CLIPTextEncoder, config: {vocabulary_size: 64, embedding_dim: 16, hidden_dim: 16,
                                                       num_layers: 1, num_heads: 2, intermediate_dim: 32,
                                                       max_sequence_length: 12}}}}
      head: {tokenize: {vocabulary_size: 64, sequence_length: 12}}
      # or pretrained: no rescale stage (the preset's image converter resizes and scales)
      backbone: {source: keras_hub, name: CLIPBackbone, preset: clip_vit_base_patch16}
      head: {tokenize: {preset: clip_vit_base_patch16, sequence_length: 77}}

Example:
    >>> from models.backbones.keras_hub import KerasHubOptions
    >>> is_joint(KerasHubOptions(name="SigLIPBackbone", preset="siglip_base_patch16_224"))
    True
"""

from __future__ import annotations

HEADS = {"CLIPBackbone": "clip_head", "SigLIPBackbone": "siglip_head"}
"""The joint keras-hub classes and the layer of each that holds its `logit_scale`."""

KEY = "model.backbone"
"""The spec key of the joint model (its errors name it)."""

SCALING_STAGES = ("rescale", "normalize")
"""Stages that scale pixels, which a preset's image converter does itself."""

HEAD_KEYS = {"embedding_dim": "its projection sets the embedding width",
             "image_pooling": "its vision side pools the images",
             "text": "its text side is the text tower"}
"""`model.head` keys of the head's own towers, which a joint model replaces, and why."""


def is_joint(backbone_spec) -> bool:
    """Whether `model.backbone` is a keras-hub CLIP or SigLIP model (used whole, as both towers)."""
    from models.backbones.keras_hub import KerasHubOptions

    return isinstance(backbone_spec, KerasHubOptions) and backbone_spec.name in HEADS


def _encoder_config(backbone_spec, side: str) -> dict | None:
    """`model.backbone.config.<side>.config` (side: vision_encoder or text_encoder); None where the encoder is
    not given as `{name, config}` (keras-hub then judges it when building)."""
    nested = backbone_spec.config.get(side)
    return nested.get("config") if isinstance(nested, dict) and isinstance(nested.get("config"), dict) else None


def check_joint_spec(spec) -> None:
    """The head sets none of the towers' options; a preset needs its tokenizer and no stage that scales the
    pixels (its image converter does); a config's text encoder takes the tokenizer's ids (`vocabulary_size`
    required) and length (rechecked at build time).

    Example:
        >>> from types import SimpleNamespace
        >>> from models.backbones.keras_hub import KerasHubOptions
        >>> from models.tasks.dual_encoder.head import DualEncoderHead
        >>> model = SimpleNamespace(backbone=KerasHubOptions(name="CLIPBackbone", preset="clip_vit_base_patch16"),
        ...                         head=DualEncoderHead(embedding_dim=32))
        >>> try:
        ...     check_joint_spec(SimpleNamespace(model=model, stages=[]))
        ... except ValueError as error:
        ...     print(error)  # doctest: +ELLIPSIS
        model.head.embedding_dim: model.backbone is a joint CLIPBackbone and its projection sets the ...; remove it
    """
    from pipelines.spec import keyed

    backbone, head = spec.model.backbone, spec.model.head
    for key, why in HEAD_KEYS.items():
        if key in head.model_fields_set:
            raise ValueError(f"model.head.{key}: {KEY} is a joint {backbone.name} and {why}; remove it")
    tokenize = head.tokenize
    if backbone.preset is not None:
        if tokenize.preset is None:
            raise ValueError(f"model.head.tokenize.preset: {KEY}.preset {backbone.preset} reads its own "
                             f"tokenizer's ids; set model.head.tokenize.preset: {backbone.preset} (the same preset)")
        for index, item in enumerate(spec.stages):
            if keyed(item)[0] in SCALING_STAGES:
                raise ValueError(f"stages.{index}.{keyed(item)[0]}: {KEY}.preset {backbone.preset}'s image "
                                 f"converter scales the pixels (from [0, 255]) inside the image tower; remove it")
        return
    text, key = _encoder_config(backbone, "text_encoder"), f"{KEY}.config.text_encoder.config"
    if text is None:
        return
    if "vocabulary_size" not in text:
        raise ValueError(f"{key}.vocabulary_size: required (the captions' tokenizer's size, "
                         f"model.head.tokenize.vocabulary_size, or more)")
    trained_size = None if tokenize.preset else tokenize.vocabulary_size  # a preset's size is known later
    for name, asked, tokens in (("vocabulary_size", "vocabulary_size", trained_size),
                                ("max_sequence_length", "sequence_length", tokenize.sequence_length)):
        given = text.get(name)
        if isinstance(given, int) and tokens is not None and given < tokens:
            raise ValueError(f"{key}.{name}: {given} is less than model.head.tokenize.{asked} {tokens}; raise it")


def check_image_shape(backbone_spec, input_shape) -> None:
    """A joint model from a config is built for the images the stages give: square (CLIP and SigLIP need it),
    and equal to its vision encoder's `image_shape` where the config sets one.

    Example:
        >>> from models.backbones.keras_hub import KerasHubOptions
        >>> try:
        ...     check_image_shape(KerasHubOptions(name="CLIPBackbone", config={"projection_dim": 8}), (32, 48, 3))
        ... except ValueError as error:
        ...     print(error)  # doctest: +ELLIPSIS
        model.backbone.config.vision_encoder: CLIPBackbone takes square images but the stages give 32x48; ...
    """
    if backbone_spec.preset is not None:
        return  # the preset's image converter resizes
    given = (_encoder_config(backbone_spec, "vision_encoder") or {}).get("image_shape")
    key = f"{KEY}.config.vision_encoder"
    if given is not None and tuple(given) != tuple(input_shape):
        raise ValueError(f"{key}.config.image_shape: {tuple(given)} but the stages give images of shape "
                         f"{tuple(input_shape)}; leave it out to get theirs, or resize to it in the stages")
    height, width = input_shape[:2]
    if height != width:
        raise ValueError(f"{key}: {backbone_spec.name} takes square images but the stages give {height}x{width}; "
                         f"add a resize stage to a square (e.g. {{resize: {{height: {min(height, width)}, "
                         f"width: {min(height, width)}}}}})")
