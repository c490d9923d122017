"""keras-hub DeepLabV3 as a segmentation backbone, its ResNet image encoder given as a nested config."""

from types import SimpleNamespace

import numpy as np
import yaml

from models.backbones import build_backbone
from pipelines import registry
from pipelines.spec_loading import load_spec
from tests.helpers import REPO

RESNET = {"input_conv_filters": [64], "input_conv_kernel_sizes": [7], "stackwise_num_filters": [64, 64],
          "stackwise_num_blocks": [1, 1], "stackwise_num_strides": [1, 2], "block_type": "basic_block"}


def test_deeplab_v3_backbone_from_nested_config_segments_at_the_input_size():
    spec = yaml.safe_load((REPO / "pipelines" / "specs" / "shapes_segmentation.yaml").read_text())
    spec["model"]["backbone"] = {"source": "keras_hub", "name": "DeepLabV3Backbone", "config": {
        "image_encoder": {"name": "ResNetBackbone", "config": RESNET},
        "spatial_pyramid_pooling_key": "P3", "upsampling_size": 4, "dilation_rates": [1, 2]}}
    spec = load_spec(spec)
    backbone = build_backbone(spec.model.backbone, (64, 64, 3))
    assert type(backbone).__name__ == "DeepLabV3Backbone"
    assert type(backbone.image_encoder).__name__ == "ResNetBackbone"
    task = registry.tasks.get("semantic_segmentation").build(spec)
    task.prepare(SimpleNamespace(class_names=["background", "circle", "rectangle", "triangle"],
                                 input_shape=(64, 64, 3)), None)
    model = task.build_model(backbone, (64, 64, 3))
    probabilities = np.asarray(model(np.zeros((2, 64, 64, 3), "float32")))
    assert probabilities.shape == (2, 64, 64, 4)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)
