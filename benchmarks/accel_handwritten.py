"""The hand-written side of `benchmarks.accel`: the tf.data + keras-hub + `model.fit` script a user would write
for each case (a ResNet on images, a BERT on texts), timed in steps per second.

Example:
    >>> rate, params = handwritten_rate("image", SIZES["smoke"], data, "float32", jit=False, steps=4)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.accel import EPOCHS, SEED
from benchmarks.common import step_timer


def handwritten_rate(case: str, sizes: dict, data: Path, precision: str, jit: bool, steps: int) -> tuple[float, int]:
    """(steps/s, parameters) of the hand-written tf.data + keras-hub + `model.fit` script of `case`."""
    import keras

    keras.utils.set_random_seed(SEED)
    keras.mixed_precision.set_dtype_policy(precision)
    try:
        model, train = SCRIPTS[case](sizes[case], data)
        model.compile(keras.optimizers.Adam(1.0e-3), "categorical_crossentropy", metrics=["accuracy"],
                      jit_compile=jit)
        timer = step_timer()
        model.fit(train, epochs=EPOCHS, steps_per_epoch=steps, callbacks=[timer], verbose=0)
        return timer.rate, int(model.count_params())
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def _train_split(count: int) -> int:
    return count - 2 * round(count * 0.05)


def _handwritten_image(size: dict, data: Path):
    import keras
    import keras_hub
    import numpy as np
    import tensorflow as tf

    arrays = np.load(data / "images.npz")
    keep = _train_split(len(arrays["y"]))
    images, labels = arrays["x"][:keep], np.eye(size["classes"], dtype="float32")[arrays["y"][:keep]]
    autotune = tf.data.AUTOTUNE
    train = (tf.data.Dataset.from_tensor_slices((images, labels))
             .map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, y), num_parallel_calls=autotune)
             .cache().shuffle(4096, seed=SEED).batch(size["batch_size"]).repeat().prefetch(autotune))
    inputs = keras.Input(images.shape[1:])
    features = keras_hub.models.ResNetBackbone(**size["resnet"], image_shape=images.shape[1:])(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    outputs = keras.layers.Dense(size["classes"], activation="softmax", dtype="float32")(pooled)
    return keras.Model(inputs, outputs), train


def _handwritten_text(size: dict, data: Path):
    import keras
    import keras_hub
    import numpy as np
    import pandas as pd
    import tensorflow as tf

    frame = pd.read_csv(data / "texts.csv")
    frame = frame[: _train_split(len(frame))]
    texts = frame["text"].astype(str).to_numpy()
    classes = sorted(frame["label"].unique())
    labels = np.eye(len(classes), dtype="float32")[frame["label"].map(classes.index).to_numpy()]
    vocabulary = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices(texts).batch(256), size["vocabulary_size"], lowercase=True)
    tokenizer = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=vocabulary, lowercase=True)
    packer = keras_hub.layers.StartEndPacker(size["sequence_length"], start_value=tokenizer.token_to_id("[CLS]"),
                                             end_value=tokenizer.token_to_id("[SEP]"),
                                             pad_value=tokenizer.token_to_id("[PAD]"))
    length = size["sequence_length"]

    def features(text, label):
        ids = packer(tokenizer(text))
        return {"token_ids": ids, "padding_mask": ids != tokenizer.token_to_id("[PAD]"),
                "segment_ids": tf.zeros_like(ids)}, label

    autotune = tf.data.AUTOTUNE
    train = (tf.data.Dataset.from_tensor_slices((texts, labels)).batch(size["batch_size"])
             .map(features, num_parallel_calls=autotune).cache().unbatch().shuffle(4096, seed=SEED)
             .batch(size["batch_size"]).repeat().prefetch(autotune))
    backbone = keras_hub.models.BertBackbone(vocabulary_size=tokenizer.vocabulary_size(),
                                             max_sequence_length=length, **size["bert"])
    first_token = backbone.output["sequence_output"][:, 0, :]
    outputs = keras.layers.Dense(len(classes), activation="softmax", dtype="float32")(first_token)
    return keras.Model(backbone.input, outputs), train


SCRIPTS = {"image": _handwritten_image, "text": _handwritten_text}
"""Each case's hand-written model and training dataset."""
