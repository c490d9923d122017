"""Built-in `inception_time` series backbone: InceptionTime (Fawaz et al. 2020), one network of the ensemble.

"InceptionTime: Finding AlexNet for Time Series Classification": `depth`
inception modules, each a 1x1 bottleneck convolution (skipped on a
one-feature input) feeding three wide convolutions (kernels 40/20/10 in the
paper, odd 39/19/9 here so 'same' padding is symmetric) beside a max-pool +
1x1 convolution branch, concatenated, BatchNorm, ReLU; a residual shortcut
(1x1 convolution + BatchNorm) every `residual_every` modules; then global
average pooling. The paper ensembles five such networks; one is built here.

Takes a float series `[batch, steps, features]` (NaN steps are padding, see
`series_inputs`) and returns `[batch, (len(kernel_sizes) + 1) * filters]`. Padded steps are set to 0
after every module, the max-pool never reads them, BatchNorm statistics skip
them and pooling averages the real steps, so a series gives the same vector
padded or not.

Example (YAML):
    task: sequence_classification
    model:
      backbone: {source: builtin, name: inception_time, config: {filters: 16, depth: 3}}
"""

from pydantic import Field

from models.backbones.fcn import BATCH_NORM_MOMENTUM
from pipelines.options import Options, PositiveInt
from pipelines.registry import backbones


class InceptionTimeOptions(Options):
    filters: PositiveInt = Field(
        32, le=1024, description="Filters of each branch (a module outputs (len(kernel_sizes) + 1) * filters)."
    )
    bottleneck: PositiveInt = Field(
        32, le=1024, description="Filters of the 1x1 bottleneck before the wide convolutions."
    )
    kernel_sizes: list[PositiveInt] = Field(
        [39, 19, 9], min_length=1, max_length=8, description="Kernel sizes of the wide convolutions (one branch each)."
    )
    depth: PositiveInt = Field(6, le=32, description="Inception modules.")
    residual_every: PositiveInt = Field(3, le=32, description="Add a residual shortcut after every this many modules.")


@backbones.register("builtin.inception_time", InceptionTimeOptions)
def inception_time(options: InceptionTimeOptions, *, input_shape, name: str = "backbone"):
    """InceptionTime (Fawaz et al. 2020): inception modules with residual shortcuts, masked global average pooling.

    Example:
        >>> options = InceptionTimeOptions(filters=2, bottleneck=2, kernel_sizes=[5, 3], depth=2, residual_every=1)
        >>> inception_time(options, input_shape=(16, 1)).output.shape
        (None, 6)
    """
    import keras

    from models.backbones.series_inputs import masked_mean, series_inputs, split_padding, zero_padding

    series = series_inputs(input_shape)
    x, mask = split_padding(series)
    residual = x
    for index in range(options.depth):
        x = _inception_module(x, mask, options, name=f"module{index}")
        if (index + 1) % options.residual_every == 0:
            shortcut = keras.layers.Conv1D(x.shape[-1], 1, use_bias=False, name=f"shortcut{index}_conv")(residual)
            shortcut = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM,
                                                       name=f"shortcut{index}_bn")(shortcut, mask=mask)
            x = keras.layers.Add(name=f"shortcut{index}_add")([x, shortcut])
            x = zero_padding(keras.layers.ReLU(name=f"shortcut{index}_relu")(x), mask)
            residual = x
    return keras.Model(series, masked_mean(x, mask), name=name)


def _inception_module(x, mask, options, *, name):
    """Bottleneck -> parallel wide convolutions, beside max-pool -> 1x1; concatenated, BN, ReLU, padding 0."""
    import keras
    from keras import ops

    from models.backbones.series_inputs import zero_padding

    bottleneck = x
    if x.shape[-1] > 1:
        bottleneck = keras.layers.Conv1D(options.bottleneck, 1, use_bias=False, name=f"{name}_bottleneck")(x)
    branches = [
        keras.layers.Conv1D(options.filters, kernel_size, padding="same", use_bias=False,
                            name=f"{name}_conv{kernel_size}")(bottleneck)
        for kernel_size in options.kernel_sizes
    ]
    # Padded steps read as -1e9 so the max-pool skips them, as its own 'same' padding is skipped.
    lowest = ops.where(ops.expand_dims(mask, -1), x, ops.full_like(x, -1e9))
    pooled = keras.layers.MaxPooling1D(3, strides=1, padding="same", name=f"{name}_maxpool")(lowest)
    pooled = zero_padding(pooled, mask)
    branches.append(keras.layers.Conv1D(options.filters, 1, use_bias=False, name=f"{name}_pool_conv")(pooled))
    x = keras.layers.Concatenate(name=f"{name}_concat")(branches)
    x = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"{name}_bn")(x, mask=mask)
    return zero_padding(keras.layers.ReLU(name=f"{name}_relu")(x), mask)
