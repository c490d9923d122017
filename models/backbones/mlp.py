"""Built-in `mlp` backbone: dense layers over flattened inputs (tabular features, tiny images).

For a tabular task the input is the FeatureSpace's dict of encoded columns
(`{column: [batch, width]}`); the columns are concatenated in sorted name order
first. `residual: true` makes it the ResNet-style MLP of Gorishniy et al. 2021,
"Revisiting Deep Learning Models for Tabular Data" (a strong, cheap baseline for
tables), `batch_norm: true` adds BatchNormalization to each block.

Example (YAML):
    model:
      backbone: {source: builtin, name: mlp, config: {units: [128, 64]}}
      # tables: {units: [128, 128, 128], residual: true, batch_norm: true, dropout: 0.1}
"""

import re

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt
from pipelines.registry import backbones


class MlpOptions(Options):
    units: list[PositiveInt] = Field(
        [128, 64], min_length=1,
        description="Units per dense layer (with residual: the first is the stem, each further one a residual block).",
    )
    activation: str = Field("relu", description="A Keras activation name.")
    dropout: Fraction = Field(
        0.0, description="Dropout after each dense layer (in a residual block: after its hidden and its output layer).",
    )
    residual: bool = Field(
        False,
        description="ResNet-style blocks after the first layer (Gorishniy et al. 2021): "
                    "x + Dense(Dense(x)), through a bias-free Dense projection of x where the width changes; "
                    "the output then goes through (BatchNorm and) the activation.",
    )
    batch_norm: bool = Field(
        False,
        description="BatchNormalization in each block: between Dense and activation in plain blocks, "
                    "at the start of each residual block's branch (pre-norm). Momentum 0.9, so the "
                    "inference statistics keep up on small tables (a few dozen steps an epoch).",
    )


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*")


def table_inputs(input_shape: dict) -> dict:
    """One `keras.Input` per column of a table's `{column: (width,)}` input shape, keyed by column.

    Input names are the column names, or where a name would not do as a layer
    name (`/`, spaces, a leading digit ...) a sanitized, still unique one; the
    dict keeps the column names, so the model is called with the FeatureSpace's
    own dict.

    Example:
        >>> inputs = table_inputs({"age": (2,), "home town": [5]})
        >>> {key: (tensor.name, tensor.shape) for key, tensor in inputs.items()}
        {'age': ('age', (None, 2)), 'home town': ('home_town', (None, 5))}
    """
    import keras

    if not input_shape:
        raise ValueError("model.backbone: a table needs at least one column, got an empty input shape")
    keys = sorted(input_shape, key=str)
    names = {key: str(key) for key in keys if _NAME.fullmatch(str(key))}
    used = set(names.values())
    for key in keys:
        if key not in names:
            name = re.sub(r"[^A-Za-z0-9_.\-]", "_", str(key))
            name = name if name[:1].isalpha() else f"column_{name}"
            unique, suffix = name, 1
            while unique in used:
                unique, suffix = f"{name}_{suffix}", suffix + 1
            names[key] = unique
            used.add(unique)
    inputs = {}
    for key in keys:
        shape = input_shape[key]
        shape = (int(shape),) if isinstance(shape, int) else tuple(int(size) for size in shape)
        inputs[key] = keras.Input(shape, name=names[key])
    return inputs


def table_model(inputs: dict, outputs, name: str):
    """`keras.Model(inputs, outputs)` for `table_inputs`, without Keras' warning about sanitized input names.

    Example:
        >>> inputs = table_inputs({"a b": (2,)})
        >>> [tensor.name for tensor in table_model(inputs, inputs["a b"], name="identity").inputs]
        ['a_b']
    """
    import warnings

    import keras

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="When providing `inputs` as a dict")
        return keras.Model(inputs, outputs, name=name)


@backbones.register("builtin.mlp", MlpOptions)
def mlp(options: MlpOptions, *, input_shape, name: str = "backbone"):
    """A multi-layer perceptron over the flattened input, or over a table's concatenated columns.

    `input_shape` is a tuple (one tensor in) or, for a tabular task, a dict
    `{column: (width,)}` (the model then takes that dict).

    Example:
        >>> mlp(MlpOptions(units=[4]), input_shape=(3,)).output.shape
        (None, 4)
        >>> table = mlp(MlpOptions(units=[8, 4], residual=True), input_shape={"a": (2,), "b": (5,)})
        >>> table.output.shape
        (None, 4)
    """
    import keras

    if isinstance(input_shape, dict):
        inputs = table_inputs(input_shape)
        columns = [keras.layers.Flatten()(tensor) if len(tensor.shape) > 2 else tensor
                   for tensor in inputs.values()]
        x = keras.layers.Concatenate(name="features")(columns) if len(columns) > 1 else columns[0]
    else:
        inputs = keras.Input(input_shape)
        x = keras.layers.Flatten()(inputs) if len(input_shape) > 1 else inputs
    for index, units in enumerate(options.units):
        if options.residual and index > 0:
            x = _residual_block(x, units, options, index)
        else:
            x = _plain_block(x, units, options, index)
    if options.residual and len(options.units) > 1:
        if options.batch_norm:
            x = keras.layers.BatchNormalization(momentum=0.9, name="output_bn")(x)
        x = keras.layers.Activation(options.activation, name="output_activation")(x)
    return table_model(inputs, x, name=name) if isinstance(inputs, dict) else keras.Model(inputs, x, name=name)


def _plain_block(x, units, options, index):
    import keras

    if options.batch_norm:
        x = keras.layers.Dense(units, use_bias=False, name=f"dense{index}")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{index}")(x)
        x = keras.layers.Activation(options.activation, name=f"activation{index}")(x)
    else:
        x = keras.layers.Dense(units, activation=options.activation, name=f"dense{index}")(x)
    if options.dropout:
        x = keras.layers.Dropout(options.dropout, name=f"dropout{index}")(x)
    return x


def _residual_block(x, units, options, index):
    """x + Dropout(Dense(Dropout(act(Dense(BN(x)))))); x projected by a bias-free Dense if its width differs."""
    import keras

    shortcut = x
    if x.shape[-1] != units:
        shortcut = keras.layers.Dense(units, use_bias=False, name=f"block{index}_projection")(x)
    if options.batch_norm:
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"block{index}_bn")(x)
    x = keras.layers.Dense(units, activation=options.activation, name=f"block{index}_dense0")(x)
    if options.dropout:
        x = keras.layers.Dropout(options.dropout, name=f"block{index}_dropout0")(x)
    x = keras.layers.Dense(units, name=f"block{index}_dense1")(x)
    if options.dropout:
        x = keras.layers.Dropout(options.dropout, name=f"block{index}_dropout1")(x)
    return keras.layers.Add(name=f"block{index}_add")([shortcut, x])
