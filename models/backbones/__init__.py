"""Backbones: keras-hub classes (`source: keras_hub`), keras-cv classes (`source: keras_cv`) and built-ins (`source: builtin`)."""


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
    if backbone_spec.source == "builtin":
        component = registry.backbones.get(f"builtin.{backbone_spec.name}")
        try:
            return component.build(backbone_spec.config, input_shape=_shape(input_shape), **text)
        except TypeError as error:
            if "vocabulary_size" not in str(error):
                raise
            raise ValueError(f"model.backbone: builtin {backbone_spec.name!r} is not a text backbone") from None
    return registry.backbones.get(backbone_spec.source).build(backbone_spec, input_shape=_shape(input_shape), **text)


def _shape(input_shape):
    """A tuple, or a dict of tuples (one encoded shape per table column) as it is."""
    if isinstance(input_shape, dict):
        return {name: tuple(shape) for name, shape in input_shape.items()}
    return tuple(input_shape)
