"""An id's vector inside a recommender: its embedding, joined by its row of a feature table.

Both recommendation tasks (`retrieval`'s towers, `ranking`'s scorer) look raw
string ids up inside the model (index 0: unknown) and embed them; a feature
table (`models.tasks.interactions.feature_table`) is kept in the model too, so
the export still takes the id alone. A model can also take the raw feature
values as inputs (`id_inputs`) and encode them in place of the id's own row:
`retrieval` does so to recommend for a new user given by features.

Example:
    >>> x = id_vector(keras.Input(shape=(), dtype="int64"), 3, head, "item")   # doctest: +SKIP
"""

from __future__ import annotations

import functools

import numpy as np


def id_vector(index, count: int, head, name: str, features=None, columns=None):
    """[N, id_embedding_dim]: the embedding of lookup `index` (0: unknown), joined by its features if given.

    `features` is None or (types, {column: (count,) raw values}) (`models.tasks.interactions.feature_table`):
    encoded by a FeatureSpace adapted on the table and projected back to `id_embedding_dim`. The values encoded
    are `columns` ({column: raw [N]}, e.g. the `id_inputs`), or by default the id's own row: the table is kept
    in the model (`feature_rows`) and read by index, so an unknown id's features are missing.

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
    encoded = space(feature_rows(index, features) if columns is None else columns)
    x = keras.layers.Concatenate(name=f"{name}_with_features")([x, *(encoded[c] for c in types)])
    return keras.layers.Dense(head.id_embedding_dim, name=f"{name}_features")(x)


def id_inputs(name: str, features=None) -> dict:
    """{`<name>_index`: int64 lookup index, then one raw [N] `keras.Input` per feature column, named after it}.

    Example:
        >>> import numpy as np
        >>> features = ({"user_age": "numeric"}, {"user_age": np.array([20.0], "float32")})
        >>> {key: x.dtype for key, x in id_inputs("user", features).items()}
        {'user_index': 'int64', 'user_age': 'float32'}
    """
    import keras

    from data.tabular.feature_space import column_inputs

    index = keras.Input(shape=(), dtype="int64", name=f"{name}_index")
    return {f"{name}_index": index, **(column_inputs(features[0]) if features is not None else {})}


def feature_rows(index, features) -> dict:
    """{column: raw [N] values of the ids at lookup `index`}, read from the table kept in the model ({} without
    features; index 0, an unknown id: missing values).

    Example:
        >>> import numpy as np, tensorflow as tf
        >>> features = ({"item_genre": "categorical"}, {"item_genre": np.array(["rock", "pop"], object)})
        >>> feature_rows(tf.constant([2, 0]), features)["item_genre"].numpy().tolist()
        [b'pop', b'']
    """
    if features is None:
        return {}
    types, table = features
    return {column: column_table()(table[column], kind, name=f"{column}_table")(index)
            for column, kind in types.items()}


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
