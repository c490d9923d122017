"""Backbones from config (keras-hub and built-in), presets that cannot be found, frozen-then-unfrozen training."""

import numpy as np
import pytest
from mlflow import MlflowClient

from models.backbones import build_backbone
from pipelines.spec_loading import load_spec
from pipelines.tracking_uri import default_tracking_uri

TINY_RESNET = {
    "source": "keras_hub", "name": "ResNetBackbone",
    "config": {"input_conv_filters": [64], "input_conv_kernel_sizes": [3], "stackwise_num_filters": [64],
               "stackwise_num_blocks": [1], "stackwise_num_strides": [1], "block_type": "basic_block"},
}


def backbone_spec(tiny_spec, backbone):
    tiny_spec["model"]["backbone"] = backbone
    return load_spec(tiny_spec).model.backbone


def test_keras_hub_backbone_from_config_gets_the_input_shape(tiny_spec):
    backbone = build_backbone(backbone_spec(tiny_spec, TINY_RESNET), (16, 16, 1))
    assert backbone.output.shape == (None, 4, 4, 64)


def test_builtin_backbones_build_from_their_config(tiny_spec):
    cnn = build_backbone(backbone_spec(tiny_spec, {"source": "builtin", "name": "cnn",
                                                   "config": {"filters": [4, 8]}}), (8, 8, 1))
    assert cnn.output.shape == (None, 2, 2, 8)
    mlp = build_backbone(backbone_spec(tiny_spec, {"source": "builtin", "name": "mlp",
                                                   "config": {"units": [5]}}), (4,))
    assert mlp(np.zeros((2, 4), "float32")).shape == (2, 5)


@pytest.mark.parametrize("preset, message", [
    ("./no/such/preset", "neither a local folder nor a preset"),
    ("resnet_50_imagenett", "did you mean 'resnet_50_imagenet'"),
])
def test_a_missing_preset_is_a_clear_error_not_a_download(tiny_spec, preset, message):
    spec = backbone_spec(tiny_spec, {"source": "keras_hub", "name": "ResNetBackbone", "preset": preset})
    with pytest.raises(ValueError, match=message):
        build_backbone(spec, (16, 16, 3))


def test_a_local_folder_without_config_is_not_a_preset(tiny_spec, tmp_path):
    spec = backbone_spec(tiny_spec, {"source": "keras_hub", "name": "ResNetBackbone", "preset": str(tmp_path)})
    with pytest.raises(ValueError, match="no config.json"):
        build_backbone(spec, (16, 16, 3))


def test_unknown_keras_hub_class_suggests_a_name(tiny_spec):
    spec = backbone_spec(tiny_spec, {**TINY_RESNET, "name": "ResnetBackbone"})
    with pytest.raises(ValueError, match="did you mean 'ResNetBackbone'"):
        build_backbone(spec, (16, 16, 1))


@pytest.mark.slow
def test_frozen_backbone_trains_its_head_then_fine_tunes(tiny_spec, in_tmp_dir):
    from pipelines.runner import run

    tiny_spec["model"]["backbone"] = TINY_RESNET
    tiny_spec["model"]["trainable"] = {"backbone": False, "unfreeze_after_epoch": 1,
                                       "fine_tune_learning_rate_factor": 0.1}
    tiny_spec["stages"] = [{"resize": {"height": 16, "width": 16}}, {"rescale": 0.00392156862745098}]
    tiny_spec["training"]["steps_per_epoch"] = 3
    tiny_spec["tracking"] = {"log_model": False}
    tiny_spec["export"] = {"enabled": False}
    result = run(tiny_spec)
    client = MlflowClient(default_tracking_uri())
    assert [m.step for m in client.get_metric_history(result.run_id, "loss")] == [0, 1]
    assert client.get_run(result.run_id).info.status == "FINISHED"
    assert (in_tmp_dir / ".kpipe" / "tiny" / "phase0.weights.h5").exists()
