"""The captioning model: an image encoder that turns the backbone's feature map into image tokens, and a
Transformer decoder that writes the caption while attending to them.

`build_captioner` returns one Keras model taking `{"images", "decoder_token_ids", "decoder_padding_mask"}` and
returning logits [batch, length, vocabulary]; its two parts are the layers `image_encoder` (images -> image
tokens [batch, tokens, hidden_dim]) and `text_decoder` (`{"image_tokens", "decoder_token_ids",
"decoder_padding_mask"}` -> logits), so that generation encodes each image once and decodes from its tokens.

Example:
    >>> import keras
    >>> from models.tasks.captioning.head import CaptionDecoderOptions
    >>> backbone = keras.Sequential([keras.layers.Conv2D(8, 3, strides=4)])
    >>> options = CaptionDecoderOptions(hidden_dim=16, num_heads=2, intermediate_dim=32, num_layers=1)
    >>> model = build_captioner(backbone, (16, 16, 3), 40, 10, options, "demo")
    >>> model.get_layer("image_encoder").output.shape, model.output.shape
    ((None, 16, 16), (None, None, 40))
"""

from __future__ import annotations


def build_image_encoder(backbone, input_shape, options, name: str = "image_encoder"):
    """images -> image tokens [batch, tokens, hidden_dim]: each feature-map position projected, with a learned
    position embedding, through `options.encoder_layers` Transformer encoder blocks (a pooled vector is one token).

    Example:
        >>> encoder = build_image_encoder(backbone, (32, 48, 3), options)   # doctest: +SKIP
    """
    import keras
    import keras_hub

    images = keras.Input(input_shape, name="images")
    features = backbone(images)
    if len(features.shape) == 2:
        features = keras.layers.Reshape((1, features.shape[-1]), name="one_token")(features)
    elif len(features.shape) != 3:
        features = keras.layers.Reshape((-1, features.shape[-1]), name="tokens")(features)
    if features.shape[1] is None:
        raise ValueError(f"model.backbone: task captioning needs a feature map of a fixed size for images of shape "
                         f"{tuple(input_shape)}; {backbone.name!r} gives {features.shape}")
    x = keras.layers.Dense(options.hidden_dim, name="projection")(features)
    x = x + keras_hub.layers.PositionEmbedding(int(features.shape[1]), name="positions")(x)
    if options.dropout:
        x = keras.layers.Dropout(options.dropout, name="dropout")(x)
    for index in range(options.encoder_layers):
        x = keras_hub.layers.TransformerEncoder(options.intermediate_dim, options.num_heads, dropout=options.dropout,
                                                activation="gelu", normalize_first=True,
                                                name=f"encoder_layer{index}")(x)
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="layer_norm")(x)
    return keras.Model(images, x, name=name)


def build_text_decoder(vocabulary_size: int, sequence_length: int, tokens: int, options, name: str = "text_decoder"):
    """`{"image_tokens", "decoder_token_ids", "decoder_padding_mask"}` -> float32 logits [batch, length, vocabulary]:
    token and position embeddings, then `options.num_layers` blocks of causal self-attention and attention to
    the image tokens.

    Example:
        >>> decoder = build_text_decoder(64, 16, 24, options)   # doctest: +SKIP
    """
    import keras
    import keras_hub

    image_tokens = keras.Input((tokens, options.hidden_dim), name="image_tokens")
    ids = keras.Input((None,), dtype="int32", name="decoder_token_ids")
    mask = keras.Input((None,), dtype="bool", name="decoder_padding_mask")
    y = keras_hub.layers.TokenAndPositionEmbedding(vocabulary_size, sequence_length, options.hidden_dim,
                                                   name="embeddings")(ids)
    if options.dropout:
        y = keras.layers.Dropout(options.dropout, name="embeddings_dropout")(y)
    for index in range(options.num_layers):
        y = keras_hub.layers.TransformerDecoder(options.intermediate_dim, options.num_heads, dropout=options.dropout,
                                                activation="gelu", normalize_first=True,
                                                name=f"decoder_layer{index}")(y, image_tokens,
                                                                              decoder_padding_mask=mask)
    y = keras.layers.LayerNormalization(epsilon=1e-5, name="layer_norm")(y)
    logits = keras.layers.Dense(vocabulary_size, dtype="float32", name="logits")(y)
    return keras.Model({"image_tokens": image_tokens, "decoder_token_ids": ids, "decoder_padding_mask": mask},
                       logits, name=name)


def build_captioner(backbone, input_shape, vocabulary_size: int, sequence_length: int, options, name: str):
    """The image encoder and the text decoder as one model (see the module docstring).

    Example:
        >>> model = build_captioner(backbone, (32, 48, 3), 64, 16, options, "shapes")   # doctest: +SKIP
    """
    import keras

    encoder = build_image_encoder(backbone, input_shape, options)
    decoder = build_text_decoder(vocabulary_size, sequence_length, int(encoder.output.shape[1]), options)
    images = keras.Input(input_shape, name="images")
    ids = keras.Input((None,), dtype="int32", name="decoder_token_ids")
    mask = keras.Input((None,), dtype="bool", name="decoder_padding_mask")
    logits = decoder({"image_tokens": encoder(images), "decoder_token_ids": ids, "decoder_padding_mask": mask})
    return keras.Model({"images": images, "decoder_token_ids": ids, "decoder_padding_mask": mask}, logits, name=name)
