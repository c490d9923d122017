"""Built-in `fcn` series backbone: the fully convolutional network of Wang et al. 2017.

"Time Series Classification from Scratch with Deep Neural Networks: A Strong
Baseline": three convolution blocks (128, 256, 128 filters; kernels 8, 5, 3),
each Conv1D + BatchNorm + ReLU, then global average pooling. Fawaz et al. 2019
found it, with ResNet, best on the UCR archive.

Takes a float series `[batch, steps, features]` (NaN steps are padding, see
`series_inputs`) and returns `[batch, filters[-1]]`. Padded steps are set to 0
after every block (so 'same' padding at a series' end reads zeros either way),
BatchNorm statistics skip them, and pooling averages the real steps only: a
series gives the same vector padded or not.

Example (YAML):
    task: sequence_classification
    model:
      backbone: {source: builtin, name: fcn, config: {filters: [64, 128, 64]}}
"""

from pydantic import Field, model_validator

from pipelines.options import Options, PositiveInt
from pipelines.registry import backbones

BATCH_NORM_MOMENTUM = 0.9
"""Momentum of the BatchNorm moving statistics (Keras' default is 0.99). A small training set (the UCR
archive's: 30 to 500 series) gives a few steps per epoch; with 0.99 the moving statistics, which inference
uses, lag the batch statistics for hundreds of steps and a model that fits its training set perfectly
answers at chance in inference mode (GunPoint: 0.49 test accuracy after 60 epochs, 0.99 with 0.9)."""


class FcnOptions(Options):
    filters: list[PositiveInt] = Field(
        [128, 256, 128], min_length=1, max_length=16, description="Filters of each convolution block."
    )
    kernel_sizes: list[PositiveInt] = Field(
        [8, 5, 3], min_length=1, max_length=16,
        description="Steps each block's convolution sees (one per block, as many as filters).",
    )

    @model_validator(mode="after")
    def _one_kernel_per_block(self):
        if len(self.kernel_sizes) != len(self.filters):
            raise ValueError(f"kernel_sizes ({len(self.kernel_sizes)}) needs one size per block of filters "
                             f"({len(self.filters)})")
        return self


@backbones.register("builtin.fcn", FcnOptions)
def fcn(options: FcnOptions, *, input_shape, name: str = "backbone"):
    """Fully convolutional network (Wang et al. 2017): Conv1D-BN-ReLU blocks, masked global average pooling.

    Example:
        >>> fcn(FcnOptions(filters=[4, 8], kernel_sizes=[5, 3]), input_shape=(16, 2)).output.shape
        (None, 8)
    """
    import keras

    from models.backbones.series_inputs import masked_mean, series_inputs, split_padding

    series = series_inputs(input_shape)
    x, mask = split_padding(series)
    for index, (filters, kernel_size) in enumerate(zip(options.filters, options.kernel_sizes)):
        x = conv_block(x, mask, filters, kernel_size, name=f"block{index}")
    return keras.Model(series, masked_mean(x, mask), name=name)


def conv_block(x, mask, filters: int, kernel_size: int, *, name: str, activation: bool = True):
    """Conv1D ('same', no bias) + BatchNorm over the real steps (+ ReLU), then padded steps set to 0.

    `x` must be 0 at padded steps already (as `split_padding` leaves it).
    """
    import keras

    from models.backbones.series_inputs import zero_padding

    x = keras.layers.Conv1D(filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"{name}_bn")(x, mask=mask)
    if activation:
        x = keras.layers.ReLU(name=f"{name}_relu")(x)
    return zero_padding(x, mask)
