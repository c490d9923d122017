"""Built-in `cnn` backbone: stacks of Conv-BatchNorm-ReLU blocks with max pooling.

Example (YAML):
    model:
      backbone: {source: builtin, name: cnn, config: {filters: [32, 64], blocks_per_stage: 2}}
"""

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class CnnOptions(Options):
    filters: list[PositiveInt] = Field([32, 64], min_length=1, description="Filters per stage.")
    blocks_per_stage: PositiveInt = Field(2, le=16, description="Conv blocks before each pooling.")
    kernel_size: PositiveInt = Field(3, le=15)
    dropout: Fraction = Field(0.0, description="Spatial dropout after each stage.")


@backbones.register("builtin.cnn", CnnOptions)
def cnn(options: CnnOptions, *, input_shape, name: str = "backbone"):
    """A small convolutional network (Conv-BN-ReLU blocks, max pooling between stages).

    Example:
        >>> cnn(CnnOptions(filters=[8]), input_shape=(8, 8, 1)).output.shape
        (None, 4, 4, 8)
    """
    import keras

    inputs = keras.Input(input_shape)
    x = inputs
    for stage, filters in enumerate(options.filters):
        for block in range(options.blocks_per_stage):
            x = keras.layers.Conv2D(filters, options.kernel_size, padding="same", use_bias=False,
                                    name=f"stage{stage}_conv{block}")(x)
            x = keras.layers.BatchNormalization(momentum=0.9, name=f"stage{stage}_bn{block}")(x)
            x = keras.layers.ReLU(name=f"stage{stage}_relu{block}")(x)
        if min(x.shape[1], x.shape[2]) >= 2:
            x = keras.layers.MaxPooling2D(name=f"stage{stage}_pool")(x)
        if options.dropout:
            x = keras.layers.SpatialDropout2D(options.dropout, name=f"stage{stage}_dropout")(x)
    return keras.Model(inputs, x, name=name)
