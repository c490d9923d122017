"""Built-in `encoder_decoder_transformer` text backbone: a small Transformer encoder-decoder (Vaswani et al.).

The source's tokens (token + learned position embeddings) pass through keras-hub `TransformerEncoder` blocks;
the target's tokens pass through `TransformerDecoder` blocks with causal self-attention and cross-attention to
the encoder's output. Takes the names keras-hub's seq2seq backbones (BART, T5) take:
`{"encoder_token_ids", "encoder_padding_mask"}` [batch, source length] and `{"decoder_token_ids",
"decoder_padding_mask"}` [batch, target length], each of any length up to the tokenize stage's
`sequence_length`, and returns the decoder's per-token vectors [batch, target length, hidden_dim]. The
`seq2seq` task puts the vocabulary projection on top; source and target share one embedding table (one
tokenizer encodes both).

Example (YAML):
    stages: [{tokenize: {tokenizer: byte_pair, vocabulary_size: 300, sequence_length: 32}}]
    model:
      backbone:
        source: builtin
        name: encoder_decoder_transformer
        config: {hidden_dim: 64, num_layers: 2, num_heads: 4, intermediate_dim: 128}
"""

from pydantic import Field

from models.backbones.transformer_encoder import TransformerEncoderOptions
from pipelines.options import PositiveInt
from pipelines.registry import backbones

INPUTS = ("encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask")
"""The backbone's inputs, as keras-hub's seq2seq backbones name them."""


class EncoderDecoderTransformerOptions(TransformerEncoderOptions):
    """The sizes of `transformer_encoder`, for the encoder and the decoder alike."""

    num_layers: PositiveInt = Field(2, le=48, description="Encoder blocks, and as many decoder blocks.")
    num_heads: PositiveInt = Field(4, le=64, description="Attention heads per block.")


@backbones.register("builtin.encoder_decoder_transformer", EncoderDecoderTransformerOptions)
def encoder_decoder_transformer(options: EncoderDecoderTransformerOptions, *, input_shape,
                                vocabulary_size: int | None = None, name: str = "backbone"):
    """A small Transformer encoder-decoder over source and target token ids of up to `input_shape[0]` tokens.

    Example:
        >>> options = EncoderDecoderTransformerOptions(hidden_dim=8, num_heads=2, intermediate_dim=16, num_layers=1)
        >>> encoder_decoder_transformer(options, input_shape=(8,), vocabulary_size=50).output.shape
        (None, None, 8)
    """
    import keras
    import keras_hub

    from models.backbones.text_inputs import text_inputs

    text_inputs(input_shape, vocabulary_size)  # checks the shape and the vocabulary
    inputs = {key: keras.Input((None,), dtype="bool" if key.endswith("mask") else "int32", name=key)
              for key in INPUTS}
    embed = keras_hub.layers.TokenAndPositionEmbedding(vocabulary_size, input_shape[0], options.hidden_dim,
                                                       name="embeddings")

    def embedded(ids, part):
        x = embed(ids)
        return keras.layers.Dropout(options.dropout, name=f"{part}_embeddings_dropout")(x) if options.dropout else x

    x = embedded(inputs["encoder_token_ids"], "encoder")
    for index in range(options.num_layers):
        x = keras_hub.layers.TransformerEncoder(
            options.intermediate_dim, options.num_heads, dropout=options.dropout, activation="gelu",
            normalize_first=True, name=f"encoder_layer{index}",
        )(x, padding_mask=inputs["encoder_padding_mask"])
    encoded = keras.layers.LayerNormalization(epsilon=1e-5, name="encoder_layer_norm")(x)
    y = embedded(inputs["decoder_token_ids"], "decoder")
    for index in range(options.num_layers):
        y = keras_hub.layers.TransformerDecoder(
            options.intermediate_dim, options.num_heads, dropout=options.dropout, activation="gelu",
            normalize_first=True, name=f"decoder_layer{index}",
        )(y, encoded, decoder_padding_mask=inputs["decoder_padding_mask"],
          encoder_padding_mask=inputs["encoder_padding_mask"])
    y = keras.layers.LayerNormalization(epsilon=1e-5, name="decoder_layer_norm")(y)
    return keras.Model(inputs, y, name=name)
