"""The `recommend` export: user ids (or a new user's features) in, the top items (ids and scores) out, the item
index inside the SavedModel.

At each export the item tower embeds every item of the corpus once; those
embeddings and the items' ids become a keras-rs `BruteForceRetrieval` index
that travels inside the SavedModel (so the export never runs the item tower).

- `serving_default(user_ids: string [batch])` -> `item_ids` string [batch, top_k]
  and `scores` float32 [batch, top_k], best first (`model.head.top_k`, at most
  the corpus' size).
- `recommend(user_ids: string [batch], k: int32 scalar)` -> the same with `k`
  items (at most the corpus' size).
- `recommend_by_features(<one input per user feature column>, k: int32 scalar)`
  -> the same for users given by their features rather than an id (a new user:
  cold start), only when the training data has user feature columns. Each
  input is named after its column (`user_<column>`, letters, digits and `_`, as
  the source names them) and takes the raw values, float32 [batch] for numeric
  columns and string [batch] for the others (NaN or "" where missing). The user
  tower runs on the unknown id's embedding (index 0) joined by these features,
  encoded by the tower's own FeatureSpace, so they steer the recommendation.

A user id the model never trained on gets the most popular items of the
training split, and as scores their share of the training interactions. The
export does not leave out items the user has already seen (evaluation does).

Example:
    >>> tracked, endpoints = recommend_endpoints(model, items, embeddings, popular_order, shares, top_k=10)  # doctest: +SKIP
    >>> endpoints["recommend"][0](tf.constant(["u0001"]), tf.constant(5))["item_ids"].shape  # doctest: +SKIP
    TensorShape([1, 5])
    >>> by_features, _ = endpoints["recommend_by_features"]  # doctest: +SKIP
    >>> new_user = {"user_age": tf.constant([31.0]), "user_city": tf.constant(["Oslo"])}  # doctest: +SKIP
    >>> by_features(new_user, tf.constant(5))["scores"].shape  # doctest: +SKIP
    TensorShape([1, 5])
"""

from __future__ import annotations

import numpy as np


def recommend_endpoints(model, item_ids: list[str], embeddings: np.ndarray, popular: np.ndarray,
                        shares: np.ndarray, top_k: int) -> tuple[list, dict]:
    """Objects to track and the `serving_default`, `recommend` and (with user feature columns in the user tower)
    `recommend_by_features` endpoints (see the module docstring).

    `popular` are item indices by falling popularity, `shares` each item's share of the training interactions.
    """
    import keras_rs
    import tensorflow as tf

    count = len(item_ids)
    index = keras_rs.layers.BruteForceRetrieval(
        candidate_embeddings=np.asarray(embeddings, "float32"), candidate_ids=np.arange(count, dtype="int32"),
        k=min(top_k, count), name="item_index")
    vocabulary = tf.constant(np.asarray(item_ids, object), tf.string)
    popular = tf.constant(np.asarray(popular, "int32"))
    popular_scores = tf.constant(np.asarray(shares, "float32")[np.asarray(popular)])
    lookup = model.user_tower.get_layer("user_lookup")
    encoder = model.user_tower.get_layer("user_encoder")

    def answer(user_ids, scores, top, k):
        known = tf.reshape(lookup(user_ids) > 0, [-1, 1])
        batch = tf.shape(user_ids)[0]
        fallback = tf.tile(popular[None, :k], [batch, 1])
        fallback_scores = tf.tile(popular_scores[None, :k], [batch, 1])
        top = tf.where(known, tf.cast(top, tf.int32), fallback)
        return {"item_ids": tf.gather(vocabulary, top), "scores": tf.where(known, scores, fallback_scores)}

    def serve(user_ids):
        scores, top = index(model.user_tower(user_ids, training=False))
        return answer(user_ids, scores, top, index.k)

    def best(users, k):
        return tf.math.top_k(index.compute_score(users, index.candidate_embeddings), k=tf.clip_by_value(k, 1, count))

    def recommend(user_ids, k):
        scores, top_k = best(model.user_tower(user_ids, training=False), k)
        return answer(user_ids, scores, top_k, tf.shape(top_k)[1])

    def recommend_by_features(columns, k):
        unknown = tf.zeros(tf.shape(next(iter(columns.values())))[:1], tf.int64)  # index 0: no id, features only
        scores, top_k = best(encoder({"user_index": unknown, **columns}, training=False), k)
        return {"item_ids": tf.gather(vocabulary, top_k), "scores": scores}

    users = tf.TensorSpec([None], tf.string, name="user_ids")
    k = tf.TensorSpec([], tf.int32, name="k")
    endpoints = {"serving_default": (serve, [users]), "recommend": (recommend, [users, k])}
    columns = {name: tf.TensorSpec([None], x.dtype, name=name) for name, x in encoder.input.items()
               if name != "user_index"}
    if columns:
        endpoints["recommend_by_features"] = (recommend_by_features, [columns, k])
    return [model, index], endpoints


def top_items(model, user_ids: np.ndarray, item_ids: list[str], embeddings: np.ndarray, k: int):
    """The Keras model's own top `k` (item ids [users, k] as bytes, scores [users, k]): what parity compares.

    Example:
        >>> ids, scores = top_items(model, np.array(["u0001"], object), items, embeddings, 10)  # doctest: +SKIP
    """
    import keras_rs
    import tensorflow as tf

    index = keras_rs.layers.BruteForceRetrieval(np.asarray(embeddings, "float32"), k=min(k, len(item_ids)))
    scores, top = index(model.user_tower(tf.constant(np.asarray(user_ids, object)), training=False))
    names = np.asarray([i.encode("utf-8") for i in item_ids], object)
    return names[np.asarray(top)], np.array(scores)
