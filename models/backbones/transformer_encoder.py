"""Built-in `transformer_encoder` text backbone: token + learned position embeddings, then encoder blocks.

keras-hub's `TokenAndPositionEmbedding` (positions up to sequence_length) and
`TransformerEncoder` blocks (post-norm, GELU), with the padding mask as the
attention mask so padded tokens are never attended to. Takes
`{"token_ids", "padding_mask"}` [batch, sequence_length] and returns per-token
vectors [batch, sequence_length, hidden_dim], padded positions set to 0.

Example (YAML):
    stages:
      - tokenize: {tokenizer: word_piece, vocabulary_size: 8000, sequence_length: 128}
    model:
      backbone:
        source: builtin
        name: transformer_encoder
        config: {hidden_dim: 128, num_layers: 2, num_heads: 4, intermediate_dim: 256}
"""

from pydantic import Field, model_validator

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class TransformerEncoderOptions(Options):
    hidden_dim: PositiveInt = Field(64, le=4096, description="Embedding and hidden size (a multiple of num_heads).")
    num_layers: PositiveInt = Field(2, le=48, description="Encoder blocks.")
    num_heads: PositiveInt = Field(2, le=64, description="Attention heads per block.")
    intermediate_dim: PositiveInt = Field(128, le=16384, description="Hidden size of each block's feed-forward part.")
    dropout: Fraction = Field(0.1, description="Dropout on the embeddings and inside each block.")

    @model_validator(mode="after")
    def _heads_divide_hidden_dim(self):
        if self.hidden_dim % self.num_heads:
            raise ValueError(f"hidden_dim ({self.hidden_dim}) must be a multiple of num_heads ({self.num_heads})")
        return self


@backbones.register("builtin.transformer_encoder", TransformerEncoderOptions)
def transformer_encoder(options: TransformerEncoderOptions, *, input_shape, vocabulary_size: int | None = None,
                        name: str = "backbone"):
    """A small Transformer encoder with learned positions (per-token output, padding masked).

    Example:
        >>> options = TransformerEncoderOptions(hidden_dim=8, num_heads=2, intermediate_dim=16, num_layers=1)
        >>> transformer_encoder(options, input_shape=(8,), vocabulary_size=50).output.shape
        (None, 8, 8)
    """
    import keras
    import keras_hub

    from models.backbones.text_inputs import text_inputs, zero_padding

    inputs = text_inputs(input_shape, vocabulary_size)
    padding_mask = inputs["padding_mask"]
    x = keras_hub.layers.TokenAndPositionEmbedding(
        vocabulary_size, input_shape[0], options.hidden_dim, name="embeddings"
    )(inputs["token_ids"])
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="embeddings_layer_norm")(x)
    if options.dropout:
        x = keras.layers.Dropout(options.dropout, name="embeddings_dropout")(x)
    for index in range(options.num_layers):
        x = keras_hub.layers.TransformerEncoder(
            options.intermediate_dim, options.num_heads, dropout=options.dropout, activation="gelu",
            name=f"transformer_layer{index}",
        )(x, padding_mask=padding_mask)
    return keras.Model(inputs, zero_padding(x, padding_mask), name=name)
