"""Backbones: keras-hub classes (`source: keras_hub`), keras-cv classes (`source: keras_cv`), built-ins
(`source: builtin`) and earlier runs' or registered models' (`from_run: <run id>`, `from_model: models:/...`)."""

FROZEN = "_kpipe_frozen"
"""Marks a layer a spec took out of training (`model.backbone.freeze`); `set_trainable` leaves it frozen."""


def build_backbone(backbone_spec, input_shape, vocabulary_size: int | None = None):
    """Build the backbone a `model.backbone` spec section names, for inputs of `input_shape`.

    Text backbones also get the tokenizer's `vocabulary_size` (and take
    `input_shape` = (sequence_length,)); table backbones get a dict of each
    column's encoded shape.

    Example:
        >>> build_backbone(spec.model.backbone, (8, 8, 1))   # doctest: +SKIP
    """
    from pipelines import registry

    text = {} if vocabulary_size is None else {"vocabulary_size": vocabulary_size}
    source = getattr(backbone_spec, "source", "from_run")  # `from_run:` / `from_model:` specs name no source
    if source == "builtin":
        component = registry.backbones.get(f"builtin.{backbone_spec.name}")
        try:
            return component.build(backbone_spec.config, input_shape=_shape(input_shape), **text)
        except TypeError as error:
            if "vocabulary_size" not in str(error):
                raise
            raise ValueError(f"model.backbone: builtin {backbone_spec.name!r} is not a text backbone") from None
    return registry.backbones.get(source).build(backbone_spec, input_shape=_shape(input_shape), **text)


def set_trainable(backbone, trainable: bool) -> None:
    """`backbone.trainable = trainable` (which Keras applies to every layer inside), except that the layers
    marked `FROZEN` (`model.backbone.freeze`) stay frozen.

    Example:
        >>> set_trainable(backbone, True)   # doctest: +SKIP
    """
    backbone.trainable = trainable
    for layer in backbone._flatten_layers(include_self=True, recursive=True):
        if getattr(layer, FROZEN, False):
            layer.trainable = False


def _shape(input_shape):
    """A tuple, or a dict of tuples (one encoded shape per table column) as it is."""
    if isinstance(input_shape, dict):
        return {name: tuple(shape) for name, shape in input_shape.items()}
    return tuple(input_shape)
