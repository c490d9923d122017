"""Built-in `lstm` series backbone: stacked (optionally bidirectional) LSTM layers over the real steps.

Takes a float series `[batch, steps, features]` (NaN steps are padding, see
`series_inputs`) and returns `[batch, units]` (2 * units when bidirectional):
the last layer's state after the last real step (`pooling: last`) or its
outputs averaged over the real steps (`pooling: mean`). The LSTMs get the
padding mask, so a series gives the same vector padded or not. (For token ids
use the `bilstm` text backbone.) `series_rnn` is shared with the `gru`
backbone's series path.

Example (YAML):
    task: forecasting
    model:
      backbone: {source: builtin, name: lstm, config: {units: 64, num_layers: 2}}
"""

from typing import Literal

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class LstmOptions(Options):
    units: PositiveInt = Field(64, le=4096, description="LSTM units per direction.")
    num_layers: PositiveInt = Field(1, le=8, description="Stacked LSTM layers.")
    bidirectional: bool = Field(False, description="Read the series both ways (output size 2 * units).")
    dropout: Fraction = Field(0.1, description="Dropout on the inputs of every LSTM layer.")
    pooling: Literal["last", "mean"] = Field(
        "last", description="The vector out: the state after the last real step, or the outputs' mean over the "
                            "real steps.",
    )


@backbones.register("builtin.lstm", LstmOptions)
def lstm(options: LstmOptions, *, input_shape, name: str = "backbone"):
    """Stacked LSTM layers over a float series (padding masked), pooled to one vector.

    Example:
        >>> lstm(LstmOptions(units=4, num_layers=2), input_shape=(None, 3)).output.shape
        (None, 4)
    """
    import keras

    return series_rnn(options, keras.layers.LSTM, input_shape=input_shape, name=name)


def series_rnn(options, layer_class, *, input_shape, name: str):
    """`options.num_layers` of `layer_class` (LSTM or GRU) over a float series, pooled by `options.pooling`.

    `options` needs `units`, `num_layers`, `bidirectional`, `dropout` and
    `pooling`. With `pooling: last` the last layer returns its final state
    (Keras skips masked steps, so that is the state after the last real step).
    """
    import keras

    from models.backbones.series_inputs import masked_mean, series_inputs, split_padding

    series = series_inputs(input_shape)
    x, mask = split_padding(series)
    kind = layer_class.__name__.lower()
    for index in range(options.num_layers):
        if options.dropout:
            x = keras.layers.Dropout(options.dropout, name=f"dropout{index}")(x)
        sequences = index < options.num_layers - 1 or options.pooling == "mean"
        layer = layer_class(options.units, return_sequences=sequences, name=f"{kind}{index}")
        if options.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bi{kind}{index}")
        x = layer(x, mask=mask)
    if options.pooling == "mean":
        x = masked_mean(x, mask)
    return keras.Model(series, x, name=name)
