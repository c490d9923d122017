"""End to end detection on generated shapes: it learns (mAP), and the export answers boxes in each image's pixels."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf
import yaml
from mlflow import MlflowClient

from data.synthetic.shapes import write_shapes
from models.tasks.detection_model import detect
from pipelines.runner import run
from pipelines.tracking_uri import default_tracking_uri
from serving.loading import load_export
from serving.warmup import replay_warmup
from tests.helpers import REPO

pytestmark = pytest.mark.slow

SPEC = REPO / "pipelines" / "specs" / "shapes_detection.yaml"


@pytest.fixture(scope="module")
def shipped_run(tmp_path_factory):
    """The shipped spec run once, as shipped, on the generated data it names (in its own folder)."""
    root = tmp_path_factory.mktemp("detection")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        shapes = write_shapes(str(root / "data" / "generated" / "shapes"), count=160, formats=("coco",))
        spec = yaml.safe_load(SPEC.read_text())
        spec["training"]["verbose"] = 0
        spec["export"].update(parity_samples=8, warmup_samples=2)
        spec["tracking"]["log_model"] = False
        result = run(spec)
        uri = default_tracking_uri()
    return SimpleNamespace(result=result, shapes=shapes, uri=uri, export=root / result.export_path)


def test_shipped_detection_spec_reaches_map_50_of_half_with_a_predictions_png(shipped_run):
    client = MlflowClient(shipped_run.uri)
    record = client.get_run(shipped_run.result.run_id)
    metrics = record.data.metrics
    assert metrics["test_map_50"] >= 0.5, metrics
    assert 0 < metrics["test_map"] <= metrics["test_map_50"]
    # resize: auto and epochs: auto were chosen from the training split, logged, and early stopping ended it.
    chosen = int(record.data.params["training.epochs"])
    assert 30 <= chosen <= 100
    assert 0 < len(client.get_metric_history(record.info.run_id, "val_map_50")) <= chosen
    assert record.data.params["stages.0.resize.height"] != "auto"
    choices = {a.path for a in client.list_artifacts(record.info.run_id)}
    assert "choices.txt" in choices
    plots = {a.path for a in client.list_artifacts(record.info.run_id, "plots")}
    assert {"plots/predictions.png", "plots/augmented_samples.png", "plots/training_curves.png"} <= plots
    assert record.data.tags["kpipe.export_gate"] == "passed"
    assert metrics["export_parity_max_rel_diff"] <= 1e-4  # outputs before suppression, relative to their scale


def test_export_answers_boxes_in_the_pixels_of_an_image_of_another_size(shipped_run):
    result, shapes = shipped_run.result, shipped_run.shapes
    loaded = load_export(shipped_run.export)
    assert len(replay_warmup(shipped_run.export)) == 2
    wide = [i for i, size in enumerate(shapes.sizes) if tuple(size) == (64, 80)][:4]
    encoded = [Path(shapes.images[i]).read_bytes() for i in wide]
    served = loaded.signatures["serving_default"](image_bytes=tf.constant(encoded))

    images = tf.cast(tf.stack([tf.io.decode_png(e, channels=3) for e in encoded]), tf.float32)
    prepared = result.preprocess(images)
    found = detect(result.model, prepared)
    height, width = prepared.shape[1:3]  # the input size resize: auto chose
    scale = np.array([80 / width, 64 / height, 80 / width, 64 / height], "float32")
    np.testing.assert_array_equal(served["num_detections"].numpy(), found["num_detections"].numpy())
    np.testing.assert_array_equal(served["classes"].numpy(), found["classes"].numpy())
    hits = 0
    for row, index in enumerate(wide):
        count = int(found["num_detections"][row])
        expected = np.clip(found["boxes"][row, :count].numpy() * scale, 0, [80, 64, 80, 64])
        np.testing.assert_allclose(served["boxes"][row, :count].numpy(), expected, atol=1e-3)
        np.testing.assert_array_equal(served["boxes"][row, count:].numpy(), -1)
        names = [n.decode() for n in served["class_names"][row, :count].numpy()]
        assert names == [shapes.class_names[c] for c in found["classes"][row, :count].numpy()]
        hits += any(_iou(served["boxes"][row, 0].numpy(), truth) >= 0.5 for truth in shapes.boxes[index])
    assert hits >= 3, "the best box of most wide images should sit on a true object in the image's own pixels"


def _iou(a, b) -> float:
    overlap = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None).prod()
    return float(overlap / ((a[2:] - a[:2]).prod() + (b[2:] - b[:2]).prod() - overlap))


def test_retinanet_on_a_keras_hub_backbone_trains_and_exports(in_tmp_dir):
    write_shapes(str(in_tmp_dir / "data" / "generated" / "shapes"), count=24, formats=("coco",))
    spec = yaml.safe_load(SPEC.read_text())
    spec["model"] = {
        "backbone": {"source": "keras_hub", "name": "RetinaNetBackbone", "config": {
            "image_encoder": {"name": "ResNetBackbone", "config": {
                "input_conv_filters": [64], "input_conv_kernel_sizes": [3], "stackwise_num_filters": [64, 64, 64],
                "stackwise_num_blocks": [1, 1, 1], "stackwise_num_strides": [1, 2, 2], "block_type": "basic_block"}},
            "min_level": 3, "max_level": 4, "use_p5": False}},
        "head": {"detection": {"max_detections": 10}},
    }
    spec["training"].update(epochs=1, verbose=0)
    spec["export"].update(gates=[], parity_samples=4, warmup_samples=1)
    spec["tracking"]["log_model"] = False
    result = run(spec)
    assert type(result.model).__name__ == "RetinaNet"
    assert 0 <= result.metrics["test_map_50"] <= 1
    served = load_export(result.export_path).signatures["serving_default"](
        image_bytes=tf.constant([p.read_bytes() for p in sorted((in_tmp_dir / "data").rglob("*.png"))[:2]]))
    assert served["boxes"].shape == (2, 10, 4) and served["num_detections"].shape == (2,)
