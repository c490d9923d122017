"""FID and KID in a given keras-hub backbone's features (`model.head.realism_features`)."""

import numpy as np
import pytest
from pydantic import ValidationError

from models.fidelity import RealismFeatures, backbone_features, frechet_distance
from models.tasks.gan.task import GanHead
from models.tasks.vae.task import VaeHead

TINY_RESNET = {"name": "ResNetBackbone", "config": {
    "input_conv_filters": [64], "input_conv_kernel_sizes": [3], "stackwise_num_filters": [64],
    "stackwise_num_blocks": [1], "stackwise_num_strides": [1], "block_type": "basic_block"}}


def test_the_heads_take_a_keras_hub_backbone_as_the_feature_space():
    head = GanHead(realism_features={"backbone": TINY_RESNET, "image_size": 32})
    assert head.realism_features.backbone.name == "ResNetBackbone" and head.realism_features.image_size == 32
    assert VaeHead().realism_features is None
    with pytest.raises(ValidationError, match="preset"):
        VaeHead(realism_features={"backbone": {"name": "ResNetBackbone"}})


def test_grey_images_are_measured_in_the_backbones_pooled_features():
    space = backbone_features(RealismFeatures(backbone=TINY_RESNET, image_size=32))
    rng = np.random.default_rng(0)
    dark, bright = rng.uniform(0, 0.3, (64, 8, 8, 1)), rng.uniform(0.7, 1.0, (64, 8, 8, 1))
    features = space.features(dark)
    assert features.shape == (64, 64) and np.isfinite(features).all()
    same = frechet_distance(features[:32], features[32:])
    assert frechet_distance(features, space.features(bright)) > 10 * same


def test_realism_measures_fid_in_the_given_space_and_keeps_its_classifier_for_accuracy(monkeypatch):
    from types import SimpleNamespace

    from models.tasks import realism

    rng = np.random.default_rng(1)
    images = rng.uniform(0, 1, (40, 8, 8, 1)).astype("float32")
    splits = [SimpleNamespace(labels=np.arange(40) % 2) for _ in range(3)]
    monkeypatch.setattr(realism, "model_inputs", lambda split, datasets: images)
    measured = realism.Realism(None, splits, image_shape=(8, 8, 1), num_classes=2, seed=0,
                               features=RealismFeatures(backbone=TINY_RESNET, image_size=32))
    in_backbone = measured.real_features(2)
    assert in_backbone.shape == (40, 64) and not np.allclose(in_backbone, measured.net.features(images))
    assert set(measured.scores(images, 2, "test_")) == {"test_fid", "test_kid"}
    assert 0.0 <= measured.accuracy(images, np.arange(40) % 2) <= 1.0
