"""The `score` export: user ids and their candidate item ids in, one score per candidate out.

- `score(user_ids: string [batch], item_ids: string [batch, candidates])` ->
  `scores` float32 [batch, candidates] (logits: higher ranks first).
- `serving_default` is `score`.

Unknown user or item ids get the out-of-vocabulary embedding (and missing
features), so they are scored, never refused. `kpipe predict --rows` sends one
(user_ids, item_ids) pair per CSV row (a list of one candidate).

Example:
    >>> tracked, endpoints = score_endpoints(model)  # doctest: +SKIP
    >>> endpoints["score"][0](tf.constant(["u0001"]), tf.constant([["i001", "i002"]]))["scores"].shape  # doctest: +SKIP
    TensorShape([1, 2])
"""

from __future__ import annotations


def score_endpoints(model) -> tuple[list, dict]:
    """Objects to track and the `serving_default` and `score` endpoints.

    Example: see the module docstring.
    """
    import tensorflow as tf

    def score(user_ids, item_ids):
        return {"scores": model({"user_id": user_ids, "item_id": item_ids}, training=False)}

    inputs = [tf.TensorSpec([None], tf.string, name="user_ids"),
              tf.TensorSpec([None, None], tf.string, name="item_ids")]
    return [model], {"serving_default": (score, inputs), "score": (score, inputs)}
