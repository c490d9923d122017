"""A `keras.utils.FeatureSpace` that encodes raw table columns inside the model, one float32 vector per column.

Per column type (`data.tabular.columns.COLUMN_TYPES`), [batch, width]:

- numeric: `ImputedNumeric` -> [standardized value, missing] (2)
- categorical: `CategoryOneHot` -> one-hot over the training values plus one
  slot for unseen values, or over `hash_bins` buckets when the training column
  has more than `hash_above` distinct values
- boolean: `BooleanFlag` -> [value, missing] (2), so that "yes", "True" or "1"
  sent at serving time read like the training values
- datetime: `DatetimeParts` -> year, month, weekday, day, hour, missing (10)
- text: `keras.layers.TextVectorization(output_mode="tf_idf")`, up to
  `text_max_tokens` (its adapted vocabulary size)

A plain FeatureSpace cannot be called on `keras.Input`s (it converts its inputs
to numpy), and gives [batch, 1, k] for text. `ColumnFeatureSpace` (what
`build_feature_space` returns) can: called on a dict of `keras.Input`s it wires
each column's preprocessor into the functional model (`encode_columns`), on
tensors or arrays it computes. Inputs of shape () (or (1,)), float32 for
numeric columns and string for the others (`column_inputs`), work for fit,
`.keras` save and reload, and `keras.export.ExportArchive` with a [None]
`tf.TensorSpec` per column; names must be `serving_name`s.

Example:
    >>> import numpy as np, keras
    >>> types = {"age": "numeric", "city": "categorical"}
    >>> train = {"age": np.array([30, np.nan, 50], "float32"), "city": np.array(["Oslo", "", "Rome"], object)}
    >>> space = build_feature_space(types, train)
    >>> adapt_feature_space(space, train)
    >>> inputs = column_inputs(types)
    >>> encoded = space(inputs)
    >>> outputs = keras.layers.Dense(1)(keras.layers.Concatenate()([encoded[name] for name in types]))
    >>> model = keras.Model(inputs, outputs)
    >>> model.predict({"age": np.array([40.0], "float32"), "city": np.array(["Paris"], object)}, verbose=0).shape
    (1, 1)
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras.utils import FeatureSpace

from data.tabular.columns import COLUMN_TYPES
from data.tabular.layers import BooleanFlag, CategoryOneHot, DatetimeParts, ImputedNumeric


@keras.saving.register_keras_serializable(package="kpipe")
class ColumnFeatureSpace(FeatureSpace):
    """A FeatureSpace whose call also takes `keras.Input`s, and gives [batch, width] for every column.

    Example:
        >>> space = build_feature_space({"ok": "boolean"}, {"ok": np.array(["yes"], object)})
        >>> space({"ok": np.array(["yes", ""], object)})["ok"].numpy().tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """

    def __call__(self, data):
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(f"a feature space takes a dict of columns, got {type(data).__name__}")
        return encode_columns(self, data)


def build_feature_space(
    types: dict[str, str], train_arrays: dict, *, hash_above: int = 200, hash_bins: int = 64,
    text_max_tokens: int = 1000, numeric_bins: int = 0,
) -> ColumnFeatureSpace:
    """An un-adapted feature space (output_mode="dict"), one feature per column of `types`.

    `train_arrays` (the training split's raw columns) only decide which
    categorical columns are hashed; `adapt_feature_space` learns the rest.
    `numeric_bins` adds a piecewise-linear encoding over that many quantile
    bins to each numeric column (0: the standardized value and missing flag only).

    Example:
        >>> train = {"n": np.zeros(3, "float32"), "id": np.array(["a", "b", "c"], object)}
        >>> space = build_feature_space({"n": "numeric", "id": "categorical"}, train, hash_above=2, hash_bins=8)
        >>> {name: type(layer).__name__ for name, layer in space.preprocessors.items()}, space.preprocessors["id"].depth
        ({'n': 'ImputedNumeric', 'id': 'CategoryOneHot'}, 8)
    """
    features = {}
    for name, kind in types.items():
        layer_name = f"{name}_{kind}"
        if kind == "numeric":
            layer = ImputedNumeric(bins=numeric_bins, name=layer_name)
        elif kind == "categorical":
            if name not in train_arrays:
                raise ValueError(f"no training column for the categorical column {name!r}")
            distinct = len(set(np.asarray(train_arrays[name]).tolist()))
            layer = CategoryOneHot(hash_bins=hash_bins if distinct > hash_above else None, name=layer_name)
        elif kind == "boolean":
            layer = BooleanFlag(name=layer_name)
        elif kind == "datetime":
            layer = DatetimeParts(name=layer_name)
        elif kind == "text":
            layer = keras.layers.TextVectorization(max_tokens=text_max_tokens, output_mode="tf_idf", name=layer_name)
        else:
            raise ValueError(f"column {name!r}: type must be one of {', '.join(COLUMN_TYPES)}, got {kind!r}")
        features[name] = FeatureSpace.feature(dtype=input_dtype(kind), preprocessor=layer, output_mode="float")
    if not features:
        raise ValueError("no columns to encode")
    return ColumnFeatureSpace(features, output_mode="dict")


def adapt_feature_space(feature_space: FeatureSpace, train_arrays: dict, batch_size: int = 1024) -> None:
    """Adapt every column's preprocessor on the training columns (raw arrays, as in `Examples.inputs`); once.

    Example:
        >>> space = build_feature_space({"n": "numeric"}, {})
        >>> adapt_feature_space(space, {"n": np.array([1.0, 3.0], "float32"), "unused": np.zeros(2)})
        >>> space.preprocessors["n"].mean
        2.0
    """
    missing = [name for name in feature_space.features if name not in train_arrays]
    if missing:
        raise ValueError(f"no training column for {', '.join(map(repr, missing))}")
    columns = {name: train_arrays[name] for name in feature_space.features}
    feature_space.adapt(tf.data.Dataset.from_tensor_slices(columns).batch(batch_size))


def column_inputs(types: dict[str, str]) -> dict:
    """One `keras.Input(shape=())` per column, named after it: float32 for numeric columns, else string.

    Example:
        >>> {name: (x.shape, x.dtype) for name, x in column_inputs({"n": "numeric", "c": "categorical"}).items()}
        {'n': ((None,), 'float32'), 'c': ((None,), 'string')}
    """
    return {name: keras.Input(shape=(), dtype=input_dtype(kind), name=name) for name, kind in types.items()}


def input_dtype(kind: str) -> str:
    """The dtype of a raw column of type `kind` in the model: float32 for numeric, else string.

    Example:
        >>> input_dtype("numeric"), input_dtype("datetime")
        ('float32', 'string')
    """
    return "float32" if kind == "numeric" else "string"


def encode_columns(feature_space: FeatureSpace, inputs: dict) -> dict:
    """Each column of `inputs` through its (adapted) preprocessor: {name: float32 [batch, width]}.

    Works on `keras.Input`s (in a functional model), tensors and arrays alike,
    of shape [batch] or [batch, 1]; keys must be the feature space's columns.

    Example:
        >>> space = build_feature_space({"ok": "boolean"}, {})
        >>> encode_columns(space, {"ok": np.array(["no"], object)})["ok"].numpy().tolist()
        [[0.0, 0.0]]
    """
    if set(inputs) != set(feature_space.features):
        raise ValueError(
            f"inputs have columns {sorted(inputs)} but the feature space encodes {sorted(feature_space.features)}"
        )
    encoded = {}
    for name in feature_space.features:
        x = inputs[name]
        if not isinstance(x, keras.KerasTensor):
            x = tf.convert_to_tensor(x)
        if len(x.shape) == 2 and x.shape[-1] == 1:  # (1,)-shaped: TextVectorization would keep the 1
            x = keras.ops.squeeze(x, axis=-1)
        encoded[name] = feature_space.preprocessors[name](x)
    return encoded
