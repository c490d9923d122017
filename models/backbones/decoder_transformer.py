"""Built-in `decoder_transformer` text backbone: a small GPT-style decoder-only Transformer.

Token + learned position embeddings (positions up to the tokenize stage's
sequence_length), then keras-hub `TransformerDecoder` blocks without an
encoder (causal self-attention: each position sees itself and the positions
before it; the padding mask hides padded keys) and a final layer norm. Takes
`{"token_ids", "padding_mask"}` [batch, length] for any length up to
sequence_length (generation feeds growing buffers) and returns per-token
vectors [batch, length, hidden_dim]. The `causal_lm` task puts the vocabulary
projection on top.

Example (YAML):
    stages: [{tokenize: {tokenizer: byte_pair, vocabulary_size: 2000, sequence_length: 64}}]
    model:
      backbone:
        source: builtin
        name: decoder_transformer
        config: {hidden_dim: 64, num_layers: 2, num_heads: 4, intermediate_dim: 128}
"""

from pydantic import Field

from models.backbones.transformer_encoder import TransformerEncoderOptions
from pipelines.options import PositiveInt
from pipelines.registry import backbones


class DecoderTransformerOptions(TransformerEncoderOptions):
    """The sizes of `transformer_encoder`; its blocks are decoder blocks."""

    num_layers: PositiveInt = Field(2, le=48, description="Decoder blocks.")


@backbones.register("builtin.decoder_transformer", DecoderTransformerOptions)
def decoder_transformer(options: DecoderTransformerOptions, *, input_shape, vocabulary_size: int | None = None,
                        name: str = "backbone"):
    """A small causal Transformer over token ids of any length up to `input_shape[0]`.

    Example:
        >>> options = DecoderTransformerOptions(hidden_dim=8, num_heads=2, intermediate_dim=16, num_layers=1)
        >>> decoder_transformer(options, input_shape=(8,), vocabulary_size=50).output.shape
        (None, None, 8)
    """
    import keras
    import keras_hub

    from models.backbones.text_inputs import text_inputs

    text_inputs(input_shape, vocabulary_size)  # checks the shape and the vocabulary
    inputs = {"token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
              "padding_mask": keras.Input((None,), dtype="bool", name="padding_mask")}
    x = keras_hub.layers.TokenAndPositionEmbedding(
        vocabulary_size, input_shape[0], options.hidden_dim, name="embeddings"
    )(inputs["token_ids"])
    if options.dropout:
        x = keras.layers.Dropout(options.dropout, name="embeddings_dropout")(x)
    for index in range(options.num_layers):
        x = keras_hub.layers.TransformerDecoder(
            options.intermediate_dim, options.num_heads, dropout=options.dropout, activation="gelu",
            normalize_first=True, name=f"transformer_layer{index}",
        )(x, decoder_padding_mask=inputs["padding_mask"])
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_layer_norm")(x)
    return keras.Model(inputs, x, name=name)
