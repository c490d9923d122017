"""End to end segmentation on generated shapes: it learns, and the export answers masks at each image's size."""

import numpy as np
import pytest
import tensorflow as tf
import yaml
from mlflow import MlflowClient

from data.synthetic.shapes import write_shapes
from pipelines.runner import run
from pipelines.tracking_uri import default_tracking_uri
from serving.loading import load_export
from tests.helpers import REPO

pytestmark = pytest.mark.slow

SPEC = REPO / "pipelines" / "specs" / "shapes_segmentation.yaml"


@pytest.fixture
def shapes_spec(in_tmp_dir):
    shapes = write_shapes(str(in_tmp_dir / "data" / "generated" / "shapes"), count=96, seed=3, formats=("masks",))
    spec = yaml.safe_load(SPEC.read_text())
    spec["training"].update(epochs=6, verbose=0)
    spec["export"].update(parity_samples=6, warmup_samples=2)
    return spec, shapes


def test_shipped_segmentation_spec_learns_and_reports_iou_with_a_predictions_png(shapes_spec):
    spec, _ = shapes_spec
    result = run(spec)
    client = MlflowClient(default_tracking_uri())
    record = client.get_run(result.run_id)
    assert record.data.metrics["test_mean_iou"] >= 0.6
    for name in ("circle", "rectangle", "triangle", "background"):
        assert 0 <= record.data.metrics[f"test_iou_{name}"] <= 1
    plots = {a.path for a in client.list_artifacts(result.run_id, "plots")}
    assert {"plots/predictions.png", "plots/iou_per_class.png", "plots/augmented_samples.png"} <= plots
    assert record.data.tags["kpipe.export_gate"] == "passed"


def test_export_answers_masks_at_each_input_images_own_size(shapes_spec):
    spec, shapes = shapes_spec
    spec["training"]["epochs"] = 1
    spec["export"]["gates"] = []
    spec["tracking"] = {"log_model": False}
    result = run(spec)
    wide = next(path for path, size in zip(shapes.images, shapes.sizes) if tuple(size) == (64, 80))
    square = next(path for path, size in zip(shapes.images, shapes.sizes) if tuple(size) == (64, 64))
    loaded = load_export(result.export_path)

    answer = loaded.signatures["serving_default"](image_bytes=tf.constant([open(wide, "rb").read()]))
    assert answer["mask"].shape == (1, 64, 80)
    assert (answer["image_height"].numpy(), answer["image_width"].numpy()) == ([64], [80])
    image = tf.cast(tf.io.decode_png(tf.io.read_file(wide), channels=3), tf.float32)
    probabilities = result.model(result.preprocess(image[None]), training=False)
    expected = tf.argmax(tf.image.resize(probabilities, (64, 80)), axis=-1).numpy()
    np.testing.assert_array_equal(answer["mask"].numpy(), expected)

    both = loaded.signatures["probabilities"](image_bytes=tf.constant([open(p, "rb").read() for p in (square, wide)]))
    assert both["mask"].shape == (2, 64, 80) and both["probabilities"].shape == (2, 64, 80, 4)
    assert (both["mask"].numpy()[0, :, 64:] == -1).all() and (both["mask"].numpy()[1] >= 0).all()
