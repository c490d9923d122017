"""Detection parts: box mapping, -1 padding through batching and flips, COCO mAP, detectors, backbones, checks."""

import numpy as np
import pytest
import tensorflow as tf

from data.dataset import build_datasets
from data.sources.coco import CocoOptions, load_coco
from data.synthetic.shapes import write_shapes
from models.backbones import build_backbone
from models.tasks.detection_model import (
    BoxScores,
    build_detector,
    coco_map,
    detect,
    detector_kind,
    padded_targets,
    to_image_pixels,
)
from pipelines import registry
from models.tasks.object_detection import DetectionSpec
from pipelines.spec import keyed
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import REPO

SPEC = REPO / "pipelines" / "specs" / "shapes_detection.yaml"
TINY_YOLO = {"source": "keras_cv", "name": "YOLOV8Backbone",
             "config": {"stackwise_channels": [8, 16, 16, 16], "stackwise_depth": [1, 1, 1, 1],
                        "include_rescaling": False}}


def shapes_spec(**changes):
    """The shipped detection spec, validated, with top-level sections replaced."""
    import yaml

    return load_spec({**yaml.safe_load(SPEC.read_text()), **changes})


def test_boxes_map_from_model_pixels_to_each_images_own_pixels_and_back():
    boxes = tf.constant([[[8.0, 16.0, 32.0, 64.0]], [[0.0, 0.0, 64.0, 32.0]]])
    heights, widths = tf.constant([64.0, 128.0])[:, None, None], tf.constant([80.0, 48.0])[:, None, None]
    original = to_image_pixels(boxes, (64, 64), (heights, widths))
    np.testing.assert_allclose(original.numpy(), [[[10.0, 16.0, 40.0, 64.0]], [[0.0, 0.0, 48.0, 64.0]]])
    np.testing.assert_allclose(to_image_pixels(original, (heights, widths), (64, 64)).numpy(), boxes.numpy())


def test_padding_and_boxes_pushed_out_become_minus_one_rows():
    out = padded_targets({"boxes": tf.constant([[[1.0, 2, 5, 6], [0, 0, 0, 0], [20, 0, 20, 0]]]),
                          "labels": tf.constant([[2.0, -1.0, -1.0]])})
    assert out["labels"].dtype == tf.int32 and out["labels"].numpy().tolist() == [[2, -1, -1]]
    np.testing.assert_array_equal(out["boxes"].numpy(), [[[1, 2, 5, 6], [-1, -1, -1, -1], [-1, -1, -1, -1]]])


def test_boxes_are_padded_per_batch_and_move_exactly_with_resize_and_flip(tmp_path):
    shapes = write_shapes(str(tmp_path), count=6, seed=5, formats=["coco"])
    examples = load_coco(CocoOptions(path=shapes.sources["coco"]["path"]), on_bad_record="error")
    spec = shapes_spec(stages=[{"resize": {"height": 32, "width": 40}}, {"augment": [{"random_flip": "horizontal"}]}])
    task = registry.tasks.get("object_detection").build(spec)
    task.check(examples)
    task.prepare(examples, examples)
    stages = [registry.stages.get(name).build(options, seed=index) for index, (name, options)
              in enumerate(map(keyed, spec.stages))]
    datasets = build_datasets(examples, examples.subset([0, 1, 2, 3, 4, 5]), examples.subset([]), stages,
                              batch_size=6, seed=0, targets=task.targets(), target_key=task.target_key,
                              batcher=task.batcher)
    images, boxes = next(iter(datasets.validation))
    images = images.numpy()
    most = max(len(b) for b in shapes.boxes)
    assert boxes["boxes"].shape == (6, most, 4) and boxes["labels"].shape == (6, most)
    for index, (height, width) in enumerate(shapes.sizes):
        expected = shapes.boxes[index] * np.array([40 / width, 32 / height] * 2, "float32")
        k = len(expected)
        np.testing.assert_allclose(boxes["boxes"][index, :k].numpy(), expected, atol=1e-4)
        np.testing.assert_array_equal(boxes["labels"][index].numpy(), [*shapes.classes[index], *[-1] * (most - k)])
        np.testing.assert_array_equal(boxes["boxes"][index, k:].numpy(), -1)

    flipped_count = 0
    for _ in range(3):
        train_images, train_boxes = next(iter(datasets.train))
        train_boxes = padded_targets(train_boxes)
        for image, found, labels in zip(train_images.numpy(), train_boxes["boxes"].numpy(),
                                        train_boxes["labels"].numpy()):
            match = next(i for i in range(6) if np.allclose(image, images[i]) or np.allclose(image, images[i][:, ::-1]))
            k = int((labels >= 0).sum())
            expected = boxes["boxes"][match, :k].numpy()
            if not np.allclose(image, images[match]):
                flipped_count += 1
                expected = np.stack([40 - expected[:, 2], expected[:, 1], 40 - expected[:, 0], expected[:, 3]], -1)
            np.testing.assert_allclose(found[:k], expected, atol=1e-4)
            np.testing.assert_array_equal(labels, boxes["labels"][match].numpy())
            np.testing.assert_array_equal(found[k:], -1)
    assert flipped_count > 0


def test_coco_map_counts_images_without_detections_and_scores_localization():
    box = np.array([[0.0, 0, 10, 10]])
    shifted = np.array([[0.0, 0, 10, 12]])  # IoU 10/12: a hit at .5 and .75, a miss from .85 on
    truth = [{"boxes": box, "labels": [1]}, {"boxes": box, "labels": [0]}]
    found = [{"boxes": shifted, "scores": [0.9], "classes": [1]}, {"boxes": box[:0], "scores": [], "classes": []}]
    scores = coco_map(truth, found, num_classes=2)
    assert scores["map_50"] == scores["map_75"] == pytest.approx(0.5)
    assert 0.2 < scores["map"] < 0.5
    assert coco_map(truth, [{"boxes": box[:0], "scores": [], "classes": []}] * 2, 2) == {
        "map": 0.0, "map_50": 0.0, "map_75": 0.0}


def test_box_scores_gather_batches_and_leave_padding_out():
    scores = BoxScores(num_classes=2)
    padded = np.array([[[0.0, 0, 10, 10], [-1, -1, -1, -1]]])
    scores.update(padded, np.array([[1, -1]]), padded, np.array([[0.8, 0.0]]), np.array([[1, -1]]))
    scores.update(padded[:, :1], np.array([[0]]), padded, np.array([[0.7, 0.0]]), np.array([[1, -1]]))
    assert [len(t["labels"]) for t in scores.truth] == [1, 1] and [len(f["scores"]) for f in scores.found] == [1, 1]
    assert scores.result()["map_50"] == pytest.approx(0.5)
    scores.reset()
    assert scores.truth == scores.found == []


@pytest.mark.parametrize("backbone", [
    TINY_YOLO,
    {"source": "keras_cv", "name": "CSPDarkNetBackbone",
     "config": {"stackwise_channels": [8, 16, 16, 16], "stackwise_depth": [1, 1, 1, 1], "include_rescaling": False}},
])
def test_keras_cv_backbones_give_a_yolov8_detector_with_the_specs_suppression(backbone):
    spec = shapes_spec(model={"backbone": backbone, "head": {"detection": {"max_detections": 7}}})
    built = build_backbone(spec.model.backbone, (32, 32, 3))
    assert detector_kind("auto", built) == "yolov8"
    detector = build_detector("yolov8", built, 3, spec.model.head.detection)
    found = detect(detector, tf.random.uniform((2, 32, 32, 3)))
    assert found["boxes"].shape == (2, 7, 4) and found["classes"].dtype == tf.int32
    assert detector.prediction_decoder.max_detections == 7 and not detector.prediction_decoder.from_logits


def test_a_backbone_that_cannot_detect_is_a_clear_error():
    spec = shapes_spec(model={"backbone": {"source": "builtin", "name": "cnn", "config": {"filters": [4]}}})
    built = build_backbone(spec.model.backbone, (16, 16, 3))
    with pytest.raises(ValueError, match="cannot detect"):
        detector_kind("auto", built)
    with pytest.raises(ValueError, match="retinanet needs a keras_hub RetinaNetBackbone"):
        detector_kind("retinanet", built)


@pytest.mark.parametrize("backbone, message", [
    ({**TINY_YOLO, "name": "YoloV8Backbone"}, "did you mean 'YOLOV8Backbone'"),
    ({"source": "keras_cv", "name": "YOLOV8Backbone", "preset": "yolo_v8_xs_backbon"},
     "did you mean 'yolo_v8_xs_backbone'"),
])
def test_keras_cv_names_and_presets_that_do_not_exist_are_clear_errors(backbone, message):
    spec = shapes_spec(model={"backbone": backbone})
    with pytest.raises(ValueError, match=message):
        build_backbone(spec.model.backbone, (32, 32, 3))


@pytest.mark.parametrize("changes, message", [
    ({"stages": [{"rescale": {"scale": 0.5}}]}, "needs a resize stage"),
    ({"stages": [{"resize": {"height": 8, "width": 8, "crop_to_aspect_ratio": True}}]}, "crop_to_aspect_ratio"),
    ({"training": {"loss": "mse"}}, "use auto"),
])
def test_the_task_refuses_specs_it_cannot_train(changes, message, tmp_path):
    shapes = write_shapes(str(tmp_path), count=2, formats=["coco"])
    examples = load_coco(CocoOptions(path=shapes.sources["coco"]["path"]), on_bad_record="error")
    with pytest.raises((ValueError, SpecError), match=message):  # at validation, or when it sees the data
        registry.tasks.get("object_detection").build(shapes_spec(**changes)).check(examples)


def test_detection_settings_are_typed_and_bounded():
    assert DetectionSpec().detector == "auto"
    for bad in ({"nms_iou_threshold": 0}, {"confidence_threshold": 1.5}, {"max_detections": 0},
                {"fpn_depth": 4}, {"max_detections": 1001}, {"detector": "ssd"}):
        with pytest.raises(ValueError):
            DetectionSpec(**bad)


def test_a_saved_detector_loads_back_and_detects_the_same(tmp_path):
    import keras

    spec = shapes_spec(model={"backbone": TINY_YOLO, "head": {"detection": {"max_detections": 5}}})
    detector = build_detector("yolov8", build_backbone(spec.model.backbone, (32, 32, 3)), 3,
                              spec.model.head.detection)
    detector.save(tmp_path / "detector.keras")
    loaded = keras.saving.load_model(tmp_path / "detector.keras")
    images = tf.random.uniform((2, 32, 32, 3))
    assert type(loaded).__name__ == "YOLOV8" and loaded.prediction_decoder.max_detections == 5
    np.testing.assert_allclose(detect(loaded, images)["scores"], detect(detector, images)["scores"], atol=1e-6)
