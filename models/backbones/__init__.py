"""Backbones: keras-hub classes (`source: keras_hub`) and built-ins (`source: builtin`)."""


def build_backbone(backbone_spec, input_shape):
    """Build the backbone a `model.backbone` spec section names, for inputs of `input_shape`.

    Example:
        >>> build_backbone(spec.model.backbone, (8, 8, 1))   # doctest: +SKIP
    """
    from pipelines import registry

    if backbone_spec.source == "builtin":
        component = registry.backbones.get(f"builtin.{backbone_spec.name}")
        return component.build(backbone_spec.config, input_shape=tuple(input_shape))
    return registry.backbones.get(backbone_spec.source).build(backbone_spec, input_shape=tuple(input_shape))
