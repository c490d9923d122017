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

from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf

from data.examples import Examples
from data.stage import Stage

AUTOTUNE = tf.data.AUTOTUNE


@dataclass
class Datasets:
    """Batched (inputs, one-hot labels) datasets and the preprocessing that serving replays."""

    train: tf.data.Dataset
    validation: tf.data.Dataset | None
    test: tf.data.Dataset | None
    preprocess: Callable[[tf.Tensor], tf.Tensor]
    preprocessing_layers: list
    model_input_shape: tuple[int, ...]
    steps_per_epoch: int


def _decoded(examples: Examples, num_classes: int) -> tf.data.Dataset:
    ds = tf.data.Dataset.from_tensor_slices((examples.inputs, examples.labels))
    decode = examples.decode or (lambda x: tf.cast(x, tf.float32))
    return ds.map(lambda x, y: (decode(x), tf.one_hot(y, num_classes)), num_parallel_calls=AUTOTUNE)


def _apply(layers: list, x: tf.Tensor) -> tf.Tensor:
    for layer in layers:
        x = layer(x)
    return x


def _adapt(stages: list[Stage], train: Examples, num_classes: int, batch_size: int) -> None:
    """Learn the state of adaptable stages from the training split, each after those before it."""
    if not any(s.adapt for s in stages):
        return
    ds = _decoded(train, num_classes).map(lambda x, y: x).batch(batch_size)
    for stage in stages:
        if stage.training_only:
            continue
        if stage.adapt:
            stage.layer.adapt(ds)
        ds = ds.map(stage.layer, num_parallel_calls=AUTOTUNE)


def _post_batch(stages: list[Stage], training: bool) -> Callable:
    def apply(x, y):
        for stage in stages:
            if stage.training_only:
                if training:
                    batch = stage.layer({"images": x, "labels": y})
                    x, y = batch["images"], batch["labels"]
            else:
                x = stage.layer(x)
        return x, y

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
) -> Datasets:
    """tf.data pipelines for the three splits, and the serving preprocessing."""
    num_classes = train.num_classes
    _adapt(stages, train, num_classes, batch_size)
    first_random = next((i for i, s in enumerate(stages) if s.training_only), len(stages))
    leading = [s.layer for s in stages[:first_random]]
    trailing = stages[first_random:]
    deterministic = [s.layer for s in stages if not s.training_only]

    def pipeline(examples: Examples, training: bool) -> tf.data.Dataset | None:
        if len(examples.labels) == 0:
            return None
        ds = _decoded(examples, num_classes)
        if leading:
            ds = ds.map(lambda x, y: (_apply(leading, x), y), num_parallel_calls=AUTOTUNE)
        if cache:
            ds = ds.cache()
        if training:
            ds = ds.shuffle(min(shuffle_buffer, len(examples.labels)), seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size)
        if trailing:
            ds = ds.map(_post_batch(trailing, training), num_parallel_calls=AUTOTUNE)
        return ds.prefetch(AUTOTUNE)

    probe = _apply(deterministic, tf.zeros((1, *train.input_shape), tf.float32))
    return Datasets(
        train=pipeline(train, True),
        validation=pipeline(validation, False),
        test=pipeline(test, False),
        preprocess=lambda images: _apply(deterministic, images),
        preprocessing_layers=deterministic,
        model_input_shape=tuple(probe.shape[1:]),
        steps_per_epoch=int(np.ceil(len(train.labels) / batch_size)),
    )
