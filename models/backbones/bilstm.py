"""Built-in `bilstm` text backbone: token embedding, then bidirectional LSTM layers over the padding mask.

Takes `{"token_ids", "padding_mask"}` [batch, sequence_length] and returns
per-token vectors [batch, sequence_length, 2 * units]; padded positions are
skipped by the LSTMs and set to 0 in the output.

Example (YAML):
    stages:
      - tokenize: {tokenizer: word_piece, vocabulary_size: 8000, sequence_length: 128}
    model:
      backbone: {source: builtin, name: bilstm, config: {embedding_dim: 128, units: 64, num_layers: 2}}
"""

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class BiLstmOptions(Options):
    embedding_dim: PositiveInt = Field(64, le=4096, description="Size of the learned token embedding.")
    units: PositiveInt = Field(64, le=4096, description="LSTM units per direction (output size is 2 * units).")
    num_layers: PositiveInt = Field(1, le=8, description="Stacked bidirectional LSTM layers.")
    dropout: Fraction = Field(0.1, description="Dropout on the embeddings and between LSTM layers.")


@backbones.register("builtin.bilstm", BiLstmOptions)
def bilstm(options: BiLstmOptions, *, input_shape, vocabulary_size: int | None = None, name: str = "backbone"):
    """Bidirectional LSTM over learned token embeddings (per-token output, padding masked).

    Example:
        >>> bilstm(BiLstmOptions(units=4), input_shape=(8,), vocabulary_size=50).output.shape
        (None, 8, 8)
    """
    import keras

    from models.backbones.text_inputs import text_inputs, zero_padding

    inputs = text_inputs(input_shape, vocabulary_size)
    padding_mask = inputs["padding_mask"]
    x = keras.layers.Embedding(vocabulary_size, options.embedding_dim, name="token_embedding")(inputs["token_ids"])
    for index in range(options.num_layers):
        if options.dropout:
            x = keras.layers.Dropout(options.dropout, name=f"dropout{index}")(x)
        lstm = keras.layers.LSTM(options.units, return_sequences=True, name=f"lstm{index}")
        x = keras.layers.Bidirectional(lstm, name=f"bilstm{index}")(x, mask=padding_mask)
    return keras.Model(inputs, zero_padding(x, padding_mask), name=name)
