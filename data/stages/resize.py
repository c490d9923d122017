"""`resize`: resize images to the model's input size (per example, before caching).

Example (YAML):
    stages:
      - resize: {height: 32, width: 32}
"""

from typing import Literal

from pydantic import Field

from pipelines.options import Options, PositiveInt
from pipelines.registry import stages


class ResizeOptions(Options):
    height: PositiveInt = Field(le=8192, description="Output height in pixels.")
    width: PositiveInt = Field(le=8192, description="Output width in pixels.")
    interpolation: Literal["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"] = "bilinear"
    crop_to_aspect_ratio: bool = Field(False, description="Center-crop to the target aspect ratio first.")


@stages.register("resize", ResizeOptions)
def resize(options: ResizeOptions, *, seed: int = 0):
    """Resize images with keras.layers.Resizing (also inside the serving graph)."""
    import keras

    from data.annotations import BOX_FORMAT
    from data.stage import Stage

    layer = keras.layers.Resizing(
        options.height, options.width, interpolation=options.interpolation,
        crop_to_aspect_ratio=options.crop_to_aspect_ratio, bounding_box_format=BOX_FORMAT,
    )
    return Stage("resize", layer, moves_pixels=True)
