from __future__ import annotations

import shutil

import numpy as np
import pytest
import tensorflow as tf

from serving.loading import load_export
from serving.parity import serve
from serving.warmup import read_warmup, replay_warmup, write_warmup


def test_warmup_records_are_prediction_logs(published, make_png):
    logs = read_warmup(published["version_dir"])
    assert len(logs) == 1
    request = logs[0].predict_log.request
    assert request.model_spec.name == "tiny"
    assert request.model_spec.signature_name == "serving_default"
    images = tf.make_ndarray(request.inputs["image_bytes"])
    assert images.shape == (2,)
    assert list(images) == [make_png(1), make_png(2)]


def test_replay_runs_the_logged_requests_against_the_export(published, make_png):
    (outputs,) = replay_warmup(published["version_dir"])
    signature = tf.saved_model.load(str(published["version_dir"])).signatures["serving_default"]
    direct = signature(image_bytes=tf.constant([make_png(1), make_png(2)]))
    np.testing.assert_allclose(outputs["probabilities"], direct["probabilities"].numpy())
    assert outputs["class_names"].dtype == object


def test_one_load_serves_the_warmup_replay_and_the_parity_batch(published, make_png, monkeypatch):
    import serving.warmup

    loaded = load_export(published["version_dir"])
    monkeypatch.setattr(serving.warmup, "load_export", lambda _: pytest.fail("the export was loaded again"))
    (replayed,) = replay_warmup(published["version_dir"], loaded)
    requests = [{"image_bytes": np.array([make_png(1)], object)}, {"image_bytes": np.array([make_png(2)], object)}]
    served = serve(loaded, requests)
    assert served["probabilities"].shape == (2, 3)
    np.testing.assert_allclose(served["probabilities"], replayed["probabilities"], rtol=1e-6)


def test_replay_names_the_failing_request(published, tmp_path):
    export = tmp_path / "copy"
    shutil.copytree(published["version_dir"], export)
    write_warmup(export, [{"pixels": np.zeros([1, 4, 4, 1], np.float32)}], "tiny")
    with pytest.raises(RuntimeError, match="warmup request 0 .*'pixels'"):
        replay_warmup(export)


def test_write_warmup_validates_count(tmp_path):
    with pytest.raises(ValueError, match="1 to 1000"):
        write_warmup(tmp_path, [], "tiny")
    with pytest.raises(FileNotFoundError, match="no warmup file"):
        read_warmup(tmp_path)
