"""Built-in `cnn1d` text backbone: token embedding, then 1-D convolutions that keep the sequence length.

Takes `{"token_ids", "padding_mask"}` [batch, sequence_length] and returns
per-token vectors [batch, sequence_length, filters[-1]]. Padded positions are
set to 0 before every convolution (so they read like the convolution's own
'same' zero padding and never change the real tokens' outputs) and in the
output.

Example (YAML):
    stages:
      - tokenize: {tokenizer: text_vectorization, vocabulary_size: 20000, sequence_length: 200}
    model:
      backbone: {source: builtin, name: cnn1d, config: {filters: [128, 128], kernel_size: 5}}
"""

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class Cnn1dOptions(Options):
    embedding_dim: PositiveInt = Field(64, le=4096, description="Size of the learned token embedding.")
    filters: list[PositiveInt] = Field(
        [64, 64], min_length=1, max_length=16, description="Filters of each convolution (one layer each)."
    )
    kernel_size: PositiveInt = Field(3, le=15, description="Tokens each convolution sees.")
    dropout: Fraction = Field(0.1, description="Dropout on the embeddings and between convolutions.")


@backbones.register("builtin.cnn1d", Cnn1dOptions)
def cnn1d(options: Cnn1dOptions, *, input_shape, vocabulary_size: int | None = None, name: str = "backbone"):
    """1-D convolutions ('same' padding, ReLU) over learned token embeddings (per-token output, padding masked).

    Example:
        >>> cnn1d(Cnn1dOptions(filters=[4, 6]), input_shape=(8,), vocabulary_size=50).output.shape
        (None, 8, 6)
    """
    import keras

    from models.backbones.text_inputs import text_inputs, zero_padding

    inputs = text_inputs(input_shape, vocabulary_size)
    padding_mask = inputs["padding_mask"]
    x = keras.layers.Embedding(vocabulary_size, options.embedding_dim, name="token_embedding")(inputs["token_ids"])
    for index, filters in enumerate(options.filters):
        if options.dropout:
            x = keras.layers.Dropout(options.dropout, name=f"dropout{index}")(x)
        x = zero_padding(x, padding_mask)
        x = keras.layers.Conv1D(filters, options.kernel_size, padding="same", activation="relu",
                                name=f"conv{index}")(x)
    return keras.Model(inputs, zero_padding(x, padding_mask), name=name)
