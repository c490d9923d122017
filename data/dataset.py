"""Spec stages + split examples -> `tf.data` pipelines for training, validation and test.

Leading preprocessing stages run per example before the cache (paid once);
the stages after the first augmentation run per batch, augmentation on the
training split only. Deterministic stages are also collected as the
`preprocess` function that the serving graph replays.

Example:
    >>> datasets = build_datasets(train, validation, test, stages, batch_size=32, seed=1)  # doctest: +SKIP
    >>> images, labels = next(iter(datasets.train))                                       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from data.examples import Examples
from data.stage import Stage

AUTOTUNE = tf.data.AUTOTUNE


@dataclass
class Datasets:
    """Batched (inputs, targets[, sample weights]) datasets and the preprocessing that serving replays.

    `model_input_shape` is the shape of one preprocessed example, or a dict of
    shapes when the stages give several features (text: token ids and mask).
    `vocabulary_size` is the tokenizer's, when a stage tokenizes. `assets` maps
    a stage's name to the function that writes what it learned (a vocabulary)
    into a folder, for the run's artifacts and the export.
    """

    train: tf.data.Dataset
    validation: tf.data.Dataset | None
    test: tf.data.Dataset | None
    preprocess: Callable[[tf.Tensor], tf.Tensor]
    preprocessing_layers: list
    model_input_shape: Any
    steps_per_epoch: int
    vocabulary_size: int | None = None
    assets: dict[str, Callable] = field(default_factory=dict)


def model_inputs(examples: Examples, datasets: Datasets, batch_size: int = 256) -> np.ndarray:
    """The examples decoded and preprocessed as the model sees them (the deterministic stages, no augmentation),
    in order, as one array: what generators compare their samples with.

    Example:
        >>> images = model_inputs(test_examples, datasets)   # doctest: +SKIP
    """
    one = lambda x, y: datasets.preprocess(x[None])[0]  # noqa: E731  (per example: images of any size)
    batches = _decoded(examples).map(one, num_parallel_calls=AUTOTUNE).batch(batch_size)
    return np.concatenate(list(batches.as_numpy_iterator()))


def one_hot_targets(num_classes: int) -> Callable:
    """The default target encoding: one-hot class ids (so MixUp/CutMix can mix them).

    Example:
        >>> one_hot_targets(3)("x", tf.constant(1))[1].numpy().tolist()
        [0.0, 1.0, 0.0]
    """
    return lambda x, y: (x, tf.one_hot(y, num_classes))


def _label_tensor(examples: Examples):
    """Labels as a tensor: class ids, multi-hot rows, mask paths, per-token id arrays (ragged), boxes, or targets.

    Detection labels become Keras core box dicts of ragged tensors, one row per
    image: {"boxes": float32 [N, (k), 4], "labels": int32 [N, (k)]}. Raw table
    targets: float32 numbers, or strings.
    """
    labels = examples.labels
    if examples.kind == "columns":
        return labels.astype("float32") if labels.dtype.kind == "f" else labels
    if examples.decode_label is not None:
        return labels.astype(str)
    if examples.kind == "detection":
        lengths = [len(row["classes"]) for row in labels]
        boxes = np.concatenate([np.zeros((0, 4), "float32"), *(row["boxes"] for row in labels)])
        classes = np.concatenate([np.zeros(0, "int32"), *(row["classes"] for row in labels)]).astype("int32")
        return {"boxes": tf.RaggedTensor.from_row_lengths(boxes, lengths),
                "labels": tf.RaggedTensor.from_row_lengths(classes, lengths)}
    if labels.dtype == object:
        return tf.ragged.constant([np.asarray(row, "int64") for row in labels], dtype=tf.int64, ragged_rank=1)
    return labels


def _decoded(examples: Examples) -> tf.data.Dataset:
    """(input, label) pairs: images (and masks) decoded, images and numbers as float32, text left as strings.

    A table's input is a dict of its columns: float32 numbers (NaN: missing) and strings ("": missing);
    windows with a known future give {"history": [L, F], "future": [H, K]}.
    """
    if examples.kind == "columns":
        return tf.data.Dataset.from_tensor_slices((dict(examples.inputs), _label_tensor(examples)))
    if examples.future is not None:
        return tf.data.Dataset.from_tensor_slices(({"history": examples.inputs, "future": examples.future},
                                                   examples.labels))
    ds = tf.data.Dataset.from_tensor_slices((examples.inputs, _label_tensor(examples)))
    if examples.decode_label is not None:
        ds = ds.map(lambda x, y: (x, examples.decode_label(y)), num_parallel_calls=AUTOTUNE)
    if examples.decode is not None:
        return ds.map(lambda x, y: (tf.cast(examples.decode(x), tf.float32), y), num_parallel_calls=AUTOTUNE)
    if examples.inputs.dtype == object:
        return ds
    return ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=AUTOTUNE)


def _apply(layers: list, x: tf.Tensor) -> tf.Tensor:
    for layer in layers:
        x = layer(x)
    return x


def _adapt(stages: list[Stage], train: Examples, batch_size: int) -> None:
    """Learn the state of adaptable stages from the training split, each after those before it."""
    if not any(s.adapt for s in stages):
        return
    ds = _decoded(train).map(lambda x, y: x).batch(batch_size)
    for stage in stages:
        if stage.training_only:
            continue
        if stage.adapt:
            stage.layer.adapt(ds)
        ds = ds.map(stage.layer, num_parallel_calls=AUTOTUNE)


def _run_stage(stage: Stage, x, y, target_key: str | None):
    """One stage on an example or batch; geometric stages move a spatial target (mask) with the pixels."""
    if stage.training_only or (stage.moves_pixels and target_key):
        key = target_key or "labels"
        out = stage.layer({"images": x, key: y})
        return out["images"], out[key]
    return stage.layer(x), y


def _run_leading(stages: list[Stage], target_key: str | None) -> Callable:
    def apply(x, y):
        for stage in stages:
            x, y = _run_stage(stage, x, y, target_key)
        return x, y

    return apply


def _post_batch(stages: list[Stage], training: bool, target_key: str | None) -> Callable:
    def apply(x, y, *sample_weight):
        for stage in stages:
            if training or not stage.training_only:
                x, y = _run_stage(stage, x, y, target_key)
        return (x, y, *sample_weight)

    return apply


def build_datasets(
    train: Examples,
    validation: Examples,
    test: Examples,
    stages: list[Stage],
    *,
    batch_size: int,
    seed: int,
    cache: bool = True,
    shuffle_buffer: int = 2048,
    targets: Callable | None = None,
    target_key: str | None = None,
    batcher: Callable[[tf.data.Dataset, int], tf.data.Dataset] | None = None,
) -> Datasets:
    """tf.data pipelines for the three splits, and the serving preprocessing.

    `targets(features, labels)` turns one preprocessed example into what
    `fit` takes, `(x, y)` or `(x, y, sample_weight)`; default one-hot labels.
    Augmentation gets the batch as `{"images": x, "labels": y}`. A spatial
    target names its key (`target_key="segmentation_masks"`): augmentation and
    geometric stages (`Stage.moves_pixels`) then get `{"images": x, target_key: y}`
    and move it with the pixels. `batcher(ds, batch_size)` batches (default
    `ds.batch`; detection pads its variable number of boxes).
    """
    targets = targets or one_hot_targets(train.num_classes)
    _adapt(stages, train, batch_size)
    first_random = next((i for i, s in enumerate(stages) if s.training_only), len(stages))
    leading = _run_leading(stages[:first_random], target_key)
    trailing = stages[first_random:]
    deterministic = [s.layer for s in stages if not s.training_only]

    def pipeline(examples: Examples, training: bool) -> tf.data.Dataset | None:
        if len(examples.labels) == 0:
            return None
        ds = _decoded(examples).map(lambda x, y: targets(*leading(x, y)), num_parallel_calls=AUTOTUNE)
        if cache:
            ds = ds.cache()
        if training:
            ds = ds.shuffle(min(shuffle_buffer, len(examples.labels)), seed=seed, reshuffle_each_iteration=True)
        ds = batcher(ds, batch_size) if batcher else ds.batch(batch_size)
        if trailing:
            ds = ds.map(_post_batch(trailing, training, target_key), num_parallel_calls=AUTOTUNE)
        return ds.prefetch(AUTOTUNE)

    probe = _apply(deterministic, next(iter(_decoded(train).map(lambda x, y: x).batch(1))))
    return Datasets(
        train=pipeline(train, True),
        validation=pipeline(validation, False),
        test=pipeline(test, False),
        preprocess=lambda images: _apply(deterministic, images),
        preprocessing_layers=deterministic,
        model_input_shape=tf.nest.map_structure(lambda t: tuple(t.shape[1:]), probe),
        steps_per_epoch=int(np.ceil(len(train.labels) / batch_size)),
        vocabulary_size=next((s.layer.vocabulary_size for s in stages if hasattr(s.layer, "vocabulary_size")), None),
        assets={s.name: s.save_assets for s in stages if s.save_assets is not None},
    )
