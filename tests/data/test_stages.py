"""Stages: registered layers, where they run, and what the serving graph replays."""

import numpy as np
import pytest
import tensorflow as tf

from data.dataset import build_datasets
from data.examples import Examples
from data.split import split_examples
from pipelines import registry
from pipelines.spec import keyed
from pipelines.spec_loading import load_spec


def built_stages(tiny_spec, stages):
    tiny_spec["stages"] = stages
    spec = load_spec(tiny_spec)
    return [registry.stages.get(name).build(options, seed=i) for i, (name, options) in
            enumerate(keyed(item) for item in spec.stages)]


def toy_examples(count=40):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (count, 8, 8, 3)).astype("uint8")
    return Examples(images, np.arange(count) % 2, ["a", "b"])


def test_preprocessing_runs_everywhere_augmentation_only_in_training(tiny_spec):
    stages = built_stages(tiny_spec, [{"resize": {"height": 4, "width": 4}},
                                      {"augment": [{"random_flip": "horizontal_and_vertical"}, "mix_up"]},
                                      {"rescale": 0.5}])
    train, validation, test = split_examples(toy_examples(), 0.25, 0.25, seed=0)
    datasets = build_datasets(train, validation, test, stages, batch_size=8, seed=0)
    assert datasets.model_input_shape == (4, 4, 3)
    images, labels = next(iter(datasets.validation))
    expected = tf.image.resize(tf.cast(validation.inputs[:8], tf.float32), (4, 4)) * 0.5
    np.testing.assert_allclose(images.numpy(), expected.numpy(), rtol=1e-5)
    np.testing.assert_array_equal(labels.numpy().sum(axis=1), np.ones(8))
    _, mixed = next(iter(datasets.train))
    assert not np.all(np.isin(mixed.numpy(), [0.0, 1.0])), "mix_up mixes one-hot labels in training"
    np.testing.assert_allclose(datasets.preprocess(tf.zeros((1, 8, 8, 3))).shape, (1, 4, 4, 3))


def test_normalize_learns_from_the_training_split_only(tiny_spec):
    stages = built_stages(tiny_spec, ["normalize"])
    train = Examples(np.full((10, 2, 2, 1), 10, "uint8"), np.arange(10) % 2, ["a", "b"])
    other = Examples(np.full((4, 2, 2, 1), 200, "uint8"), np.arange(4) % 2, ["a", "b"])
    datasets = build_datasets(train, other, other, stages, batch_size=4, seed=0)
    np.testing.assert_allclose(stages[0].layer.mean.numpy().ravel(), [10.0])
    assert datasets.preprocessing_layers == [stages[0].layer]


@pytest.mark.parametrize("layer", ["random_flip", "random_rotation", "random_zoom", "random_translation",
                                   "random_contrast", "random_brightness", "rand_augment", "mix_up", "cut_mix"])
def test_every_augmentation_keeps_batch_shapes(tiny_spec, layer):
    (stage,) = built_stages(tiny_spec, [{"augment": [layer]}])
    batch = {"images": tf.random.uniform((4, 8, 8, 3), 0, 255), "labels": tf.one_hot([0, 1, 0, 1], 2)}
    out = stage.layer(batch)
    assert stage.training_only
    assert out["images"].shape == (4, 8, 8, 3) and out["labels"].shape == (4, 2)
