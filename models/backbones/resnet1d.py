"""Built-in `resnet1d` series backbone: the residual network of Wang et al. 2017.

Three residual blocks (64, 128, 128 filters), each three Conv1D + BatchNorm
layers (kernels 8, 5, 3; ReLU after the first two) plus a shortcut (a 1x1
convolution where the width changes, then BatchNorm), added and passed through
ReLU; then global average pooling. Fawaz et al. 2019 ("Deep learning for time
series classification: a review") found it the best of nine architectures on
the UCR archive.

Takes a float series `[batch, steps, features]` (NaN steps are padding, see
`series_inputs`) and returns `[batch, filters[-1]]`. As in `fcn`, padded steps
are set to 0 after every layer, BatchNorm statistics skip them and pooling
averages the real steps, so a series gives the same vector padded or not.

Example (YAML):
    task: sequence_classification
    model:
      backbone: {source: builtin, name: resnet1d, config: {filters: [32, 64, 64]}}
"""

from pydantic import Field

from pipelines.options import Options, PositiveInt
from pipelines.registry import backbones


class ResNet1dOptions(Options):
    filters: list[PositiveInt] = Field(
        [64, 128, 128], min_length=1, max_length=16, description="Filters of each residual block."
    )
    kernel_sizes: list[PositiveInt] = Field(
        [8, 5, 3], min_length=1, max_length=8,
        description="Kernel sizes of the convolutions inside each block (one convolution each).",
    )


@backbones.register("builtin.resnet1d", ResNet1dOptions)
def resnet1d(options: ResNet1dOptions, *, input_shape, name: str = "backbone"):
    """1-D ResNet (Wang et al. 2017): residual blocks of Conv1D-BN layers, masked global average pooling.

    Example:
        >>> resnet1d(ResNet1dOptions(filters=[4, 8], kernel_sizes=[3, 3]), input_shape=(None, 1)).output.shape
        (None, 8)
    """
    import keras

    from models.backbones.series_inputs import masked_mean, series_inputs, split_padding

    series = series_inputs(input_shape)
    x, mask = split_padding(series)
    for index, filters in enumerate(options.filters):
        x = _residual_block(x, mask, filters, options.kernel_sizes, name=f"block{index}")
    return keras.Model(series, masked_mean(x, mask), name=name)


def _residual_block(x, mask, filters, kernel_sizes, *, name):
    """ReLU(convolutions(x) + shortcut(x)), padded steps 0; no ReLU after the block's last convolution."""
    import keras

    from models.backbones.fcn import BATCH_NORM_MOMENTUM, conv_block
    from models.backbones.series_inputs import zero_padding

    shortcut = x
    if x.shape[-1] != filters:
        shortcut = keras.layers.Conv1D(filters, 1, use_bias=False, name=f"{name}_shortcut_conv")(shortcut)
    shortcut = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"{name}_shortcut_bn")(
        shortcut, mask=mask)
    last = len(kernel_sizes) - 1
    for index, kernel_size in enumerate(kernel_sizes):
        x = conv_block(x, mask, filters, kernel_size, name=f"{name}_{index}", activation=index < last)
    x = keras.layers.Add(name=f"{name}_add")([x, shortcut])
    return zero_padding(keras.layers.ReLU(name=f"{name}_relu")(x), mask)
