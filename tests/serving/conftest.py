"""A tiny image classifier exported once per session, bytes in, named outputs out."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from serving.publish import export_archive, publish_version  # noqa: E402
from serving.warmup import replay_warmup, write_warmup  # noqa: E402

CLASS_NAMES = ["zero", "one", "two"]
MODEL_NAME = "tiny"


def png_bytes(seed: int) -> bytes:
    """A 4x4 grayscale PNG with pixels drawn from `seed`."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=(4, 4, 1), dtype=np.uint8)
    return tf.io.encode_png(pixels).numpy()


@pytest.fixture(scope="session")
def make_png():
    """`make_png(seed) -> bytes`: a 4x4 grayscale PNG."""
    return png_bytes


@pytest.fixture(scope="session")
def tiny_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4, 4, 1))
    hidden = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Dense(len(CLASS_NAMES), activation="softmax")(hidden)
    return keras.Model(inputs, outputs)


def image_endpoint(model: keras.Model):
    """`(fn, input_signature)`: PNG bytes -> probabilities, class ids and names."""
    names = tf.constant(CLASS_NAMES)

    @tf.function
    def serve(image_bytes):
        images = tf.map_fn(
            lambda png: tf.io.decode_png(png, channels=1),
            image_bytes,
            fn_output_signature=tf.TensorSpec([4, 4, 1], tf.uint8),
        )
        probabilities = model(tf.cast(images, tf.float32) / 255.0, training=False)
        class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {
            "probabilities": probabilities,
            "class_ids": class_ids,
            "class_names": tf.gather(names, class_ids),
        }

    return serve, [tf.TensorSpec([None], tf.string, name="image_bytes")]


@pytest.fixture(scope="session")
def endpoint(tiny_model):
    return image_endpoint(tiny_model)


def warmup_requests() -> list[dict[str, np.ndarray]]:
    return [{"image_bytes": np.array([png_bytes(1), png_bytes(2)], dtype=object)}]


@pytest.fixture(scope="session")
def published(tiny_model, endpoint, tmp_path_factory) -> dict:
    """The tiny model published as `<base>/tiny/1` with warmup requests, verified by replay."""
    base = tmp_path_factory.mktemp("models")

    def write(directory):
        export_archive(directory, [tiny_model], {"classify": endpoint})
        write_warmup(directory, warmup_requests(), MODEL_NAME)

    version_dir = publish_version(base, MODEL_NAME, write, verify=replay_warmup)
    return {"base": base, "model_dir": base / MODEL_NAME, "version_dir": version_dir}
