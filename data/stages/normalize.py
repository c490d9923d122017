"""`normalize`: subtract the mean and divide by the standard deviation, per channel.

Without `mean`/`variance` the statistics are learned from the training split
(Keras `Normalization.adapt`), and travel inside the export.

Example (YAML):
    stages:
      - normalize            # adapt on the training split
      - normalize: {mean: [0.5], variance: [0.25]}
"""

from typing import Optional

from pydantic import Field, model_validator

from pipelines.options import Options
from pipelines.registry import stages


class NormalizeOptions(Options):
    mean: Optional[list[float]] = Field(None, description="Per-channel mean; learned if omitted.")
    variance: Optional[list[float]] = Field(None, description="Per-channel variance; learned if omitted.")

    @model_validator(mode="after")
    def _both_or_neither(self):
        if (self.mean is None) != (self.variance is None):
            raise ValueError("give both mean and variance, or neither to learn them")
        if self.variance is not None and len(self.variance) != len(self.mean):
            raise ValueError("mean and variance need the same number of channels")
        return self


@stages.register("normalize", NormalizeOptions)
def normalize(options: NormalizeOptions, *, seed: int = 0):
    """Normalize per channel with keras.layers.Normalization (adapted on the training split)."""
    import keras

    from data.stage import Stage

    layer = keras.layers.Normalization(axis=-1, mean=options.mean, variance=options.variance)
    return Stage("normalize", layer, adapt=options.mean is None)
