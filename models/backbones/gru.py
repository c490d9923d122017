"""Built-in `gru` text backbone: token embedding, then (optionally bidirectional) GRU layers over the padding mask.

Takes `{"token_ids", "padding_mask"}` [batch, sequence_length] and returns
per-token vectors [batch, sequence_length, units] (2 * units when
bidirectional); padded positions are skipped by the GRUs and set to 0 in the
output.

Example (YAML):
    stages:
      - tokenize: {tokenizer: byte_pair, vocabulary_size: 4000, sequence_length: 96}
    model:
      backbone: {source: builtin, name: gru, config: {units: 96, num_layers: 2, bidirectional: true}}
"""

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class GruOptions(Options):
    embedding_dim: PositiveInt = Field(64, le=4096, description="Size of the learned token embedding.")
    units: PositiveInt = Field(64, le=4096, description="GRU units per direction.")
    num_layers: PositiveInt = Field(1, le=8, description="Stacked GRU layers.")
    bidirectional: bool = Field(True, description="Read the sequence both ways (output size 2 * units).")
    dropout: Fraction = Field(0.1, description="Dropout on the embeddings and between GRU layers.")


@backbones.register("builtin.gru", GruOptions)
def gru(options: GruOptions, *, input_shape, vocabulary_size: int | None = None, name: str = "backbone"):
    """GRU layers (bidirectional by default) over learned token embeddings (per-token output, padding masked).

    Example:
        >>> gru(GruOptions(units=4, bidirectional=False), input_shape=(8,), vocabulary_size=50).output.shape
        (None, 8, 4)
    """
    import keras

    from models.backbones.text_inputs import text_inputs, zero_padding

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
