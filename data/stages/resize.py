"""`resize`: resize images to the model's input size (per example, before caching).

`resize: auto` (height and width `auto`) leaves the size to the task, which
chooses it from the training split when it can (object detection and
segmentation: from the image and object sizes, see `data.object_sizes`); the
run prints the choice and logs the resolved spec. Tasks that do not choose a
size refuse `auto` when the spec is validated.

Example (YAML):
    stages:
      - resize: {height: 32, width: 32}
      - resize: auto
"""

from typing import Literal

from pydantic import Field, model_validator

from pipelines.options import AUTO, Options, auto_or_count
from pipelines.registry import stages



class ResizeOptions(Options):
    shorthand = "height"
    height: auto_or_count(8192) = Field(
        AUTO, description="Output height in pixels, or auto: chosen from the training split by the task."
    )
    width: auto_or_count(8192) = Field(
        AUTO, description="Output width in pixels, or auto (with height auto)."
    )
    interpolation: Literal["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"] = "bilinear"
    crop_to_aspect_ratio: bool = Field(False, description="Center-crop to the target aspect ratio first.")

    @model_validator(mode="after")
    def _both_or_neither_auto(self):
        if (self.height == AUTO) != (self.width == AUTO):
            raise ValueError("give both height and width, or neither (resize: auto)")
        return self

    @property
    def auto(self) -> bool:
        """Whether the task chooses the size."""
        return self.height == AUTO


@stages.register("resize", ResizeOptions)
def resize(options: ResizeOptions, *, seed: int = 0):
    """Resize images with keras.layers.Resizing (also inside the serving graph)."""
    import keras

    from data.annotations import BOX_FORMAT
    from data.stage import Stage

    if options.auto:
        raise ValueError("stages.resize: auto was not resolved; the task chooses it before the stages are built")
    layer = keras.layers.Resizing(
        options.height, options.width, interpolation=options.interpolation,
        crop_to_aspect_ratio=options.crop_to_aspect_ratio, bounding_box_format=BOX_FORMAT,
    )
    return Stage("resize", layer, moves_pixels=True)
