"""`keras_cv` backbones: a keras_cv.models backbone class, from a preset or from a config.

The detection backbones (YOLOV8Backbone, CSPDarkNetBackbone) expose the
pyramid levels P3..P5 that `object_detection` builds YOLOv8 on. `config` gives
the constructor arguments for random initialization (`input_shape` is the
pipeline's); `preset` is a preset name the class knows (e.g.
`yolo_v8_xs_backbone_coco`), a `kaggle://` handle or a local preset folder.

Example (YAML):
    model:
      backbone:
        source: keras_cv
        name: YOLOV8Backbone
        config: {stackwise_channels: [16, 32, 64, 128], stackwise_depth: [1, 1, 1, 1], include_rescaling: false}
"""

from pathlib import Path

from pydantic import Field

from models.backbones.library import LibraryBackboneOptions, library_backbone_class
from pipelines.registry import backbones, suggest

REMOTE_SCHEMES = ("kaggle://", "gs://")


class KerasCvOptions(LibraryBackboneOptions):
    name: str = Field(description="A keras_cv.models backbone class, e.g. YOLOV8Backbone or CSPDarkNetBackbone.")
    preset: str | None = Field(None, description="Known preset name, kaggle:// handle or local preset folder.")


def backbone_class(name: str):
    """The keras_cv.models class called `name`; the error suggests close backbone names.

    Example:
        >>> backbone_class("YOLOV8Backbone").__name__
        'YOLOV8Backbone'
    """
    import keras_cv

    return library_backbone_class(keras_cv.models, "keras_cv", name)


def _check_preset(cls, preset: str) -> None:
    """Fail fast and clearly on a preset that cannot be found (never hang on a missing one)."""
    if preset.startswith(REMOTE_SCHEMES) or (Path(preset).expanduser() / "config.json").is_file():
        return
    if preset not in cls.presets:
        raise ValueError(
            f"model.backbone.preset: {preset!r} is neither a local preset folder nor a preset of "
            f"{cls.__name__}{suggest(preset, list(cls.presets))}"
        )


@backbones.register("keras_cv", KerasCvOptions)
def keras_cv_backbone(options: KerasCvOptions, *, input_shape, vocabulary_size: int | None = None):
    """A keras-cv backbone class (YOLOV8Backbone, CSPDarkNetBackbone, ...), from a preset or a config."""
    if vocabulary_size is not None:
        raise ValueError("model.backbone: keras_cv backbones take images, not token ids")
    cls = backbone_class(options.name)
    if options.preset is not None:
        _check_preset(cls, options.preset)
        return cls.from_preset(options.preset, input_shape=tuple(input_shape), **options.config)
    try:
        return cls(**{"input_shape": tuple(input_shape), **options.config})
    except TypeError as error:
        raise ValueError(f"model.backbone.config: {cls.__name__} rejects this config: {error}") from None
