"""Built-in `patch_transformer` series backbone: a PatchTST-style encoder (Nie et al. 2023).

"A Time Series is Worth 64 Words": the series is cut into patches of
`patch_length` steps every `stride` steps, each patch is embedded linearly, a
learned positional embedding is added, and pre-norm Transformer encoder layers
(Keras `MultiHeadAttention`, GELU feed-forward) read the patches. With
`channel_independent: true` (the paper's choice) every feature is its own
univariate series, patched and encoded with shared weights, and the output
concatenates the features' vectors; otherwise a patch spans all features.
The patches are averaged into one vector (the paper flattens them into a
forecasting head instead). Instance normalization (RevIN) is the task's part.

Takes a float series `[batch, steps, features]` (NaN steps are padding, see
`series_inputs`) and returns `[batch, features * hidden_dim]` (channel
independent) or `[batch, hidden_dim]`.

Padding: the series is extended with `patch_length - 1` zeros so every step
falls in a patch. A patch counts as real when it brings a real step that the
patch before it did not cover (the first patch: when the series has any);
those are exactly the patches the unpadded series gives, and a partly padded
one holds the same real steps and zeros either way. Attention never reads the
other patches and pooling skips them, so a series gives the same vector
padded or not (up to float rounding). `stride` may not exceed `patch_length`.

Example (YAML):
    task: forecasting
    model:
      backbone:
        source: builtin
        name: patch_transformer
        config: {patch_length: 16, stride: 8, hidden_dim: 64, num_layers: 2, num_heads: 4}
"""

from pydantic import Field, model_validator

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class PatchTransformerOptions(Options):
    patch_length: PositiveInt = Field(16, le=1024, description="Steps per patch.")
    stride: PositiveInt = Field(8, le=1024, description="Steps between patch starts (at most patch_length).")
    channel_independent: bool = Field(
        True, description="Patch and encode every feature on its own with shared weights (output features * "
                          "hidden_dim), or patch over all features at once (output hidden_dim).",
    )
    hidden_dim: PositiveInt = Field(
        64, le=4096, description="Patch embedding and hidden size (a multiple of num_heads)."
    )
    num_layers: PositiveInt = Field(2, le=48, description="Encoder layers.")
    num_heads: PositiveInt = Field(4, le=64, description="Attention heads per layer.")
    intermediate_dim: PositiveInt = Field(128, le=16384, description="Hidden size of each layer's feed-forward part.")
    dropout: Fraction = Field(0.1, description="Dropout on the embedded patches and inside each layer.")
    max_length: PositiveInt = Field(
        512, le=1_000_000,
        description="Longest series when the steps are not fixed (input_shape steps None); sizes the positional "
                    "embedding.",
    )

    @model_validator(mode="after")
    def _check_sizes(self):
        if self.hidden_dim % self.num_heads:
            raise ValueError(f"hidden_dim ({self.hidden_dim}) must be a multiple of num_heads ({self.num_heads})")
        if self.stride > self.patch_length:
            raise ValueError(f"stride ({self.stride}) may not exceed patch_length ({self.patch_length})")
        return self


@backbones.register("builtin.patch_transformer", PatchTransformerOptions)
def patch_transformer(options: PatchTransformerOptions, *, input_shape, name: str = "backbone"):
    """PatchTST-style Transformer over patches of the series (masked attention), mean-pooled over the patches.

    Example:
        >>> options = PatchTransformerOptions(patch_length=4, stride=2, hidden_dim=8, num_heads=2,
        ...                                   intermediate_dim=8, num_layers=1)
        >>> patch_transformer(options, input_shape=(16, 3)).output.shape
        (None, 24)
    """
    import keras
    import keras_hub
    from keras import ops

    from models.backbones.series_inputs import masked_mean, series_inputs, split_padding

    series = series_inputs(input_shape)
    values, mask = split_padding(series)
    x = _embed_patches(values, options)  # [batch, channels, patches, hidden_dim]
    real = _real_patches(mask, x, options)  # [batch, patches]
    steps = input_shape[0] or options.max_length
    patches = -(-steps // options.stride)  # ceil: the patches of the longest series
    x = x + keras_hub.layers.PositionEmbedding(patches, name="position_embedding")(x)
    x = _dropout(x, options, "embedding_dropout")
    attention_mask = ops.expand_dims(ops.expand_dims(real, 1), 1)  # [batch, 1, 1 (queries), patches (keys)]
    for index in range(options.num_layers):
        x = _encoder_layer(x, attention_mask, options, name=f"encoder{index}")
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    x = masked_mean(x, ops.expand_dims(real, 1))  # [batch, channels, hidden_dim]
    return keras.Model(series, keras.layers.Flatten(name="flatten")(x), name=name)


def _embed_patches(values, options):
    """Linear patch embeddings `[batch, channels, patches, hidden_dim]` (channels: features, or 1 for all)."""
    import keras
    from keras import ops

    padded = ops.pad(values, [[0, 0], [0, options.patch_length - 1], [0, 0]])
    if options.channel_independent:
        patches = keras.layers.Conv2D(options.hidden_dim, (options.patch_length, 1), strides=(options.stride, 1),
                                      name="patch_embedding")(ops.expand_dims(padded, -1))
        return ops.transpose(patches, (0, 2, 1, 3))
    patches = keras.layers.Conv1D(options.hidden_dim, options.patch_length, strides=options.stride,
                                  name="patch_embedding")(padded)
    return ops.expand_dims(patches, 1)


def _real_patches(mask, patches, options):
    """Bool `[batch, patches]`: patch i is real when the series has a real step at i's first new step.

    Patch 0's first new step is step 0; patch i > 0 first covers step
    `(i - 1) * stride + patch_length`.
    """
    from keras import ops

    length = ops.sum(ops.cast(mask, "int32"), axis=1, keepdims=True)
    index = ops.cumsum(ops.ones_like(ops.cast(patches[:, 0, :, 0], "int32")), axis=1) - 1
    first_new = ops.where(index > 0, (index - 1) * options.stride + options.patch_length, 0)
    return ops.less(first_new, length)


def _encoder_layer(x, attention_mask, options, *, name):
    """Pre-norm Transformer encoder layer over the patch axis of `[batch, channels, patches, hidden_dim]`."""
    import keras

    h = keras.layers.LayerNormalization(epsilon=1e-5, name=f"{name}_attention_norm")(x)
    h = keras.layers.MultiHeadAttention(
        options.num_heads, options.hidden_dim // options.num_heads, attention_axes=(2,),
        dropout=options.dropout, name=f"{name}_attention",
    )(h, h, attention_mask=attention_mask)
    x = keras.layers.Add(name=f"{name}_attention_add")([x, _dropout(h, options, f"{name}_attention_dropout")])
    h = keras.layers.LayerNormalization(epsilon=1e-5, name=f"{name}_feedforward_norm")(x)
    h = keras.layers.Dense(options.intermediate_dim, activation="gelu", name=f"{name}_feedforward_in")(h)
    h = _dropout(h, options, f"{name}_feedforward_inner_dropout")
    h = keras.layers.Dense(options.hidden_dim, name=f"{name}_feedforward_out")(h)
    return keras.layers.Add(name=f"{name}_feedforward_add")([x, _dropout(h, options, f"{name}_feedforward_dropout")])


def _dropout(x, options, name):
    """`x` through Dropout(options.dropout), or as it is when that is 0."""
    import keras

    return keras.layers.Dropout(options.dropout, name=name)(x) if options.dropout else x
