"""End to end: a tiny digits run is tracked in MLflow and exported for TF Serving."""

import numpy as np
import pytest
from mlflow import MlflowClient

from pipelines.runner import run
from pipelines.tracking_uri import default_tracking_uri

pytestmark = pytest.mark.slow


def artifact_paths(client, run_id, path=""):
    found = []
    for item in client.list_artifacts(run_id, path):
        found.extend(artifact_paths(client, run_id, item.path) if item.is_dir else [item.path])
    return found


def test_run_is_tracked_evaluated_and_exported(tiny_spec, in_tmp_dir):
    import tensorflow as tf

    from data.images import encoded_examples
    from data.sources.sklearn import SklearnOptions, load_sklearn
    from serving.warmup import read_warmup, replay_warmup

    result = run(tiny_spec)

    client = MlflowClient(default_tracking_uri())
    record = client.get_run(result.run_id)
    assert record.info.status == "FINISHED"
    assert record.data.params["training.epochs"] == "2"
    assert record.data.params["model.backbone.config.filters"] == "[8]"
    assert record.data.tags["data.fingerprint"]
    assert record.data.tags["version.tensorflow"] == tf.__version__
    assert record.data.tags["kpipe.export_gate"] == "passed"
    assert [m.step for m in client.get_metric_history(result.run_id, "val_loss")] == [0, 1]
    assert record.data.metrics["test_accuracy"] == pytest.approx(result.metrics["test_accuracy"])
    assert record.data.metrics["export_parity_class_agreement"] == 1.0
    assert record.data.metrics["export_parity_max_abs_diff"] < 1e-4
    artifacts = artifact_paths(client, result.run_id)
    for name in ("spec.yaml", "plots/training_curves.png", "plots/confusion_matrix.png",
                 "plots/augmented_samples.png"):
        assert name in artifacts
    assert client.search_logged_models([record.info.experiment_id])

    assert result.export_path.resolve() == in_tmp_dir / "serving" / "models" / "tiny" / "1"
    assert (in_tmp_dir / "serving" / "models" / "models.config").read_text().count("tiny") == 2
    logs = read_warmup(result.export_path)
    assert len(logs) == 2 and logs[0].predict_log.request.model_spec.name == "tiny"
    assert len(replay_warmup(result.export_path)) == 2

    digits = load_sklearn(SklearnOptions(name="digits"))
    served = tf.saved_model.load(str(result.export_path)).signatures["serving_default"]
    pngs = encoded_examples(digits, range(20))
    answer = served(image_bytes=tf.constant(pngs))
    keras_model = tf.saved_model.load(str(result.export_path)).signatures["predict_tensor"]
    images = tf.image.resize(tf.cast(digits.inputs[:20], tf.float32), (8, 8)) / 255.0
    expected = keras_model(images=images)["class_ids"].numpy()
    np.testing.assert_array_equal(answer["class_ids"].numpy(), expected)
    assert answer["class_names"].numpy()[0].decode() in digits.class_names


def test_failed_export_gate_writes_no_version(tiny_spec, in_tmp_dir):
    tiny_spec["export"]["gates"] = ["test_accuracy >= 1.01"]
    tiny_spec["tracking"] = {"log_model": False}
    result = run(tiny_spec)
    assert result.export_path is None
    assert "test_accuracy >= 1.01" in result.failed_gates[0]
    assert not (in_tmp_dir / "serving" / "models" / "tiny").exists()
    tags = MlflowClient(default_tracking_uri()).get_run(result.run_id).data.tags
    assert tags["kpipe.export_gate"] == "failed"


def test_a_failing_run_ends_failed_with_the_error(tiny_spec, in_tmp_dir):
    tiny_spec["data"]["source"] = {"type": "image_folder", "path": str(in_tmp_dir / "missing")}
    with pytest.raises(Exception):
        run(tiny_spec)
    client = MlflowClient(default_tracking_uri())
    (record,) = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert record.info.status == "FAILED"
    assert "missing" in record.data.tags["error"]
    assert not (in_tmp_dir / "serving").exists()
    assert {"time_startup_s", "time_data_s", "time_total_s"} <= set(record.data.metrics)  # the phases it got through
    assert "time_training_s" not in record.data.metrics
