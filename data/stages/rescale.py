"""`rescale`: multiply pixel values by `scale` and add `offset` (default: [0, 255] to [0, 1]).

Example (YAML):
    stages:
      - rescale: {scale: 0.00392156862745098}
"""

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import stages


class RescaleOptions(Options):
    shorthand = "scale"

    scale: float = Field(1 / 255, description="Multiplier applied to every value.")
    offset: float = Field(0.0, description="Added after scaling.")


@stages.register("rescale", RescaleOptions)
def rescale(options: RescaleOptions, *, seed: int = 0):
    """Rescale values with keras.layers.Rescaling (also inside the serving graph)."""
    import keras

    from data.stage import Stage

    return Stage("rescale", keras.layers.Rescaling(options.scale, offset=options.offset))
