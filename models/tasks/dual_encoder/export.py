"""The `dual_encoder` export: `embed_image`, `embed_text` and `zero_shot`, each on raw inputs.

- `embed_image(image_bytes: string [batch])` -> `embedding` float32 [batch, D], unit length
  (also `serving_default`).
- `embed_text(texts: string [batch])` -> `embedding` float32 [batch, D], unit length (the tokenizer runs
  inside the graph).
- `zero_shot(image_bytes: string [batch], labels: string [K])` -> `probabilities` float32 [batch, K]: the
  softmax over the candidate labels (each embedded as given, e.g. "a photo of a circle") of the trained
  logit scale times the cosine similarities.

Example:
    >>> tracked, endpoints = dual_endpoints(model, encoder, (32, 48, 3), datasets)   # doctest: +SKIP
    >>> zero_shot = endpoints["zero_shot"][0]                                           # doctest: +SKIP
    >>> zero_shot(images, tf.constant(["a red circle", "a blue square"]))["probabilities"]  # doctest: +SKIP
"""

from __future__ import annotations


def dual_endpoints(model, encoder, image_shape, datasets) -> tuple[list, dict]:
    """Objects to track and the `serving_default`, `embed_image`, `embed_text` and `zero_shot` endpoints."""
    import tensorflow as tf

    from data.images import decode_image

    preprocess = datasets.preprocess
    image_tower, text_tower = model.image_tower, model.text_tower
    scale = tf.constant(float(model.scale().numpy()), tf.float32)

    def images_of(image_bytes):
        images = tf.map_fn(lambda b: decode_image(b, image_shape), image_bytes,
                           fn_output_signature=tf.TensorSpec(image_shape, tf.float32))
        return image_tower(preprocess(images), training=False)

    def texts_of(texts):
        tokens = encoder(texts)
        return text_tower({"token_ids": tokens["token_ids"], "padding_mask": tokens["padding_mask"]},
                          training=False)

    def embed_image(image_bytes):
        return {"embedding": images_of(image_bytes)}

    def embed_text(texts):
        return {"embedding": texts_of(texts)}

    def zero_shot(image_bytes, labels):
        logits = scale * tf.matmul(images_of(image_bytes), texts_of(labels), transpose_b=True)
        return {"probabilities": tf.nn.softmax(logits, axis=-1)}

    image_bytes = tf.TensorSpec([None], tf.string, name="image_bytes")
    return [image_tower, text_tower, encoder, *datasets.preprocessing_layers], {
        "serving_default": (embed_image, [image_bytes]),
        "embed_image": (embed_image, [image_bytes]),
        "embed_text": (embed_text, [tf.TensorSpec([None], tf.string, name="texts")]),
        "zero_shot": (zero_shot, [image_bytes, tf.TensorSpec([None], tf.string, name="labels")]),
    }
