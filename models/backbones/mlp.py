"""Built-in `mlp` backbone: dense layers over flattened inputs (tabular features, tiny images).

Example (YAML):
    model:
      backbone: {source: builtin, name: mlp, config: {units: [128, 64]}}
"""

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class MlpOptions(Options):
    units: list[PositiveInt] = Field([128, 64], min_length=1, description="Units per dense layer.")
    activation: str = Field("relu", description="A Keras activation name.")
    dropout: Fraction = Field(0.0, description="Dropout after each dense layer.")


@backbones.register("builtin.mlp", MlpOptions)
def mlp(options: MlpOptions, *, input_shape, name: str = "backbone"):
    """A multi-layer perceptron over the flattened input.

    Example:
        >>> mlp(MlpOptions(units=[4]), input_shape=(3,)).output.shape
        (None, 4)
    """
    import keras

    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs) if len(input_shape) > 1 else inputs
    for index, units in enumerate(options.units):
        x = keras.layers.Dense(units, activation=options.activation, name=f"dense{index}")(x)
        if options.dropout:
            x = keras.layers.Dropout(options.dropout, name=f"dropout{index}")(x)
    return keras.Model(inputs, x, name=name)
