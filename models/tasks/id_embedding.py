"""An id's learned vector inside a recommender: its embedding, joined by its row of a feature table.

Both recommendation tasks (`retrieval`'s towers, `ranking`'s scorer) look raw
string ids up inside the model (index 0: unknown) and embed them; a feature
table (`models.tasks.interactions.feature_table`) is kept in the model too, so
the export still takes the id alone.

Example:
    >>> x = id_vector(keras.Input(shape=(), dtype="int64"), 3, head, "item")   # doctest: +SKIP
"""

from __future__ import annotations

import functools

import numpy as np


def id_vector(index, count: int, head, name: str, features=None):
    """[N, id_embedding_dim]: the embedding of lookup `index` (0: unknown), joined by its features if given.

    `features` is None or (types, {column: (count,) raw values}) (`models.tasks.interactions.feature_table`):
    each column is kept in the model (`column_table`) and read by index, encoded by a FeatureSpace adapted on
    it; the result is projected back to `id_embedding_dim`. An unknown id's features are missing.

    Example:
        >>> id_vector(keras.Input(shape=(), dtype="int64"), 3, head, "item").shape   # doctest: +SKIP
        (None, 32)
    """
    import keras

    x = keras.layers.Embedding(count + 1, head.id_embedding_dim, name=f"{name}_embedding")(index)
    if features is None:
        return x
    from data.tabular.feature_space import adapt_feature_space, build_feature_space

    types, table = features
    space = build_feature_space(types, table)
    adapt_feature_space(space, table)
    encoded = space({column: column_table()(table[column], kind, name=f"{column}_table")(index)
                     for column, kind in types.items()})
    x = keras.layers.Concatenate(name=f"{name}_with_features")([x, *(encoded[c] for c in types)])
    return keras.layers.Dense(head.id_embedding_dim, name=f"{name}_features")(x)


@functools.cache
def column_table():
    """The `ColumnTable` layer class: lookup index -> that id's raw feature value (index 0: missing)."""
    import keras
    import tensorflow as tf

    class ColumnTable(keras.layers.Layer):
        """One column of a feature table inside the model, read by lookup index (0: unknown id, missing value)."""

        def __init__(self, values, kind: str, **kwargs):
            super().__init__(**kwargs)
            self.kind = kind
            if kind == "numeric":
                self.values = np.concatenate([[np.nan], np.asarray(values, "float32")]).astype("float32")
            else:
                self.values = np.concatenate([[""], np.asarray(values, object)]).astype(object)
            self.built = True

        def call(self, index):
            table = tf.constant(self.values, tf.float32 if self.kind == "numeric" else tf.string)
            return tf.gather(table, index)

        def compute_output_spec(self, index):
            return keras.KerasTensor(index.shape, "float32" if self.kind == "numeric" else "string")

    return ColumnTable
