"""The two-tower model: user and item towers to unit-length embeddings, trained with an in-batch softmax.

Each tower maps a raw string id (a `StringLookup` inside the model, so the
export takes ids as they are) to a learned id embedding (joined by the id's
features when the source has a feature table), through a body (the
spec's backbone for users, a fresh copy of it for items) to `embedding_dim`
and unit length; all after the lookup is an inner model (`<name>_encoder`)
that also takes raw feature values in place of the id's row (a new user's).
In a batch of (user, item) interactions, every user's logits
are its cosine similarity with every item of the batch over `temperature`;
its own item is the positive, the others the negatives. The loss is the
softmax cross-entropy of those logits, after keras-rs's
`SamplingProbabilityCorrection` (minus the log of each item's share of the
training interactions, since popular items are negatives more often),
`RemoveAccidentalHits` (another row's copy of the positive item is no
negative) and optionally `HardNegativeMining`.

Example:
    >>> model = build_two_tower(backbone, users=["u1"], items=["i1", "i2"], item_shares=[0.5, 0.5], head=head)  # doctest: +SKIP
    >>> model({"user_id": tf.constant(["u1"]), "item_id": tf.constant(["i2"])})["user"].shape  # doctest: +SKIP
    TensorShape([1, 32])
"""

from __future__ import annotations

import functools

import numpy as np


def build_tower(body, ids, head, name: str, features=None):
    """A functional tower: string id -> lookup -> id embedding [+ features] -> body -> dense -> unit length.

    Unknown ids get the lookup's out-of-vocabulary slot (index 0). `features`
    is None or (types {column: type}, {column: (len(ids),) raw values}): each
    id's row of a feature table, kept inside the model (`ColumnTable`) and
    encoded by a FeatureSpace adapted on it (`data.tabular.feature_space`);
    they join the id embedding, projected back to `id_embedding_dim`, so the
    tower still takes the id alone. An unknown id's features are missing.

    All but the lookup is the inner model `<name>_encoder`: {`<name>_index`,
    one raw input per feature column} (`models.tasks.id_embedding.id_inputs`)
    -> the unit embedding. The tower feeds it each id's own row; the export
    feeds it index 0 and a new user's features (`recommend_by_features`).

    Example:
        >>> tower = build_tower(body, ["u1", "u2"], head, "user", features)  # doctest: +SKIP
        >>> unknown_aged_30 = {"user_index": tf.constant([0]), "user_age": tf.constant([30.0])}  # doctest: +SKIP
        >>> tower.get_layer("user_encoder")(unknown_aged_30).shape  # doctest: +SKIP
        TensorShape([1, 32])
    """
    import keras

    from models.tasks.id_embedding import feature_rows, id_inputs, id_vector

    inputs = id_inputs(name, features)
    index = inputs[f"{name}_index"]
    columns = {column: x for column, x in inputs.items() if x is not index}
    x = id_vector(index, len(ids), head, name, features, columns)
    x = body(x)
    x = keras.layers.Dense(head.embedding_dim, name=f"{name}_projection")(x)
    x = keras.layers.UnitNormalization(name=f"{name}_normalize")(x)
    encoder = keras.Model(inputs, x, name=f"{name}_encoder")

    raw = keras.Input(shape=(), dtype="string", name=f"{name}_id")
    index = keras.layers.StringLookup(vocabulary=list(ids), num_oov_indices=1, name=f"{name}_lookup")(raw)
    return keras.Model(raw, encoder({f"{name}_index": index, **feature_rows(index, features)}),
                       name=f"{name}_tower")


def build_two_tower(backbone, *, users, items, item_shares, head, name: str = "two_tower", user_features=None,
                    item_features=None):
    """The `TwoTower` model: the backbone as the user tower's body, a fresh copy of it as the item tower's.

    `user_features` and `item_features`: see `build_tower`'s `features`.
    """
    import keras

    item_body = keras.models.clone_model(backbone)
    return two_tower_class()(build_tower(backbone, users, head, "user", user_features),
                             build_tower(item_body, items, head, "item", item_features),
                             np.asarray(item_shares, "float32"), head, name=name)


@functools.cache
def two_tower_class():
    """The `TwoTower` Keras model class (built on first use, so importing this module needs no Keras)."""
    import keras
    import keras_rs
    from keras import ops

    class TwoTower(keras.Model):
        """`call` gives {"user": [B, D], "item": [B, D]} embeddings; `compute_loss` is the in-batch softmax."""

        def __init__(self, user_tower, item_tower, item_shares, head, **kwargs):
            super().__init__(**kwargs)
            self.user_tower, self.item_tower = user_tower, item_tower
            self.item_lookup = item_tower.get_layer("item_lookup")
            self.temperature = float(head.temperature)
            self.hard_negatives = int(head.hard_negatives)
            self.remove_hits = bool(head.remove_accidental_hits)
            self.correct = bool(head.popularity_correction)
            shares = np.concatenate([[0.0], item_shares]).astype("float32")  # index 0: unknown items
            self.item_shares = self.add_weight(shape=shares.shape, initializer=keras.initializers.Constant(shares),
                                               trainable=False, name="item_shares")
            self.correction = keras_rs.layers.SamplingProbabilityCorrection()
            self.accidental_hits = keras_rs.layers.RemoveAccidentalHits()
            self.mining = keras_rs.layers.HardNegativeMining(self.hard_negatives) if self.hard_negatives else None
            self.built = True  # the towers are built functional models; nothing else has weights to make

        def call(self, inputs, training=False):
            return {"user": self.user_tower(inputs["user_id"], training=training),
                    "item": self.item_tower(inputs["item_id"], training=training)}

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            users, items = y_pred["user"], y_pred["item"]
            logits = ops.matmul(users, ops.transpose(items)) / self.temperature
            labels = ops.eye(ops.shape(logits)[0], dtype=logits.dtype)
            index = self.item_lookup(x["item_id"])
            if self.correct:
                shares = ops.take(self.item_shares, index)
                logits = self.correction(logits, ops.broadcast_to(shares[None, :], ops.shape(logits)))
            if self.remove_hits:
                logits = self.accidental_hits(logits, labels, index)
                # keras-rs 0.4 only nudges accidental hits by a denormal; mask them as the layer documents
                duplicate = ops.cast(ops.equal(index[:, None], index[None, :]), logits.dtype) - labels
                logits = logits - duplicate * 1e9
            if self.mining is not None:
                logits, labels = self.mining(logits, labels)
            losses = keras.losses.categorical_crossentropy(labels, logits, from_logits=True)
            return ops.mean(losses) + ops.sum(self.losses) if self.losses else ops.mean(losses)

    return TwoTower
