"""Built-in `gru` backbone: (optionally bidirectional) GRU layers, over token ids or over a float series.

Text (built with the tokenizer's `vocabulary_size`): takes
`{"token_ids", "padding_mask"}` [batch, sequence_length], learns a token
embedding and returns per-token vectors [batch, sequence_length, units]
(2 * units when bidirectional); padded positions are skipped by the GRUs and
set to 0 in the output.

Series (built without a vocabulary, `input_shape=(steps, features)`): takes a
float series [batch, steps, features] (NaN steps are padding, see
`series_inputs`) and returns one vector [batch, units] (2 * units when
bidirectional), pooled as `pooling` says; the GRUs get the padding mask, so a
series gives the same vector padded or not (as the `lstm` backbone).

Example (YAML):
    stages:
      - tokenize: {tokenizer: byte_pair, vocabulary_size: 4000, sequence_length: 96}
    model:
      backbone: {source: builtin, name: gru, config: {units: 96, num_layers: 2, bidirectional: true}}
    # a series (task: forecasting or sequence_classification):
    #   backbone: {source: builtin, name: gru, config: {units: 64, bidirectional: false, pooling: last}}
"""

from typing import Literal

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class GruOptions(Options):
    embedding_dim: PositiveInt = Field(64, le=4096, description="Size of the learned token embedding (text only).")
    units: PositiveInt = Field(64, le=4096, description="GRU units per direction.")
    num_layers: PositiveInt = Field(1, le=8, description="Stacked GRU layers.")
    bidirectional: bool = Field(True, description="Read the sequence both ways (output size 2 * units).")
    dropout: Fraction = Field(0.1, description="Dropout on the inputs of every GRU layer (embeddings or series).")
    pooling: Literal["last", "mean"] = Field(
        "last", description="Series only: the vector out is the state after the last real step, or the outputs' "
                            "mean over the real steps.",
    )


@backbones.register("builtin.gru", GruOptions)
def gru(options: GruOptions, *, input_shape, vocabulary_size: int | None = None, name: str = "backbone"):
    """GRU layers (bidirectional by default) over token embeddings (per-token output) or a series (one vector).

    Example:
        >>> gru(GruOptions(units=4, bidirectional=False), input_shape=(8,), vocabulary_size=50).output.shape
        (None, 8, 4)
        >>> gru(GruOptions(units=4), input_shape=(None, 3)).output.shape
        (None, 8)
    """
    import keras

    from models.backbones.lstm import series_rnn
    from models.backbones.text_inputs import text_inputs, zero_padding

    if vocabulary_size is None:
        return series_rnn(options, keras.layers.GRU, input_shape=input_shape, name=name)
    inputs = text_inputs(input_shape, vocabulary_size)
    padding_mask = inputs["padding_mask"]
    x = keras.layers.Embedding(vocabulary_size, options.embedding_dim, name="token_embedding")(inputs["token_ids"])
    for index in range(options.num_layers):
        if options.dropout:
            x = keras.layers.Dropout(options.dropout, name=f"dropout{index}")(x)
        layer = keras.layers.GRU(options.units, return_sequences=True, name=f"gru{index}")
        if options.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bigru{index}")
        x = layer(x, mask=padding_mask)
    return keras.Model(inputs, zero_padding(x, padding_mask), name=name)
