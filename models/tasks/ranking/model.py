"""The ranking model: (user, item) -> a score, from id embeddings crossed by keras-rs layers, then the backbone.

`build_scorer` is a functional model over lookup indices: each side's id
embedding (joined by its feature table's encoded columns, projected back to
`id_embedding_dim`, as `retrieval`'s towers do), then either `cross_layers`
keras-rs `FeatureCross` layers (DCN-v2) over the two concatenated, or their
keras-rs `DotInteraction` joined to them (`interaction: dot`), then the spec's
backbone and a one-unit score (a logit). `Ranker` wraps it: raw string ids in
(`StringLookup`s inside, so unknown ids get the out-of-vocabulary slot 0),
`item_id` of shape [batch] or [batch, candidates], scores of the same shape;
its loss scores `negatives` sampled unseen items per observed interaction
(`models.tasks.ranking.negatives`), pointwise (binary cross-entropy) or
pairwise (BPR), or with `target: rating` the squared error to the observed
ratings and to 0 for the sampled items.

Example:
    >>> model = build_ranker(backbone, users=["u1"], items=["i1", "i2"], seen=seen, head=head, seed=0)  # doctest: +SKIP
    >>> model({"user_id": tf.constant(["u1"]), "item_id": tf.constant([["i1", "i2"]])}).shape  # doctest: +SKIP
    TensorShape([1, 2])
"""

from __future__ import annotations

import functools


def interaction_width(head) -> int:
    """The width of what the backbone takes: both id vectors (and their dot product with `interaction: dot`).

    Example:
        >>> from models.tasks.ranking.head import RankingHead
        >>> interaction_width(RankingHead(id_embedding_dim=8)), interaction_width(RankingHead(interaction="dot"))
        (16, 65)
    """
    return 2 * head.id_embedding_dim + (1 if head.interaction == "dot" else 0)


def build_scorer(backbone, user_count: int, item_count: int, head, user_features=None, item_features=None):
    """The functional scorer: (user index [N], item index [N]) -> logits [N, 1] (see the module docstring).

    Example:
        >>> build_scorer(backbone, user_count=2, item_count=3, head=head).output.shape   # doctest: +SKIP
        (None, 1)
    """
    import keras
    import keras_rs

    from models.tasks.id_embedding import id_vector

    user = keras.Input(shape=(), dtype="int64", name="user_index")
    item = keras.Input(shape=(), dtype="int64", name="item_index")
    u = id_vector(user, user_count, head, "user", user_features)
    i = id_vector(item, item_count, head, "item", item_features)
    if head.interaction == "cross":
        x0 = keras.layers.Concatenate(name="user_and_item")([u, i])
        x = x0
        for layer in range(head.cross_layers):
            x = keras_rs.layers.FeatureCross(projection_dim=head.projection_dim, name=f"cross_{layer}")(x0, x)
    else:
        dot = keras_rs.layers.DotInteraction(name="dot")([u, i])
        x = keras.layers.Concatenate(name="user_item_and_dot")([u, i, dot])
    x = backbone(x)
    score = keras.layers.Dense(1, name="score")(x)
    return keras.Model([user, item], score, name="scorer")


def build_ranker(backbone, *, users, items, seen, head, seed: int, name: str = "ranker", user_features=None,
                 item_features=None):
    """The `Ranker`: `seen` is the training interactions' `SeenItems` (negatives are drawn outside it).

    Example: see the module docstring.
    """
    scorer = build_scorer(backbone, len(users), len(items), head, user_features, item_features)
    return ranker_class()(scorer, list(users), list(items), seen, head, seed, name=name)


@functools.cache
def ranker_class():
    """The `Ranker` Keras model class (built on first use, so importing this module needs no Keras)."""
    import keras
    import tensorflow as tf

    class Ranker(keras.Model):
        """`call` scores {"user_id": [B], "item_id": [B] or [B, C]} -> [B] or [B, C]; `compute_loss` adds
        sampled negatives."""

        def __init__(self, scorer, users, items, seen, head, seed, **kwargs):
            super().__init__(**kwargs)
            self.scorer = scorer
            self.user_lookup = keras.layers.StringLookup(vocabulary=users, num_oov_indices=1, name="user_lookup")
            self.item_lookup = keras.layers.StringLookup(vocabulary=items, num_oov_indices=1, name="item_lookup")
            self.seen = seen
            self.negatives = int(head.negatives)
            self.objective = "rating" if head.target == "rating" else head.objective
            self.seed_generator = keras.random.SeedGenerator(seed)
            self.built = True  # the scorer is a built functional model; the lookups hold no weights

        def score_indices(self, users, items, training=False):
            """Logits [B, C] of lookup indices `users` [B] against item indices `items` [B, C]."""
            shape = tf.shape(items)
            flat_users = tf.reshape(tf.repeat(tf.cast(users, tf.int64)[:, None], shape[1], axis=1), [-1])
            flat = self.scorer([flat_users, tf.reshape(tf.cast(items, tf.int64), [-1])], training=training)
            return tf.reshape(flat, shape)

        def call(self, inputs, training=False):
            items = inputs["item_id"]
            single = len(items.shape) == 1
            grid = items[:, None] if single else items
            scores = self.score_indices(self.user_lookup(inputs["user_id"]), self.item_lookup(grid), training)
            return scores[:, 0] if single else scores

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            users = self.user_lookup(x["user_id"])
            negatives = self.seen.sample(users, self.negatives, self.seed_generator) + 1  # positions -> indices
            negative = self.score_indices(users, negatives, training=training)
            positive = tf.cast(y_pred, negative.dtype)[:, None]
            if self.objective == "rating":  # observed: its rating; sampled: 0
                errors = tf.concat([positive - tf.cast(y, negative.dtype)[:, None], negative], axis=1)
                loss = tf.reduce_mean(tf.square(errors))
            elif self.objective == "pairwise":
                loss = tf.reduce_mean(tf.math.softplus(negative - positive))
            else:
                logits = tf.concat([positive, negative], axis=1)
                labels = tf.concat([tf.ones_like(positive), tf.zeros_like(negative)], axis=1)
                loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels, logits))
            return loss + tf.add_n(self.losses) if self.losses else loss

    return Ranker
