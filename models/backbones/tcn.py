"""Built-in `tcn` series backbone: a temporal convolutional network (Bai et al. 2018).

"An Empirical Evaluation of Generic Convolutional and Recurrent Networks for
Sequence Modeling": residual blocks, one per dilation (1, 2, 4, ...), each two
dilated causal Conv1D layers (LayerNorm over the channels, standing in for the
paper's weight norm; ReLU; dropout) added to the block's input (through a 1x1
convolution where the width changes) and passed through ReLU. Each step sees
`1 + 2 * (kernel_size - 1) * sum(dilations)` steps back (the receptive field);
pick dilations so it covers the series.

Takes a float series `[batch, steps, features]` (NaN steps are padding, see
`series_inputs`) and returns `[batch, filters]`: the last real step (`pooling:
last`) or the mean over the real steps (`pooling: mean`). The convolutions are
causal (padded on the left), so padding at a series' end never reaches its real
steps: a series gives the same vector padded or not.

Example (YAML):
    task: forecasting
    model:
      backbone: {source: builtin, name: tcn, config: {filters: 32, dilations: [1, 2, 4, 8, 16]}}
"""

from typing import Literal

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class TcnOptions(Options):
    filters: PositiveInt = Field(32, le=1024, description="Channels of every convolution.")
    kernel_size: PositiveInt = Field(3, le=32, description="Steps each convolution sees (before dilation).")
    dilations: list[PositiveInt] = Field(
        [1, 2, 4, 8, 16], min_length=1, max_length=16,
        description="Dilation of each residual block (one block each); the receptive field is "
                    "1 + 2 * (kernel_size - 1) * sum(dilations) steps.",
    )
    dropout: Fraction = Field(0.1, description="Dropout after each convolution.")
    layer_norm: bool = Field(True, description="LayerNormalization over the channels after each convolution.")
    pooling: Literal["last", "mean"] = Field(
        "last", description="The vector out: the last real step's features, or their mean over the real steps."
    )


@backbones.register("builtin.tcn", TcnOptions)
def tcn(options: TcnOptions, *, input_shape, name: str = "backbone"):
    """Temporal convolutional network (Bai et al. 2018): residual blocks of dilated causal Conv1D layers.

    Example:
        >>> tcn(TcnOptions(filters=4, dilations=[1, 2]), input_shape=(None, 3)).output.shape
        (None, 4)
    """
    import keras

    from models.backbones.series_inputs import POOLING, series_inputs, split_padding

    series = series_inputs(input_shape)
    x, mask = split_padding(series)
    for index, dilation in enumerate(options.dilations):
        x = _residual_block(x, dilation, options, name=f"block{index}")
    return keras.Model(series, POOLING[options.pooling](x, mask), name=name)


def _residual_block(x, dilation, options, *, name):
    """ReLU(x' + two dilated causal convolutions of x), x' a 1x1 convolution of x where the width changes."""
    import keras

    shortcut = x
    if x.shape[-1] != options.filters:
        shortcut = keras.layers.Conv1D(options.filters, 1, name=f"{name}_shortcut")(x)
    for index in range(2):
        x = keras.layers.Conv1D(options.filters, options.kernel_size, padding="causal", dilation_rate=dilation,
                                name=f"{name}_conv{index}")(x)
        if options.layer_norm:
            x = keras.layers.LayerNormalization(name=f"{name}_norm{index}")(x)
        x = keras.layers.ReLU(name=f"{name}_relu{index}")(x)
        if options.dropout:
            x = keras.layers.Dropout(options.dropout, name=f"{name}_dropout{index}")(x)
    x = keras.layers.Add(name=f"{name}_add")([shortcut, x])
    return keras.layers.ReLU(name=f"{name}_relu")(x)
