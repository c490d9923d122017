"""Built-in `unet` backbone: a U-Net encoder-decoder with skip connections, for per-pixel tasks.

Takes images [batch, height, width, channels] and returns per-pixel features
[batch, height, width, filters[0]] at full input resolution; the task adds the
1x1 classifier. Level `i` works at 1 / 2**i of the input resolution with
`filters[i]` filters, so height and width must be multiples of
2**(len(filters) - 1) (the `resize` stage sets them).

Example (YAML):
    stages:
      - resize: {height: 128, width: 128}
    model:
      backbone: {source: builtin, name: unet, config: {filters: [16, 32, 64, 128], upsampling: bilinear}}
"""

from typing import Literal

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class UnetOptions(Options):
    filters: list[PositiveInt] = Field([16, 32, 64], min_length=1, max_length=8,
                                       description="Filters per level, full resolution first; depth = len(filters).")
    blocks_per_level: PositiveInt = Field(2, le=8, description="3x3 conv blocks at each level, down and up.")
    dropout: Fraction = Field(0.0, description="Spatial dropout after each encoder level.")
    use_batch_norm: bool = Field(True, description="Batch normalization after each convolution.")
    upsampling: Literal["transpose", "bilinear"] = Field(
        "transpose", description="Decoder upsampling: a learned 2x2 transposed conv, or bilinear resizing.")


@backbones.register("builtin.unet", UnetOptions)
def unet(options: UnetOptions, *, input_shape, name: str = "backbone"):
    """A U-Net: conv blocks and max pooling down, upsampling and skip-concatenated conv blocks back up.

    Example:
        >>> unet(UnetOptions(filters=[4, 8]), input_shape=(8, 8, 3)).output.shape
        (None, 8, 8, 4)
    """
    import keras

    _check_input_shape(input_shape, depth=len(options.filters))

    def conv_blocks(x, filters, prefix):
        for block in range(options.blocks_per_level):
            x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=not options.use_batch_norm,
                                    name=f"{prefix}_conv{block}")(x)
            if options.use_batch_norm:
                x = keras.layers.BatchNormalization(momentum=0.9, name=f"{prefix}_bn{block}")(x)
            x = keras.layers.ReLU(name=f"{prefix}_relu{block}")(x)
        return x

    inputs = keras.Input(input_shape)
    x, skips = inputs, []
    for level, filters in enumerate(options.filters):
        if level:
            skips.append(x)
            x = keras.layers.MaxPooling2D(name=f"down{level}_pool")(x)
        x = conv_blocks(x, filters, f"down{level}")
        if options.dropout:
            x = keras.layers.SpatialDropout2D(options.dropout, name=f"down{level}_dropout")(x)
    for level in reversed(range(len(options.filters) - 1)):
        if options.upsampling == "transpose":
            x = keras.layers.Conv2DTranspose(options.filters[level], 2, strides=2, name=f"up{level}_upsample")(x)
        else:
            x = keras.layers.UpSampling2D(interpolation="bilinear", name=f"up{level}_upsample")(x)
        x = keras.layers.Concatenate(name=f"up{level}_concat")([x, skips.pop()])
        x = conv_blocks(x, options.filters[level], f"up{level}")
    return keras.Model(inputs, x, name=name)


def _check_input_shape(input_shape, depth: int) -> None:
    """Raise a ValueError unless `input_shape` is (height, width, channels) with sides that halve `depth - 1` times.

    Example:
        >>> _check_input_shape((30, 32, 3), depth=3)
        Traceback (most recent call last):
        ...
        ValueError: builtin unet with 3 levels needs height and width divisible by 4, got 30x32; the nearest valid size is 32x32: set it with the resize stage
    """
    if len(input_shape) != 3:
        raise ValueError(f"builtin unet takes images: input_shape=(height, width, channels), got {input_shape}")
    height, width = input_shape[:2]
    multiple = 2 ** (depth - 1)
    if height % multiple or width % multiple:
        nearest = "x".join(str(max(multiple, multiple * round(size / multiple))) for size in (height, width))
        raise ValueError(f"builtin unet with {depth} levels needs height and width divisible by {multiple}, "
                         f"got {height}x{width}; the nearest valid size is {nearest}: set it with the resize stage")
