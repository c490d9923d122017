"""`keras_hub` backbones: any keras-hub backbone class, from a preset or from a config.

`preset` is a hub handle (`kaggle://...`, `hf://...`), a preset name the class
knows (e.g. `resnet_50_imagenet`) or a local preset folder. `config` gives the
constructor arguments for random initialization (or overrides for a preset).

Example (YAML):
    model:
      backbone:
        source: keras_hub
        name: ResNetBackbone
        config: {input_conv_filters: [64], input_conv_kernel_sizes: [7], stackwise_num_filters: [64],
                 stackwise_num_blocks: [1], stackwise_num_strides: [1], block_type: basic_block}
"""

from pathlib import Path

from pydantic import Field

from models.backbones.library import LibraryBackboneOptions, library_backbone_class
from pipelines.registry import backbones, suggest

REMOTE_SCHEMES = ("kaggle://", "hf://", "modelscope://", "gs://")


class KerasHubOptions(LibraryBackboneOptions):
    name: str = Field(description="A keras_hub.models backbone class, e.g. ResNetBackbone.")


def backbone_class(name: str):
    """The keras_hub.models class called `name`; the error suggests close backbone names.

    Example:
        >>> backbone_class("ResNetBackbone").__name__
        'ResNetBackbone'
    """
    import keras_hub

    return library_backbone_class(keras_hub.models, "keras_hub", name)


def task_class_for(backbone, task_base: str):
    """The keras-hub task class derived from `keras_hub.models.<task_base>` (e.g. "CausalLM", "Seq2SeqLM") that
    keras-hub pairs with the backbone's class (its `backbone_cls`), or None.

    Example:
        >>> task_class_for(object(), "CausalLM") is None
        True
    """
    import keras_hub

    base = getattr(keras_hub.models, task_base)
    for name in sorted(dir(keras_hub.models)):
        found = getattr(keras_hub.models, name)
        if (isinstance(found, type) and issubclass(found, base)
                and getattr(found, "backbone_cls", None) is type(backbone)):
            return found
    return None


def check_preset(cls, preset: str) -> None:
    """Fail fast and clearly on a preset that cannot be found (never hang on a missing one)."""
    if preset.startswith(REMOTE_SCHEMES):
        return
    local = Path(preset).expanduser()
    if local.exists():
        if not (local / "config.json").is_file():
            raise ValueError(f"model.backbone.preset: {preset} has no config.json; not a keras-hub preset folder")
        return
    if preset not in cls.presets:
        hint = suggest(preset, list(cls.presets))
        raise ValueError(
            f"model.backbone.preset: {preset!r} is neither a local folder nor a preset of "
            f"{cls.__name__}{hint}; use a kaggle:// or hf:// handle for other presets"
        )


def _nested_backbone(value, input_shape):
    """A config value `{name: <Backbone class>, config: {...}}` (or with `preset`) built as a backbone.

    DeepLabV3Backbone takes its `image_encoder` this way:
    `config: {image_encoder: {name: ResNetBackbone, config: {...}}, ...}`.
    """
    if not (isinstance(value, dict) and "name" in value and set(value) <= {"name", "config", "preset"}):
        return value
    return keras_hub_backbone(KerasHubOptions(**value), input_shape=input_shape, name=value["name"])


@backbones.register("keras_hub", KerasHubOptions)
def keras_hub_backbone(options: KerasHubOptions, *, input_shape, vocabulary_size: int | None = None,
                       name: str = "backbone"):
    """A keras-hub backbone class, pretrained from a preset or randomly initialized from a config.

    For text, `vocabulary_size` is the tokenizer's: a config gets it (and
    `max_sequence_length` = the sequence length) unless it sets them itself; a
    preset must embed at least that many ids.
    """
    import inspect

    cls = backbone_class(options.name)
    if options.preset is not None:
        check_preset(cls, options.preset)
        backbone = cls.from_preset(options.preset, **options.config)
        embedded = getattr(backbone, "vocabulary_size", None)
        if vocabulary_size is not None and embedded is not None and embedded < vocabulary_size:
            raise ValueError(
                f"model.backbone.preset: {options.preset} embeds {embedded} token ids but the tokenizer has "
                f"{vocabulary_size}; tokenize with the same preset (stages.tokenize.preset)"
            )
        return backbone
    kwargs = {key: _nested_backbone(value, input_shape) for key, value in options.config.items()}
    accepted = inspect.signature(cls.__init__).parameters
    if "image_shape" in accepted:
        kwargs.setdefault("image_shape", tuple(input_shape))
    if vocabulary_size is not None:
        kwargs.setdefault("vocabulary_size", vocabulary_size)
        if "max_sequence_length" in accepted:
            kwargs.setdefault("max_sequence_length", int(input_shape[0]))
    try:
        return cls(**kwargs)
    except TypeError as error:
        raise ValueError(f"model.backbone.config: {cls.__name__} rejects this config: {error}") from None
